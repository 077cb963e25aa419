/**
 * A code app's window (its manifest's `view`): an HTML document in an iframe sandboxed to scripts
 * only — an opaque origin (no cookies, storage or IndexedDB; no access to this page), no forms,
 * popups or navigation of the top page, and a Content-Security-Policy that lets nothing load or
 * connect (no network). Its one way out is a MessagePort this page hands it; every message on it is
 * an SDK call made **as the app's process** (the launcher's handle), checked against the SDK's
 * calls like a code app's module calls. Identity is the port: the document cannot name a pid.
 */
import type { ProcessHandle } from "../client/aios.ts";
import { createSdk, SDK_CALLS } from "../sdk/sdk.ts";

/** At most this many calls of a view in flight (more: EQUOTA), as for a code app's module. */
export const MAX_VIEW_CALLS_IN_FLIGHT = 64;

/** What the sandbox may do: run scripts. Nothing else (no allow-same-origin: an opaque origin). */
export const VIEW_SANDBOX = "allow-scripts";

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:";

/** The SDK inside the view: `aios`, over the port the page posts once (queued until then). */
const BOOT = `(function (createSdk) {
  var port = null, next = 0, pending = new Map(), queue = [];
  addEventListener("message", function (e) {
    if (port || e.source !== parent || !e.data || e.data.type !== "aios-view-port" || !e.ports[0]) return;
    port = e.ports[0];
    port.onmessage = function (m) {
      var p = pending.get(m.data && m.data.id);
      if (!p) return;
      pending.delete(m.data.id);
      if (m.data.error) p.reject(Object.assign(new Error(m.data.error.message), { name: "KernelError", code: m.data.error.code }));
      else p.resolve(m.data.result);
    };
    queue.forEach(function (q) { port.postMessage(q); });
    queue = [];
  });
  function call(name, args, as) {
    return new Promise(function (resolve, reject) {
      var id = ++next;
      pending.set(id, { resolve: resolve, reject: reject });
      var msg = { id: id, name: name, args: args, as: as };
      if (port) port.postMessage(msg); else queue.push(msg);
    });
  }
  Object.defineProperty(window, "aios", { value: Object.freeze(createSdk(call)), enumerable: false, writable: false, configurable: false });
})(SDK_FACTORY);`;

/** The iframe's srcdoc: the policy, the SDK, then the app's document. */
export function viewDocument(view: string): string {
  const boot = BOOT.replace("SDK_FACTORY", `(${createSdk.toString()})`).replace(/<\/script/gi, "<\\/script");
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}"><script>${boot}</script>${view}`;
}

type ViewCall = { id?: unknown; name?: unknown; args?: unknown; as?: unknown };

/**
 * Serves a loaded view iframe: hands it a fresh port and answers its SDK calls as `handle`'s
 * process. Returns a function that closes the port (the window closing).
 */
export function serveView(frame: HTMLIFrameElement, handle: Pick<ProcessHandle, "call">): () => void {
  const channel = new MessageChannel();
  const port = channel.port1;
  let inFlight = 0;
  const allowed = new Set<string>(SDK_CALLS);
  port.onmessage = async (event: MessageEvent<ViewCall>) => {
    const { id, name, args, as } = event.data ?? {};
    const reply = (message: { result?: unknown; error?: { code: string; message: string } }) => {
      try {
        port.postMessage({ id, ...message });
      } catch (error) {
        port.postMessage({ id, error: { code: "EINVAL", message: `the result could not be sent to the view: ${(error as Error).message}` } });
      }
    };
    if (typeof name !== "string" || !allowed.has(name)) return reply({ error: { code: "ENOSYS", message: `${typeof name === "string" ? name.slice(0, 64) : typeof name}: not an SDK call` } });
    if (as !== undefined) return reply({ error: { code: "ENOSYS", message: "a view acts as its app's process only (spawn sub-agents from the app's module)" } });
    if (inFlight >= MAX_VIEW_CALLS_IN_FLIGHT) return reply({ error: { code: "EQUOTA", message: `at most ${MAX_VIEW_CALLS_IN_FLIGHT} calls of a view in flight` } });
    inFlight++;
    try {
      reply({ result: await handle.call(name as never, (args ?? {}) as never) });
    } catch (error) {
      const e = error as Error & { code?: string };
      reply({ error: { code: e.code ?? "EIO", message: e.message } });
    } finally {
      inFlight--;
    }
  };
  // An opaque origin can only be addressed as "*": the message goes to this frame's window alone.
  frame.contentWindow?.postMessage({ type: "aios-view-port" }, "*", [channel.port2]);
  return () => port.close();
}
