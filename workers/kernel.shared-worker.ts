/// <reference lib="webworker" />
// The kernel as a SharedWorker: one kernel (one loaded model) for every tab of this origin. Each
// tab connects a port; nothing but wiring lives here.
import * as Comlink from "comlink";
import { installErrorTransfer } from "../src/rpc/errors.ts";
import { createKernelApi } from "../src/rpc/kernel-api.ts";

installErrorTransfer();
const api = createKernelApi();
(self as unknown as SharedWorkerGlobalScope).onconnect = (event: MessageEvent) => {
  const port = event.ports[0]!;
  Comlink.expose(api, port);
  port.start();
};
