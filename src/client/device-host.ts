/**
 * The tab's side of the kernel's devices (src/kernel/devices.ts): this tab tells the kernel which
 * device drivers it can serve now and whether it has the focus, runs the calls the kernel routes
 * here, and answers with data. It decides nothing about who may call: the kernel checked the
 * capability (and asked the user) before a call arrives.
 *
 * Invariants:
 * - Each call is answered exactly once, with `ok` or a coded `error` (a driver's failure never
 *   escapes as an unanswered call); a "cancel" aborts the driver's signal.
 * - The tab withdraws every device when it is being closed (pagehide), so a call made then gets
 *   ENODEV from the kernel instead of going to a page that is going away.
 */
import type { DeviceCallMessage, DeviceHostMessage } from "../kernel/devices.ts";
import type { DeviceDriver } from "./devices/driver.ts";

export interface DeviceHost {
  /** The devices this tab serves now. */
  served(): Promise<string[]>;
  /** Says again what this tab serves (after a driver became available, e.g. the shell's prompts). */
  announce(): void;
  /** Calls running in this tab now. */
  active(): number;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "EPERM";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "ENODEV";
  if (name === "AbortError") return "ECANCELED";
  return "EIO";
}

/** Serves `drivers` to the kernel over `port`. */
export function hostDevices(port: MessagePort, drivers: DeviceDriver[]): DeviceHost {
  const byName = new Map(drivers.map((d) => [d.name, d]));
  const running = new Map<number, AbortController>();
  let closing = false;

  const served = async (): Promise<string[]> => {
    if (closing) return [];
    const checks = await Promise.all(drivers.map(async (d) => ((await Promise.resolve(d.available()).catch(() => false)) ? d.name : null)));
    return checks.filter((n): n is string => n !== null);
  };
  const focused = () => typeof document !== "undefined" && document.hasFocus();
  const visible = () => typeof document === "undefined" || document.visibilityState !== "hidden";
  let announcing: Promise<void> = Promise.resolve();
  const announce = () => {
    // In order: a later state never overtakes an earlier one.
    announcing = announcing.then(async () => {
      const message: DeviceHostMessage = { op: "serve", devices: await served(), focused: focused(), visible: visible() };
      port.postMessage(message);
    });
  };

  port.onmessage = (event: MessageEvent) => {
    const m = event.data as Partial<DeviceCallMessage> | null;
    if (m?.op === "cancel" && typeof m.id === "number") {
      running.get(m.id)?.abort(Object.assign(new Error("the kernel cancelled the call"), { code: "ECANCELED" }));
      return;
    }
    if (m?.op !== "call" || typeof m.id !== "number" || typeof m.device !== "string") return;
    const id = m.id;
    const reply = (message: DeviceHostMessage, transfer: Transferable[] = []) => {
      running.delete(id);
      try {
        port.postMessage(message, transfer);
      } catch (error) {
        port.postMessage({ op: "result", id, error: { code: "EIO", message: `the answer could not be sent: ${(error as Error).message}` } } satisfies DeviceHostMessage);
      }
    };
    const driver = byName.get(m.device);
    if (!driver || closing) {
      reply({ op: "result", id, error: { code: "ENODEV", message: `this tab does not serve ${m.device}` } });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    driver.run(m.args ?? {}, controller.signal).then(
      (ok) => reply({ op: "result", id, ok }, ok && typeof ok === "object" && (ok as { data?: unknown }).data instanceof ArrayBuffer ? [(ok as { data: ArrayBuffer }).data] : []),
      (error: unknown) => reply({ op: "result", id, error: { code: codeOf(error), message: error instanceof Error ? error.message : String(error) } }),
    );
  };
  port.start();

  if (typeof window !== "undefined") {
    for (const type of ["focus", "blur"]) window.addEventListener(type, announce);
    document.addEventListener("visibilitychange", announce);
    window.addEventListener("pagehide", () => {
      closing = true;
      announce();
    });
    window.addEventListener("pageshow", () => {
      closing = false;
      announce();
    });
    navigator.mediaDevices?.addEventListener?.("devicechange", announce);
  }
  announce();
  return { served, announce, active: () => running.size };
}
