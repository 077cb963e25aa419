/**
 * The lab page (lab.html): runs the Transformers.js engine directly in the page, with no kernel,
 * worker or comlink between — the baseline that benchmarks compare window.aios against, and the
 * place browser tests read raw token ids from. It also boots the OS worker as window.aios.
 */
import * as Comlink from "comlink";
import type { ChatMessage, ResponseFormat, ToolChoice, ToolSpec } from "../kernel/engine.ts";
import { EMBEDDED_MODELS } from "../kernel/engines/transformers-source.ts";
import { loadTransformersEngine, type TransformersEngine } from "../kernel/engines/transformers.ts";
import { createAios } from "../client/aios.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";
import type { LibraryBaseline } from "./library-baseline.ts";

export interface LabGenerateOptions {
  maxTokens: number;
  temperature?: number;
  seed?: number;
  /** Structured output (bench P8): tools offered, a response format, and whether the grammar is off. */
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  unconstrained?: boolean;
}

let engine: TransformersEngine | null = null;
let baseline: Promise<Comlink.Remote<LibraryBaseline>> | null = null;

const lab = {
  async load(device: "webgpu" | "wasm", modelId = "aios-tiny") {
    await engine?.unload();
    const spec = EMBEDDED_MODELS.find((m) => m.id === modelId)!;
    const base = new URL(import.meta.env.BASE_URL, location.href);
    engine = await loadTransformersEngine(modelId, spec, { modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base, device) }, () => {});
    return { model: engine.modelId, device: engine.device };
  },
  encodeChat(messages: ChatMessage[]): number[] {
    return engine!.encodeChat(messages);
  },
  async generate(messages: ChatMessage[], options: LabGenerateOptions) {
    const r = await engine!.generate({
      messages,
      maxTokens: options.maxTokens,
      temperature: options.temperature ?? 0,
      topP: 1,
      seed: options.seed,
      stop: [],
      signal: new AbortController().signal,
      ...(options.tools ? { tools: options.tools, toolChoice: options.toolChoice ?? "auto" } : {}),
      ...(options.responseFormat ? { responseFormat: options.responseFormat } : {}),
      ...(options.unconstrained ? { unconstrained: true } : {}),
    });
    return r;
  },
  /**
   * The library's own generate() on the same model and device (greedy), for the P1 baseline, in
   * a dedicated worker as the kernel is (src/lab/library-baseline.ts).
   */
  async generateWithLibrary(messages: ChatMessage[], maxTokens: number, device: "webgpu" | "wasm") {
    baseline ??= (async () => {
      const worker = new Worker(new URL("../../workers/library-baseline.worker.ts", import.meta.url), { type: "module", name: "library-baseline" });
      const remote = Comlink.wrap<LibraryBaseline>(worker);
      await remote.load(new URL(import.meta.env.BASE_URL, location.href).href, device);
      return remote;
    })();
    return (await baseline).generate(messages, maxTokens);
  },
  /**
   * Milliseconds of one decode call of the loaded model (median of `reps`), for each batch size
   * at `past` cached tokens: what a batched step costs against a single one (bench P3).
   */
  async decodeCallMs(batches: number[], past: number, reps: number) {
    return engine!.timeDecodeCalls(batches, past, reps);
  },
  /** OCR of one image in this page (src/client/devices/ocr.ts, loaded on first use). */
  async ocr(image: ImageBitmap | Blob, signal?: AbortSignal) {
    return (await import("../client/devices/ocr.ts")).recognizeText(image, signal);
  },
  async ocrAssets() {
    return (await import("../client/devices/ocr.ts")).ocrAssets();
  },
  bootOS(device?: "webgpu" | "wasm") {
    const worker = new Worker(new URL("../../workers/kernel.worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
    window.aios = createAios(worker, { device });
    return window.aios.ready;
  },
};

declare global {
  interface Window {
    lab: typeof lab;
  }
}
window.lab = lab;
import "./vector-bench.ts";
import "./storage-bench.ts";
import "./tools-bench.ts";
