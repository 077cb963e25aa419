/// <reference lib="webworker" />
// The kernel as a SharedWorker: one kernel (one loaded model) for every tab of this origin. Each
// tab's port acts as the shell; nothing but wiring lives here.
import { installErrorTransfer } from "../src/rpc/errors.ts";
import { createKernelHost } from "../src/rpc/kernel-api.ts";

installErrorTransfer();
const host = createKernelHost();
(self as unknown as SharedWorkerGlobalScope).onconnect = (event: MessageEvent) => {
  const port = event.ports[0]!;
  host.serveShell(port);
  port.start();
};
