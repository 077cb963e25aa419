/**
 * The SDK for pages on other sites: `connect()` embeds the OS's bridge (an invisible iframe of
 * /bridge.html) and returns the SDK (sdk.ts) over it. Built as a standalone module at
 * `/sdk/aios.js` of the OS's origin:
 *
 *   const { connect } = await import("https://aios.example/sdk/aios.js");
 *   const agent = await connect({ capabilities: ["calculator"] });   // the user answers in AIOS
 *   const reply = await agent.chat("What is 12 times 7?");
 *
 * The OS learns who is asking from the browser (this page's origin), never from anything sent
 * here; the user allows or denies in an AIOS tab (none open: EPERM).
 */
import { createSdk, type Sdk, type SdkCall } from "./sdk.ts";

export interface Connection extends Sdk {
  /** The site's agent process. */
  pid: number;
  /** Its identity on the OS: "site:<this page's origin>". */
  app: string;
  /** What the user allowed it. */
  capabilities: string[];
  /** Removes the bridge: the agent ends. */
  close(): void;
}

export interface ConnectOptions {
  /** The OS's origin (default: where this module was loaded from). */
  os?: string;
  capabilities?: string[];
  /** How long to wait for the bridge and the user's answer (default 5 minutes). */
  timeoutMs?: number;
}

export class AiosError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AiosError";
  }
}

export async function connect(options: ConnectOptions = {}): Promise<Connection> {
  const os = new URL(options.os ?? import.meta.url).origin;
  const iframe = document.createElement("iframe");
  iframe.src = `${os}/bridge.html`;
  iframe.title = "AIOS bridge";
  iframe.setAttribute("aria-hidden", "true");
  iframe.style.cssText = "position:absolute;width:0;height:0;border:0;visibility:hidden";
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const bridged = new Promise<Window>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AiosError("ETIMEDOUT", `the AIOS bridge at ${os} did not answer`)), timeoutMs);
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== os || event.source !== iframe.contentWindow || (event.data as { type?: unknown })?.type !== "aios.bridge") return;
      window.removeEventListener("message", onMessage);
      clearTimeout(timer);
      resolve(event.source as Window);
    };
    window.addEventListener("message", onMessage);
  });
  document.body.append(iframe);
  const bridge = await bridged.catch((error) => {
    iframe.remove();
    throw error;
  });
  const channel = new MessageChannel();
  const port = channel.port1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let next = 1;
  const ready = new Promise<{ pid: number; app: string; capabilities: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AiosError("ETIMEDOUT", "no answer from the user in time")), timeoutMs);
    port.onmessage = (event: MessageEvent) => {
      const m = event.data as { type?: string; id?: number; ok?: unknown; error?: { code: string; message: string }; pid?: number; app?: string; capabilities?: string[] };
      if (m.type === "aios.ready") {
        clearTimeout(timer);
        resolve({ pid: m.pid!, app: m.app!, capabilities: m.capabilities ?? [] });
      } else if (m.type === "aios.refused") {
        clearTimeout(timer);
        reject(new AiosError(m.error?.code ?? "EPERM", m.error?.message ?? "refused"));
      } else if (typeof m.id === "number") {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new AiosError(m.error.code, m.error.message));
        else w?.resolve(m.ok);
      }
    };
  });
  bridge.postMessage({ type: "aios.connect", capabilities: options.capabilities ?? [] }, os, [channel.port2]);
  const info = await ready.catch((error) => {
    iframe.remove();
    throw error;
  });
  const call = ((name: string, args: unknown, as?: number) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      port.postMessage({ id, name, args, ...(as !== undefined ? { as } : {}) });
    })) as SdkCall;
  return {
    ...createSdk(call),
    ...info,
    close: () => {
      port.close();
      iframe.remove();
      for (const w of waiting.values()) w.reject(new AiosError("EKILLED", "the connection was closed"));
      waiting.clear();
    },
  };
}
