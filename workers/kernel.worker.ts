/// <reference lib="webworker" />
// The kernel as a dedicated worker (browsers without SharedWorker): the page's side acts as the
// shell. No logic lives here.
import { installErrorTransfer } from "../src/rpc/errors.ts";
import { createKernelHost } from "../src/rpc/kernel-api.ts";

installErrorTransfer();
createKernelHost().serveShell(self as unknown as DedicatedWorkerGlobalScope);
