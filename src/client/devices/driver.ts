/**
 * The tab's half of a device tool: the kernel declares the tool (src/kernel/tools/devices.ts),
 * checks the capability and audits the call; a driver here does the browser API call and answers
 * with plain data (ArrayBuffers for bytes). A driver runs only the calls the kernel routes to it.
 */
export interface DeviceDriver {
  /** The tool this driver serves, e.g. "camera.read". */
  readonly name: string;
  /** Whether this tab can serve it now (the API exists; a camera is plugged in; a shell can ask). */
  available(): boolean | Promise<boolean>;
  /** Runs one call; throws a coded error (`deviceError`) or a DOMException on failure. */
  run(args: unknown, signal: AbortSignal): Promise<unknown>;
}

/** What a person must do in the shell for a device (file pickers): the shell implements it. */
export interface DevicePrompts {
  /** Ask the user to pick a file for `app`; null when they cancel. */
  pickFile(request: { app: string; signal: AbortSignal }): Promise<File | null>;
  /** Offer the user `file` from `app` to save; the name they saved it as, or null when they cancel. */
  saveFile(request: { app: string; path: string; name: string; type: string; data: ArrayBuffer; signal: AbortSignal }): Promise<string | null>;
  /**
   * The browser has not decided on notifications yet: ask the user to click a button that asks the
   * browser (Chromium may ignore a permission request made without a user gesture). Resolves with
   * the browser's answer once clicked, or "default" when the user dismissed it.
   */
  allowNotifications(request: { app: string; signal: AbortSignal }): Promise<NotificationPermission>;
}

export { deviceError } from "../../kernel/devices.ts";

/** Rejects with the signal's reason once it aborts (for APIs that take no signal). */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
