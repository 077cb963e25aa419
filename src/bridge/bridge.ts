/**
 * The OS's bridge: a page of the OS's own origin that other sites embed (an invisible iframe,
 * /bridge.html) to run agents through the SDK (src/sdk/connect.ts).
 *
 * Identity: the embedding page is its origin as the browser reports it (`MessageEvent.origin`) on
 * the one message that opens a connection; what the message says about itself is never read. That
 * message carries a MessagePort; every later call comes on that port, which only that page holds.
 * The bridge asks the kernel for a process of the site's own identity (`sites.connect`: the user
 * answers in an AIOS tab), and relays the SDK's calls — those and no others — to that process's
 * port, or to a port of a process it spawned. It shows nothing and serves no devices.
 *
 * Protocol: page → bridge window: { type: "aios.connect", capabilities } with a port. On the port:
 * bridge → page { type: "aios.ready", pid, app, capabilities } | { type: "aios.refused", error };
 * page → bridge { id, name, args, as? }; bridge → page { id, ok } | { id, error: { code, message } }.
 */
import { connectKernel, createAios, type ProcessHandle } from "../client/aios.ts";
import { SDK_CALLS } from "../sdk/sdk.ts";

const aios = createAios(connectKernel("shared"), { hosting: false });
const SDK = new Set<string>(SDK_CALLS);
const MAX_CAPABILITIES = 64;

function errorOf(error: unknown): { code: string; message: string } {
  return { code: (error as { code?: string }).code ?? "EINTERNAL", message: error instanceof Error ? error.message : String(error) };
}

async function serve(origin: string, port: MessagePort, capabilities: string[]): Promise<void> {
  let agent: ProcessHandle;
  try {
    agent = await aios.sites.connect(origin, capabilities);
  } catch (error) {
    port.postMessage({ type: "aios.refused", error: errorOf(error) });
    port.close();
    return;
  }
  // Processes the site spawned: it may act as them, and as nothing else.
  const children = new Map<number, ProcessHandle>();
  port.onmessage = async (event: MessageEvent) => {
    const m = event.data as { id?: unknown; name?: unknown; args?: unknown; as?: unknown } | null;
    if (typeof m?.id !== "number") return;
    const id = m.id;
    try {
      const name = String(m.name);
      if (!SDK.has(name)) throw Object.assign(new Error(`${name.slice(0, 64)} is not an SDK call`), { code: "ENOSYS" });
      const actor = m.as === undefined || m.as === agent.pid ? agent : children.get(Number(m.as));
      if (!actor) throw Object.assign(new Error(`pid ${String(m.as).slice(0, 20)} is not a process this page spawned`), { code: "EPERM" });
      let ok: unknown;
      if (name === "proc.spawn") {
        const child = await actor.spawn(m.args as Parameters<ProcessHandle["spawn"]>[0]);
        children.set(child.pid, child);
        ok = await child.info();
      } else ok = await actor.call(name as (typeof SDK_CALLS)[number], m.args as never);
      port.postMessage({ id, ok });
    } catch (error) {
      port.postMessage({ id, error: errorOf(error) });
    }
  };
  const info = await agent.info();
  port.postMessage({ type: "aios.ready", pid: agent.pid, app: agent.app, capabilities: info.capabilities });
}

window.addEventListener("message", (event: MessageEvent) => {
  // Only the page that embeds this bridge, opening a connection with a port of its own.
  if (event.source !== window.parent || window.parent === window) return;
  const m = event.data as { type?: unknown; capabilities?: unknown } | null;
  const port = event.ports[0];
  if (m?.type !== "aios.connect" || !port) return;
  const capabilities = Array.isArray(m.capabilities) ? m.capabilities.filter((c): c is string => typeof c === "string").slice(0, MAX_CAPABILITIES) : [];
  void serve(event.origin, port, capabilities);
});

// Tells the embedding page the bridge is listening (its origin is the OS's: the page checks it).
if (window.parent !== window) window.parent.postMessage({ type: "aios.bridge" }, "*");
