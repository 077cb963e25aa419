/// <reference lib="webworker" />
// The kernel worker: exposes the kernel API over comlink. No logic lives here.
import * as Comlink from "comlink";
import { installErrorTransfer } from "../src/rpc/errors.ts";
import { createKernelApi } from "../src/rpc/kernel-api.ts";

installErrorTransfer();
Comlink.expose(createKernelApi());
