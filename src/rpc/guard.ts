/**
 * The allow-list in front of comlink. comlink's `expose` serves the whole object graph: a raw
 * `GET`/`SET`/`CONSTRUCT` on any path (`["constructor", "constructor"]` runs code; `["__proto__",
 * …]` rewrites shared state). The kernel's ports accept only `APPLY` of a declared entry point
 * (one path segment), with plain (structured-clone) arguments and, where the entry point takes
 * one, a callback as its last argument. Anything else is answered with an EPERM error and never
 * reaches comlink.
 */
import type { Endpoint } from "comlink";

export interface EntryPoints {
  /** Entry point name → the argument positions that may carry a callback (comlink proxy). */
  [name: string]: readonly number[];
}

type Listener = EventListenerOrEventListenerObject;

function refusal(id: unknown, message: string) {
  return { id, type: "HANDLER", name: "throw", value: { isError: true, value: { name: "KernelError", code: "EPERM", message } } };
}

/** Why a message is refused, or null when it is a declared call. */
export function refuse(data: unknown, entries: EntryPoints): string | null {
  if (typeof data !== "object" || data === null) return "not a call";
  const m = data as { type?: unknown; path?: unknown; argumentList?: unknown };
  if (m.type !== "APPLY") return `${String(m.type).slice(0, 20)} messages are not accepted (only declared calls)`;
  if (!Array.isArray(m.path) || m.path.length !== 1 || typeof m.path[0] !== "string" || !Object.hasOwn(entries, m.path[0])) {
    return `no entry point ${JSON.stringify(m.path)?.slice(0, 80)}`;
  }
  const callbacks = entries[m.path[0]]!;
  if (!Array.isArray(m.argumentList)) return "argumentList: must be an array";
  for (const [i, arg] of m.argumentList.entries()) {
    const wire = arg as { type?: unknown; name?: unknown; value?: unknown };
    if (wire?.type === "RAW") continue;
    if (wire?.type === "HANDLER" && wire.name === "proxy" && callbacks.includes(i) && typeof MessagePort !== "undefined" && wire.value instanceof MessagePort) continue;
    return `argument ${i} of ${m.path[0]} must be plain data`;
  }
  return null;
}

/** `port` as comlink sees it: only declared calls get through. */
export function guardEndpoint(port: Endpoint, entries: EntryPoints): Endpoint {
  const wrapped = new Map<Listener, EventListener>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer),
    addEventListener(type: string, listener: Listener) {
      const filtered: EventListener = (event) => {
        const data = (event as MessageEvent).data;
        const why = refuse(data, entries);
        if (why === null) {
          if (typeof listener === "function") listener(event);
          else listener.handleEvent(event);
          return;
        }
        const id = (data as { id?: unknown } | null)?.id;
        if (typeof id === "string") port.postMessage(refusal(id, `refused by the kernel: ${why}`));
      };
      wrapped.set(listener, filtered);
      port.addEventListener(type, filtered);
    },
    removeEventListener(type: string, listener: Listener) {
      const filtered = wrapped.get(listener);
      if (filtered) port.removeEventListener(type, filtered);
    },
    start: () => port.start?.(),
  };
}
