import type { WorkerKind } from "../rpc/worker-relay.ts";
/**
 * The tab's side of the kernel's relayed workers (src/rpc/worker-relay.ts): creates the js
 * sandbox workers the kernel asks for, forwards their messages both ways, and terminates them when
 * the kernel says so. It runs no snippet itself and decides nothing.
 */
export function hostWorkers(port: MessagePort, create: (kind: WorkerKind) => Worker = sandboxWorker): void {
  const workers = new Map<number, Worker>();
  port.onmessage = (event: MessageEvent) => {
    const m = event.data as { op?: string; worker?: number; data?: unknown; kind?: unknown };
    if (typeof m?.worker !== "number") return;
    const id = m.worker;
    if (m.op === "spawn") {
      let worker: Worker;
      try {
        worker = create(m.kind === "app" ? "app" : "js");
      } catch (error) {
        port.postMessage({ worker: id, error: `could not start a worker: ${(error as Error).message}` });
        return;
      }
      worker.onmessage = (e) => port.postMessage({ worker: id, data: e.data });
      worker.onerror = (e) => {
        e.preventDefault();
        port.postMessage({ worker: id, error: e.message || "an error in the worker" });
      };
      worker.onmessageerror = () => port.postMessage({ worker: id, error: "a message could not be read" });
      workers.set(id, worker);
    } else if (m.op === "post") workers.get(id)?.postMessage(m.data);
    else if (m.op === "terminate") {
      workers.get(id)?.terminate();
      workers.delete(id);
    }
  };
  port.start();
}

function sandboxWorker(kind: WorkerKind): Worker {
  if (kind === "app") return new Worker(new URL("../../workers/app-sandbox.worker.ts", import.meta.url), { type: "module", name: "aios-app-sandbox" });
  return new Worker(new URL("../../workers/js-sandbox.worker.ts", import.meta.url), { type: "module", name: "aios-js-sandbox" });
}
