/**
 * `clipboard.read` / `clipboard.write`: the async Clipboard API. Browsers allow it only to the
 * focused page (the kernel routes device calls to the focused tab first) and may ask the user.
 */
import { deviceError, type DeviceDriver } from "./driver.ts";

const has = () => typeof navigator !== "undefined" && !!navigator.clipboard;

function refused(error: unknown): Error {
  const name = (error as { name?: string } | null)?.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return deviceError("EPERM", `the browser refused the clipboard${typeof document !== "undefined" && !document.hasFocus() ? " (the AIOS tab must have the focus: click it and try again)" : ""}: ${(error as Error).message}`);
  }
  return deviceError("EIO", `the clipboard failed: ${(error as Error)?.message ?? String(error)}`);
}

export const clipboardReadDriver: DeviceDriver = {
  name: "clipboard.read",
  available: () => has() && typeof navigator.clipboard.readText === "function",
  async run() {
    try {
      return { text: await navigator.clipboard.readText() };
    } catch (error) {
      throw refused(error);
    }
  },
};

export const clipboardWriteDriver: DeviceDriver = {
  name: "clipboard.write",
  available: () => has() && typeof navigator.clipboard.writeText === "function",
  async run(args) {
    const text = (args as { text?: unknown }).text;
    if (typeof text !== "string") throw deviceError("EINVAL", "text: must be a string");
    try {
      await navigator.clipboard.writeText(text);
      return {};
    } catch (error) {
      throw refused(error);
    }
  },
};
