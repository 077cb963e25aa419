/// <reference lib="webworker" />
// The js tool's sandbox: a dedicated worker the kernel can terminate at any moment. It loads
// QuickJS at start (then says `ready`), and runs each `{ id, code, limits }` in a fresh QuickJS
// runtime, answering `{ id, ok: { value, logs } }` or `{ id, error: { code, message } }`. Wiring only.
import { toKernelError } from "../src/kernel/errors.ts";
import { loadQuickJs, quickJsStats, runQuickJs } from "../src/kernel/tools/quickjs.ts";
import type { SandboxReply, SandboxRequest } from "../src/kernel/tools/sandbox.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const reply = (message: SandboxReply) => scope.postMessage(message);

loadQuickJs().then(
  () => reply({ ready: true, loadMs: quickJsStats().loadMs }),
  (error: unknown) => {
    throw error; // an uncaught error: the kernel sees the worker's `error` event (failed to start)
  },
);

scope.onmessage = async (event: MessageEvent<SandboxRequest>) => {
  const { id, code, limits } = event.data;
  try {
    reply({ id, ok: await runQuickJs(code, limits) });
  } catch (error) {
    const e = toKernelError(error);
    reply({ id, error: { code: e.code, message: e.message } });
  }
};
