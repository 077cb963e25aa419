/// <reference lib="webworker" />
// A code app's sandbox: one app per worker, which the kernel terminates when the app ends, is
// killed or runs away. Wiring only (src/kernel/apps/app-worker.ts).
import { serveAppWorker } from "../src/kernel/apps/app-worker.ts";
import type { AppWorkerCommand } from "../src/kernel/apps/code-apps.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = serveAppWorker((event) => scope.postMessage(event));
scope.onmessage = (event: MessageEvent<AppWorkerCommand>) => handle(event.data);
