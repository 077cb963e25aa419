/**
 * The worker side of a code app (code-apps.ts's protocol): loads QuickJS, says `ready`, runs the
 * one app it is given and reports its end. Shared by the real worker (workers/app-sandbox.worker.ts)
 * and `inlineAppWorker` (Node, where there are no workers: it cannot be terminated mid-slice).
 */
import { toKernelError } from "../errors.ts";
import { loadQuickJs } from "../tools/quickjs.ts";
import { DEFAULT_APP_LIMITS, runAppVm } from "./app-vm.ts";
import type { AppWorker, AppWorkerCommand, AppWorkerEvent } from "./code-apps.ts";

/** Serves one app over `post`; returns the handler for the runner's commands. */
export function serveAppWorker(post: (event: AppWorkerEvent) => void, memoryBytes?: number): (command: AppWorkerCommand) => void {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let next = 1;
  let started = false;
  void loadQuickJs(memoryBytes ?? DEFAULT_APP_LIMITS.memoryBytes).then(
    () => post({ op: "ready" }),
    () => undefined,
  );
  return (command) => {
    if (command.op === "reply") {
      const w = waiting.get(command.id);
      waiting.delete(command.id);
      if (command.error) w?.reject(Object.assign(new Error(command.error.message), { code: command.error.code }));
      else w?.resolve(command.ok);
      return;
    }
    if (command.op !== "start" || started) return;
    started = true;
    const host = {
      call: (name: string, args: unknown, as?: number) =>
        new Promise<unknown>((resolve, reject) => {
          const id = next++;
          waiting.set(id, { resolve, reject });
          post({ op: "call", id, name, args, ...(as !== undefined ? { as } : {}) });
        }),
      log: (level: "log" | "warn" | "error", text: string) => post({ op: "log", level, text }),
      busy: (running: boolean) => post({ op: "busy", running }),
    };
    runAppVm(command.source, command.input, host, command.limits).then(
      (ok) => post({ op: "exit", ok }),
      (error: unknown) => {
        const e = toKernelError(error);
        post({ op: "exit", error: { code: e.code, message: e.message } });
      },
    );
  };
}

/** An app worker in this thread (Node, tests): messages are delivered asynchronously, as a worker's would be. */
export function inlineAppWorker(memoryBytes?: number): AppWorker {
  let terminated = false;
  const worker: AppWorker = {
    onmessage: null,
    onerror: null,
    postMessage: (data) => queueMicrotask(() => !terminated && handle(structuredClone(data) as AppWorkerCommand)),
    terminate: () => {
      terminated = true;
    },
  };
  const handle = serveAppWorker((event) => queueMicrotask(() => !terminated && worker.onmessage?.({ data: structuredClone(event) } as MessageEvent)), memoryBytes);
  return worker;
}
