/**
 * Transformers.js engine: ONNX models served from our own origin (/models/<dir>/), run by ONNX
 * Runtime Web on WebGPU when an adapter exists, else wasm (onnxruntime-node's cpu in Node).
 *
 * It runs its own decode loop over `model.forward` instead of `generate()`: per-token streaming,
 * seeded sampling, stop strings and abort at a token boundary, and the KV cache stays ours
 * (the scheduler will suspend and resume it). Greedy ids equal `generate()`'s exactly.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
  Tensor,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type ProgressInfo,
} from "@huggingface/transformers";
import type { ChatMessage, Device, Engine, GenerateParams, GenerateResult, LoadProgress } from "../engine.ts";
import { KernelError } from "../errors.ts";
import { createRng, sampleToken } from "../sampling.ts";
import { TextStream } from "../text-stream.ts";
import { yieldToEventLoop } from "../yield.ts";

export interface TransformersModelSpec {
  /** Folder under the model base URL, e.g. "aios-tiny". */
  path: string;
  dtype: "fp32" | "q8";
}

export interface TransformersEngineOptions {
  /**
   * Where model folders live: a root-relative path such as "/models/" in a browser (Transformers.js
   * 4.3's file-existence check skips local paths that are absolute http URLs, so the tokenizer
   * would not be found), a directory in Node.
   */
  modelBaseUrl: string;
  device: Exclude<Device, "remote">;
  /** ONNX Runtime Web's runtime on our own origin (never the library's CDN default). */
  wasmPaths?: { mjs: string; wasm: string };
}

type LogitsOutput = { logits: Tensor } & Record<string, Tensor>;

function configureEnvironment(options: TransformersEngineOptions): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = options.modelBaseUrl;
  const wasm = env.backends.onnx.wasm;
  if (options.wasmPaths && wasm) {
    wasm.wasmPaths = { ...options.wasmPaths };
    wasm.proxy = false;
  }
}

export async function loadTransformersEngine(
  modelId: string,
  spec: TransformersModelSpec,
  options: TransformersEngineOptions,
  onProgress: (p: LoadProgress) => void,
): Promise<TransformersEngine> {
  configureEnvironment(options);
  const progress_callback = (info: ProgressInfo) => {
    if (info.status === "progress_total") {
      onProgress({ modelId, progress: info.progress / 100, loaded: info.loaded, total: info.total, text: `Loading ${modelId}` });
    } else if (info.status === "ready") {
      onProgress({ modelId, progress: 1, text: `${modelId} ready` });
    }
  };
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(spec.path, { progress_callback });
    const model = (await AutoModelForCausalLM.from_pretrained(spec.path, {
      device: options.device,
      dtype: spec.dtype,
      progress_callback,
    })) as PreTrainedModel;
    return new TransformersEngine(modelId, options.device, tokenizer, model);
  } catch (error) {
    throw new KernelError("ELOAD", `could not load ${modelId} from ${options.modelBaseUrl}${spec.path}: ${(error as Error).message}`, { cause: error });
  }
}

export class TransformersEngine implements Engine {
  readonly name = "transformers" as const;
  readonly contextLength: number;
  private readonly eosIds: Set<number>;

  constructor(
    readonly modelId: string,
    readonly device: Exclude<Device, "remote">,
    private readonly tokenizer: PreTrainedTokenizer,
    private model: PreTrainedModel | null,
  ) {
    const config = model!.config as unknown as Record<string, unknown>;
    this.contextLength = Number(config.max_position_embeddings ?? 2048);
    const eos = (model!.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id ?? config.eos_token_id;
    this.eosIds = new Set((Array.isArray(eos) ? eos : [eos]).filter((x): x is number => typeof x === "number"));
  }

  /** Prompt token ids exactly as the model's chat template renders them. */
  encodeChat(messages: ChatMessage[]): number[] {
    const encoded = this.tokenizer.apply_chat_template(messages as never, {
      add_generation_prompt: true,
      tokenize: true,
      return_tensor: false,
      return_dict: false,
    }) as unknown as number[] | { input_ids: number[] };
    return Array.from(Array.isArray(encoded) ? encoded : encoded.input_ids, Number);
  }

  async countTokens(messages: ChatMessage[]): Promise<number> {
    return this.encodeChat(messages).length;
  }

  decode(ids: number[]): string {
    return ids.length === 0 ? "" : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  async generate(params: GenerateParams): Promise<GenerateResult> {
    const model = this.model;
    if (!model) throw new KernelError("ENOTREADY", `${this.modelId} was unloaded`);
    const started = performance.now();
    const prompt = this.encodeChat(params.messages);
    const room = this.contextLength - prompt.length;
    if (room < 1) {
      throw new KernelError("EINVAL", `messages: the prompt is ${prompt.length} tokens; ${this.modelId} holds ${this.contextLength} in all`);
    }
    const maxTokens = Math.min(params.maxTokens, room);
    const rng = createRng(params.seed);
    const stream = new TextStream(params.stop);
    const output: number[] = [];
    let cache: DynamicCache | null = null;
    let firstTokenAt = 0;
    let finishReason: GenerateResult["finishReason"] = "length";
    try {
      let feed = prompt;
      while (output.length < maxTokens) {
        if (params.signal.aborted) {
          finishReason = "abort";
          break;
        }
        const past = prompt.length + output.length - feed.length;
        const out = (await model.forward({
          input_ids: int64Tensor(feed, [1, feed.length]),
          attention_mask: int64Tensor(new Array(past + feed.length).fill(1), [1, past + feed.length]),
          position_ids: int64Tensor(feed.map((_, i) => past + i), [1, feed.length]),
          past_key_values: cache,
        })) as LogitsOutput;
        cache = updateCache(out, cache);
        const vocab = out.logits.dims.at(-1)!;
        const data = out.logits.data as Float32Array;
        const next = sampleToken(data.subarray(data.length - vocab), params, rng);
        if (!firstTokenAt) firstTokenAt = performance.now();
        if (this.eosIds.has(next)) {
          finishReason = "stop";
          break;
        }
        output.push(next);
        const delta = stream.push(this.decode(output));
        if (delta) params.onText?.(delta);
        if (stream.stopped) {
          finishReason = "stop";
          break;
        }
        feed = [next];
        await yieldToEventLoop();
      }
    } finally {
      await cache?.dispose();
    }
    const tail = stream.finish(this.decode(output));
    if (tail) params.onText?.(tail);
    const finished = performance.now();
    return {
      text: stream.final,
      finishReason,
      promptTokens: prompt.length,
      completionTokens: output.length,
      tokenIds: output,
      timeToFirstTokenMs: (firstTokenAt || finished) - started,
      totalMs: finished - started,
    };
  }

  async unload(): Promise<void> {
    const model = this.model;
    this.model = null;
    await model?.dispose();
  }
}

function int64Tensor(values: number[], dims: number[]): Tensor {
  return new Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** present.* outputs become the next step's past_key_values.*; replaced GPU tensors are freed. */
function updateCache(out: Record<string, Tensor>, cache: DynamicCache | null): DynamicCache {
  const entries: Record<string, Tensor> = {};
  for (const name in out) {
    if (name.startsWith("present")) entries[name.replace("present", "past_key_values")] = out[name]!;
  }
  if (!cache) return new DynamicCache(entries);
  cache.update(entries);
  return cache;
}
