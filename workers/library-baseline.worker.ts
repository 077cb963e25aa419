/// <reference lib="webworker" />
// P1's baseline (Transformers.js generate() alone) in a worker like the kernel's; wiring only.
import * as Comlink from "comlink";
import { createLibraryBaseline } from "../src/lab/library-baseline.ts";

Comlink.expose(createLibraryBaseline());
