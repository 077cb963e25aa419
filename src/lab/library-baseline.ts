/**
 * P1's baseline: Transformers.js's own `generate()` on the embedded model, greedy, with nothing of
 * ours in the loop. It runs in a dedicated worker (workers/library-baseline.worker.ts), as the
 * kernel does, so the two are measured under the same conditions (same thread kind, same
 * single-threaded ONNX Runtime, one postMessage round trip per request).
 */
import { AutoModelForCausalLM, AutoTokenizer, type PreTrainedModel } from "@huggingface/transformers";
import type { ChatMessage } from "../kernel/engine.ts";
import { EMBEDDED_MODELS } from "../kernel/engines/transformers-source.ts";
import { loadTransformersEngine } from "../kernel/engines/transformers.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";

export function createLibraryBaseline() {
  let library: { tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>; model: PreTrainedModel } | null = null;
  return {
    async load(baseUrl: string, device: "webgpu" | "wasm") {
      const base = new URL(baseUrl);
      // Our loader configures the environment (local files, our own ONNX Runtime assets); then
      // the same model is loaded again through the library's plain API.
      const engine = await loadTransformersEngine("aios-tiny", EMBEDDED_MODELS[0]!, { modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base, device) }, () => {});
      await engine.unload();
      const tokenizer = await AutoTokenizer.from_pretrained("aios-tiny");
      const model = (await AutoModelForCausalLM.from_pretrained("aios-tiny", { device, dtype: "fp32" })) as PreTrainedModel;
      library = { tokenizer, model };
    },
    /** Completion tokens (the end-of-turn token not counted, as the kernel counts) and wall time. */
    async generate(messages: ChatMessage[], maxTokens: number) {
      const { tokenizer, model } = library!;
      const started = performance.now();
      const inputs = tokenizer.apply_chat_template(messages as never, { add_generation_prompt: true, return_dict: true }) as never;
      const out = (await model.generate({ ...(inputs as object), max_new_tokens: maxTokens, do_sample: false })) as unknown as { data: BigInt64Array };
      const promptLength = (inputs as { input_ids: { dims: number[] } }).input_ids.dims[1]!;
      const ids = Array.from(out.data.slice(promptLength), Number);
      tokenizer.decode(ids, { skip_special_tokens: true });
      const finished = performance.now();
      const eos = new Set([model.generation_config?.eos_token_id].flat().filter((x): x is number => typeof x === "number"));
      return { completionTokens: ids.length - (eos.has(ids.at(-1)!) ? 1 : 0), totalMs: finished - started };
    },
  };
}

export type LibraryBaseline = ReturnType<typeof createLibraryBaseline>;
