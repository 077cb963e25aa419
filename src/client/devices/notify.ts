/**
 * `notify`: a system notification. Where the browser has not decided yet, the shell asks the user
 * to click a button that asks the browser (its permission request wants a user gesture); without
 * a shell, the request is made directly. Where it is denied, EPERM says where to change it.
 */
import { deviceError, type DeviceDriver, type DevicePrompts } from "./driver.ts";

let counter = 0;

export const notifyDriver = (prompts: () => DevicePrompts | null): DeviceDriver => ({
  name: "notify",
  available: () => typeof Notification !== "undefined",
  async run(args, signal) {
    const { title, body, app } = args as { title?: unknown; body?: unknown; app?: unknown };
    if (typeof title !== "string") throw deviceError("EINVAL", "title: must be a string");
    if (Notification.permission === "default") {
      const ui = prompts();
      if (ui) await ui.allowNotifications({ app: String(app ?? "an app"), signal });
      else await Notification.requestPermission().catch(() => "default");
    }
    if (Notification.permission !== "granted") {
      throw deviceError("EPERM", `the browser ${Notification.permission === "denied" ? "blocks" : "has not allowed"} notifications for this site (allow them in the site settings)`);
    }
    const shown = new Notification(title, { body: typeof body === "string" ? body : "", tag: `aios-${Date.now()}-${++counter}` });
    // An error event means the system refused it; otherwise it is shown (headless browsers never
    // fire "show"), so wait briefly for an error only.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 500);
      shown.onshow = () => (clearTimeout(timer), resolve());
      shown.onerror = () => (clearTimeout(timer), reject(deviceError("EIO", "the system did not show the notification")));
    });
    return {};
  },
});
