/**
 * Device hosts: the tabs that serve the browser's devices (geolocation, camera, clipboard,
 * notifications, speech, file pickers) to the kernel. Those APIs exist only in pages, never in the
 * kernel's worker, so each open tab hands the kernel a port at attach and says which devices it can
 * serve and whether it is focused; a device tool's driver (./tools/devices.ts) asks `call()` here,
 * which picks a tab and forwards the call.
 *
 * Protocol on a host port —
 *   tab → kernel: { op: "serve", devices: string[], focused: boolean, visible: boolean } (any time;
 *                 the latest wins), { op: "result", id, ok } | { op: "result", id, error: { code, message } }
 *   kernel → tab: { op: "call", id, device, args }, { op: "cancel", id }
 *
 * Invariants:
 * - A call goes to a tab that serves the device now: the focused one first, then a visible one,
 *   then the most recently attached. No such tab → ENODEV at once, with a message saying so.
 * - Every call settles exactly once: with the tab's answer, ETIMEDOUT/EKILLED when its signal
 *   aborts (the tab is told to cancel), or EIO when its tab goes mid-call (`remove`). Never a hang.
 * - A tab's answer carries data only; what it may cause is decided by the caller (the kernel's
 *   driver), and a malformed answer is an EIO, not a crash.
 */
import { KernelError, toKernelError, type ErrorCode } from "./errors.ts";

export type DeviceHostMessage =
  | { op: "serve"; devices: string[]; focused: boolean; visible: boolean }
  | { op: "result"; id: number; ok?: unknown; error?: { code: string; message: string } };

export type DeviceCallMessage = { op: "call"; id: number; device: string; args: unknown } | { op: "cancel"; id: number };

interface Host {
  owner: string;
  port: MessagePort;
  devices: Set<string>;
  focused: boolean;
  visible: boolean;
  /** Order of attachment (the later, the more likely the user's current tab). */
  order: number;
  calls: Map<number, Pending>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: KernelError): void;
}

/** Where each device is served: by which tabs (for the shell and `aios.devices.hosts()`). */
export interface DeviceHostInfo {
  tab: string;
  devices: string[];
  focused: boolean;
  visible: boolean;
  /** Calls this tab is serving now. */
  active: number;
}

const MAX_DEVICES = 64;

export class DeviceHosts {
  private readonly hosts = new Map<string, Host>();
  private order = 0;
  private nextId = 1;

  /** A tab offers to serve devices over `port`; it answers until the tab goes (`remove`). */
  add(owner: string, port: MessagePort): void {
    this.remove(owner);
    const host: Host = { owner, port, devices: new Set(), focused: false, visible: true, order: ++this.order, calls: new Map() };
    port.onmessage = (event: MessageEvent) => this.receive(host, event.data);
    port.start();
    this.hosts.set(owner, host);
  }

  private receive(host: Host, data: unknown): void {
    const m = data as Partial<DeviceHostMessage> | null;
    if (m?.op === "serve") {
      const devices = Array.isArray(m.devices) ? m.devices.filter((d): d is string => typeof d === "string").slice(0, MAX_DEVICES) : [];
      host.devices = new Set(devices);
      host.focused = m.focused === true;
      host.visible = m.visible !== false;
      // Only one tab has the focus: the one that says so last.
      if (host.focused) for (const other of this.hosts.values()) if (other !== host) other.focused = false;
    } else if (m?.op === "result" && typeof m.id === "number") {
      const pending = host.calls.get(m.id);
      if (!pending) return;
      host.calls.delete(m.id);
      if (m.error !== undefined) {
        const e = m.error as { code?: unknown; message?: unknown } | null;
        const message = typeof e?.message === "string" ? e.message.slice(0, 500) : "the device failed";
        pending.reject(toKernelError(Object.assign(new Error(message), { code: typeof e?.code === "string" ? e.code : "EIO" }), "EIO"));
      } else pending.resolve(m.ok);
    }
  }

  /** A tab went: its calls in flight fail with EIO, and nothing is routed there again. */
  remove(owner: string): void {
    const host = this.hosts.get(owner);
    if (!host) return;
    this.hosts.delete(owner);
    for (const pending of host.calls.values()) pending.reject(new KernelError("EIO", "the tab serving the device closed during the call"));
    host.calls.clear();
    host.port.onmessage = null;
    host.port.close();
  }

  /** The tab a call to `device` goes to now, if any. */
  private pick(device: string): Host | undefined {
    const serving = [...this.hosts.values()].filter((h) => h.devices.has(device));
    const rank = (h: Host) => (h.focused ? 2 : 0) + (h.visible ? 1 : 0);
    return serving.sort((a, b) => rank(b) - rank(a) || b.order - a.order)[0];
  }

  /** Whether some open tab serves `device` now. */
  serves(device: string): boolean {
    return this.pick(device) !== undefined;
  }

  /**
   * Runs `device` with `args` in a tab that serves it. Rejects with ENODEV when none does, with the
   * tab's own error (coded), with the signal's reason when it aborts, or EIO when the tab goes.
   */
  call(device: string, args: unknown, signal: AbortSignal, noDevice?: string): Promise<unknown> {
    const host = this.pick(device);
    if (!host) {
      return Promise.reject(new KernelError("ENODEV", noDevice ?? `no open AIOS tab can serve ${device} (open the OS in a browser tab that has it)`));
    }
    if (signal.aborted) return Promise.reject(toKernelError(signal.reason ?? new KernelError("EKILLED", `the ${device} call was cancelled`)));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        if (!host.calls.delete(id)) return;
        post(host, { op: "cancel", id });
        reject(toKernelError(signal.reason ?? new KernelError("EKILLED", `the ${device} call was cancelled`)));
      };
      host.calls.set(id, {
        resolve: (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      if (!post(host, { op: "call", id, device, args })) {
        host.calls.delete(id);
        signal.removeEventListener("abort", onAbort);
        reject(new KernelError("EIO", `the tab serving ${device} cannot be reached`));
      }
    });
  }

  list(): DeviceHostInfo[] {
    return [...this.hosts.values()]
      .sort((a, b) => a.order - b.order)
      .map((h) => ({ tab: h.owner, devices: [...h.devices].sort(), focused: h.focused, visible: h.visible, active: h.calls.size }));
  }
}

function post(host: Host, message: DeviceCallMessage): boolean {
  try {
    host.port.postMessage(message);
    return true;
  } catch {
    return false;
  }
}

/** A coded error a device driver in a tab throws (travels as { code, message }). */
export function deviceError(code: ErrorCode, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
