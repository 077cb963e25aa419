/**
 * The lab page (lab.html): runs the Transformers.js engine directly in the page, with no kernel,
 * worker or comlink between — the baseline that benchmarks compare window.aios against, and the
 * place browser tests read raw token ids from. It also boots the OS worker as window.aios.
 */
import { AutoModelForCausalLM, AutoTokenizer, type PreTrainedModel } from "@huggingface/transformers";
import type { ChatMessage } from "../kernel/engine.ts";
import { EMBEDDED_MODELS } from "../kernel/engines/transformers-source.ts";
import { loadTransformersEngine, type TransformersEngine } from "../kernel/engines/transformers.ts";
import { createAios } from "../client/aios.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";

export interface LabGenerateOptions {
  maxTokens: number;
  temperature?: number;
  seed?: number;
}

let engine: TransformersEngine | null = null;
let library: { tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>; model: PreTrainedModel } | null = null;

const lab = {
  async load(device: "webgpu" | "wasm", modelId = "aios-tiny") {
    await engine?.unload();
    const spec = EMBEDDED_MODELS.find((m) => m.id === modelId)!;
    const base = new URL(import.meta.env.BASE_URL, location.href);
    engine = await loadTransformersEngine(modelId, spec, { modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base) }, () => {});
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
    });
    return r;
  },
  /**
   * The library's own generate() on the same model and device (greedy), for the P1 baseline:
   * loaded by our engine first (which configured env), then again through the plain API.
   */
  async generateWithLibrary(messages: ChatMessage[], maxTokens: number, device: "webgpu" | "wasm") {
    library ??= await (async () => {
      const tokenizer = await AutoTokenizer.from_pretrained("aios-tiny");
      const model = (await AutoModelForCausalLM.from_pretrained("aios-tiny", { device, dtype: "fp32" })) as PreTrainedModel;
      return { tokenizer, model };
    })();
    const { tokenizer, model } = library;
    const inputs = tokenizer.apply_chat_template(messages as never, { add_generation_prompt: true, return_dict: true }) as never;
    const started = performance.now();
    const out = (await model.generate({ ...(inputs as object), max_new_tokens: maxTokens, do_sample: false })) as { dims: number[] };
    const finished = performance.now();
    const promptLength = (inputs as { input_ids: { dims: number[] } }).input_ids.dims[1]!;
    // Count as the kernel does: the end-of-turn token is not part of the completion.
    const ids = Array.from((out as unknown as { data: BigInt64Array }).data.slice(promptLength), Number);
    const eos = new Set([model.generation_config?.eos_token_id].flat().filter((x): x is number => typeof x === "number"));
    const completionTokens = ids.length - (eos.has(ids.at(-1)!) ? 1 : 0);
    return { completionTokens, totalMs: finished - started };
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
