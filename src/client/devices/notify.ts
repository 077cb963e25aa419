/**
 * `notify`: a system notification. Where the browser has not decided yet, the permission is asked
 * (Chromium may want a user gesture: the user then allows it from the site settings or the shell's
 * Permissions window); where it is denied, EPERM says where to change it.
 */
import { deviceError, type DeviceDriver } from "./driver.ts";

let counter = 0;

export const notifyDriver: DeviceDriver = {
  name: "notify",
  available: () => typeof Notification !== "undefined",
  async run(args) {
    const { title, body } = args as { title?: unknown; body?: unknown };
    if (typeof title !== "string") throw deviceError("EINVAL", "title: must be a string");
    if (Notification.permission === "default") await Notification.requestPermission().catch(() => "default");
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
};
