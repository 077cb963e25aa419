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
import type { Batcher, ChatMessage, Device, Engine, GenerateParams, GenerateResult, Generation, LoadProgress, ToolSpec } from "../engine.ts";
import { KernelError } from "../errors.ts";
import { GrammarVocabulary, vocabularyKind, type CompiledFormat, type Constraint } from "../grammar.ts";
import { outputFormatFor, type OutputFormat } from "../output-format.ts";
import { createRng, sampleToken } from "../sampling.ts";
import { TextStream } from "../text-stream.ts";
import { renderAssistantTurn } from "../tool-calls.ts";
import { yieldToEventLoop } from "../yield.ts";

export interface TransformersModelSpec {
  /** Folder under the model base URL, e.g. "aios-tiny". */
  path: string;
  dtype: "fp32" | "q8";
  /** The folder also holds onnx/model_cpu[_quantized].onnx (see cpuOptimizedSession). */
  cpuOptimized?: boolean;
}

/**
 * Our embedded models ship each ONNX file twice: as exported, and optimized offline for ONNX
 * Runtime's CPU kernels by tools/optimize_onnx.mjs (the runtime's own "extended" graph optimizer,
 * run once). On wasm and Node's cpu the optimized file loads with the optimizer off: in a browser
 * the optimizer is most of a session's creation (its code compiles lazily on first use), ~0.4 s
 * of each cold start, at the same decode speed. WebGPU loads the exported file (its kernels fuse
 * differently). Returns the options for Transformers.js's from_pretrained / pipeline.
 */
export function cpuOptimizedSession(device: Exclude<Device, "remote">, cpuOptimized: boolean | undefined): { model_file_name?: string; session_options?: { graphOptimizationLevel: "disabled" } } {
  return cpuOptimized && device !== "webgpu" ? { model_file_name: CPU_MODEL_FILE, session_options: { graphOptimizationLevel: "disabled" } } : {};
}

/** The optimized file's base name (Transformers.js appends "_quantized" for q8). */
export const CPU_MODEL_FILE = "model_cpu";

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

const libraryFetch = env.fetch;

/**
 * The fetch Transformers.js loads files with (engines and embedders). A file on our own origin
 * bypasses the HTTP cache: the library asks for each file twice (its metadata probe neither reads
 * nor cancels the first response), so through the HTTP cache the second request shares the first
 * one's unfinished cache entry, and Chromium fails it with ERR_CACHE_WRITE_FAILURE ("network
 * error") once the file is a few MB and the profile's cache lives in memory (incognito windows).
 * Offline caching is the service worker's job (its precache holds our models).
 */
export function fetchForLoad(input: string | URL, init?: RequestInit): Promise<Response> {
  const here = (globalThis as { location?: { href: string; origin: string } }).location;
  const url = here === undefined ? null : new URL(String(input), here.href);
  const local = url !== null && url.origin === here!.origin;
  const fetchNow = () => (libraryFetch as (input: string | URL, init?: RequestInit) => Promise<Response>)(input, local ? { ...init, cache: "no-store" } : init);
  const early = url && (init?.method ?? "GET") === "GET" ? prefetched.get(url.href) : undefined;
  if (!early) return fetchNow();
  // Each ask gets its own Response over the bytes; a prefetch that failed is fetched again.
  return early.then((file) => new Response(file.bytes, { status: file.status, headers: file.headers }), fetchNow);
}

interface PrefetchedFile {
  status: number;
  headers: Headers;
  bytes: ArrayBuffer;
}

/**
 * Files fetched before Transformers.js asks for them, by absolute URL. The library fetches a
 * model's files one after another (config, then tokenizer, then weights, each twice) and only
 * once ONNX Runtime has started, which blocks the worker's thread for a while: fetched side by
 * side at the start of the load they are in memory by then, and downloaded once. Only files of
 * our own origin; forgotten when the load ends (see forgetPrefetched).
 */
const prefetched = new Map<string, Promise<PrefetchedFile>>();

/** Starts fetching `paths` (root-relative, on our origin) for the load about to run. */
export function prefetchForLoad(paths: readonly string[]): void {
  const here = (globalThis as { location?: { href: string; origin: string } }).location;
  if (here === undefined) return;
  for (const path of paths) {
    const url = new URL(path, here.href);
    if (url.origin !== here.origin || prefetched.has(url.href)) continue;
    const file = (libraryFetch as (input: string) => Promise<Response>)(url.href).then(async (response) => {
      const bytes = await response.arrayBuffer();
      const headers = new Headers({ "content-length": String(bytes.byteLength) });
      const type = response.headers.get("content-type");
      if (type) headers.set("content-type", type);
      return { status: response.status, headers, bytes };
    });
    file.catch(() => undefined);
    prefetched.set(url.href, file);
  }
}

/** Drops what prefetchForLoad kept (the load it was for has ended). */
export function forgetPrefetched(): void {
  prefetched.clear();
}

/**
 * Starts ONNX Runtime (fetching and compiling its wasm, ~14 MB) while the weights download,
 * instead of after: a session over a zero-byte model makes it initialize its backend, then fails
 * to parse, which is the expected outcome. Once per worker.
 */
let runtimeStarting: Promise<void> | null = null;
function startRuntimeEarly(): void {
  // The same module instance the library runs on (its own import of onnxruntime-web/webgpu).
  runtimeStarting ??= import("onnxruntime-web/webgpu")
    .then(({ InferenceSession }) => InferenceSession.create(new Uint8Array(0), { executionProviders: ["wasm"] }))
    .then(
      () => undefined,
      () => undefined,
    );
}

function configureEnvironment(options: TransformersEngineOptions): void {
  env.fetch = fetchForLoad as typeof env.fetch;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = options.modelBaseUrl;
  // Our own files: the service worker keeps them for offline use; a second copy in the library's
  // Cache API would cost their size on disk and ~0.1 s of every first load (written as read).
  env.useBrowserCache = false;
  const wasm = env.backends.onnx.wasm;
  if (options.wasmPaths && wasm) {
    wasm.wasmPaths = { ...options.wasmPaths };
    wasm.proxy = false;
    // ONNX Runtime fetches its own wasm (compiling while it downloads); the library's copy in the
    // Cache API would fetch it a second time. Offline, the service worker serves it.
    env.useWasmCache = false;
    // (WebGPU refuses a second session while one is being created, so it starts with the model.)
    if (options.device === "wasm") startRuntimeEarly();
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
    // The tokenizer and the weights load side by side (the weights' fetch and ONNX Runtime's start dominate).
    const [tokenizer, model] = await Promise.allSettled([
      AutoTokenizer.from_pretrained(spec.path, { progress_callback }),
      AutoModelForCausalLM.from_pretrained(spec.path, { device: options.device, dtype: spec.dtype, progress_callback, ...cpuOptimizedSession(options.device, spec.cpuOptimized) }) as Promise<PreTrainedModel>,
    ]);
    if (tokenizer.status === "rejected" || model.status === "rejected") {
      if (model.status === "fulfilled") await model.value.dispose();
      throw tokenizer.status === "rejected" ? tokenizer.reason : (model as PromiseRejectedResult).reason;
    }
    return new TransformersEngine(modelId, options.device, tokenizer.value, model.value);
  } catch (error) {
    throw new KernelError("ELOAD", `could not load ${modelId} from ${options.modelBaseUrl}${spec.path}: ${(error as Error).message}`, { cause: error });
  } finally {
    forgetPrefetched();
  }
}

export class TransformersEngine implements Engine, Batcher {
  readonly name = "transformers" as const;
  readonly maxBatch = MAX_BATCH;
  /** Bytes of the largest batched call's packed caches (inputs and outputs), for the monitor and the bench. */
  peakBatchBytes = 0;
  /** Its models write tool calls as text (the kernel parses them); a reply can be prefilled. */
  readonly supportsPrefill = true;
  /** Its decode loop masks logits with XGrammar (response formats and tool calls, see start()). */
  readonly constrainsOutput = true;
  readonly contextLength: number;
  private readonly eosIds: Set<number>;
  /** Matches the tokenizer's special tokens' strings in text (see asPlainText). */
  private readonly specialTokenPattern: RegExp | null;
  /** The tokenizer's vocabulary for XGrammar, prepared on the first constrained request. */
  private vocabulary: Promise<GrammarVocabulary> | null = null;
  /** Compiled formats by their JSON, most recently used last (a tool loop offers the same tools every step). */
  private readonly formats = new Map<string, Promise<CompiledFormat>>();

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
    const specials = ((tokenizer as unknown as { all_special_tokens?: string[] }).all_special_tokens ?? []).filter((t) => t.length > 1);
    this.specialTokenPattern = specials.length ? new RegExp(specials.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g") : null;
  }

  /**
   * Prompt token ids exactly as the model's chat template renders them. Offered tools go to the
   * template (`tools`); earlier tool calls are rendered back into the `<tool_call>` text the model
   * wrote.
   */
  encodeChat(messages: ChatMessage[], tools?: ToolSpec[]): number[] {
    const rendered = messages.map((m) => ({
      role: m.role,
      content: this.asPlainText(m.role === "assistant" && m.tool_calls?.length ? renderAssistantTurn(m.content, m.tool_calls) : m.content),
    }));
    const encoded = this.tokenizer.apply_chat_template(rendered as never, {
      add_generation_prompt: true,
      tokenize: true,
      return_tensor: false,
      return_dict: false,
      ...(tools?.length ? { tools: tools as never } : {}),
    }) as unknown as number[] | { input_ids: number[] };
    return Array.from(Array.isArray(encoded) ? encoded : encoded.input_ids, Number);
  }

  /**
   * The prompt a generation starts from. Continuing a final assistant message renders the turns
   * before it with the generation prompt, then the reply's text as it stands (no end of turn).
   */
  encodePrompt(messages: ChatMessage[], continueFinal = false, tools?: ToolSpec[]): number[] {
    if (!continueFinal) return this.encodeChat(messages, tools);
    return [...this.encodeChat(messages.slice(0, -1), tools), ...this.encodeReply(messages)];
  }

  /** The tokens of a final assistant message being continued. */
  private encodeReply(messages: ChatMessage[]): number[] {
    return this.tokenizer.encode(this.asPlainText(messages.at(-1)!.content), { add_special_tokens: false });
  }

  /**
   * Message text can hold a special token's string: a web page, a file or a tool result saying
   * "<|im_end|><|im_start|>system …" would be read by the tokenizer as those tokens and forge a
   * turn. A word joiner (U+2060) after each such string's first character keeps the text readable
   * and makes it plain text. Invariant: only the template puts special tokens into a prompt.
   */
  private asPlainText(text: string): string {
    return this.specialTokenPattern ? text.replace(this.specialTokenPattern, (t) => `${t[0]}\u2060${t.slice(1)}`) : text;
  }

  async countTokens(messages: ChatMessage[], tools?: ToolSpec[]): Promise<number> {
    return this.encodeChat(messages, tools).length;
  }

  decode(ids: number[]): string {
    return ids.length === 0 ? "" : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  async generate(params: GenerateParams): Promise<GenerateResult> {
    const generation = await this.start(params);
    await generation.step(Infinity);
    return generation.finish();
  }

  /** A generation that decodes in slices; between slices it holds its KV cache (or spills it). */
  async start(params: GenerateParams): Promise<TransformersGeneration> {
    if (!this.model) throw new KernelError("ENOTREADY", `${this.modelId} was unloaded`);
    const prompt = this.encodePrompt(params.messages, params.continueFinal, params.tools);
    const room = this.contextLength - prompt.length;
    if (room < 1) {
      throw new KernelError("EINVAL", `messages: the prompt is ${prompt.length} tokens; ${this.modelId} holds ${this.contextLength} in all`);
    }
    const format = params.unconstrained ? null : outputFormatFor(params);
    // A continued reply's text so far is output the format must already accept.
    const constraint = format ? await (await this.compiledFormat(format)).constraintAfter(params.continueFinal ? this.encodeReply(params.messages) : []) : null;
    // Caches stay on the CPU on wasm and in Node, where a batch packs them; WebGPU keeps them in GPU buffers.
    const batcher = this.device === "webgpu" ? undefined : this;
    return new TransformersGeneration(this, this.model, prompt, Math.min(params.maxTokens, room), params, this.eosIds, this.kvBytesPerToken, constraint, batcher);
  }

  /** The tokenizer's vocabulary for XGrammar (its stop tokens end an output; other special tokens never appear in one). */
  grammarVocabulary(): Promise<GrammarVocabulary> {
    this.vocabulary ??= (async () => {
      const vocab = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
      const tokens: string[] = [];
      for (const [token, id] of vocab instanceof Map ? vocab.entries() : Object.entries(vocab)) tokens[id] = token;
      for (let i = 0; i < tokens.length; i++) tokens[i] ??= "";
      const specials = ((this.tokenizer as unknown as { all_special_ids?: number[] }).all_special_ids ?? []).map(Number);
      return GrammarVocabulary.create(tokens, vocabularyKind(tokens), [...this.eosIds], specials);
    })();
    this.vocabulary.catch(() => (this.vocabulary = null));
    return this.vocabulary;
  }

  private compiledFormat(format: OutputFormat): Promise<CompiledFormat> {
    const key = JSON.stringify(format);
    let compiled = this.formats.get(key);
    if (compiled) this.formats.delete(key);
    else {
      compiled = this.grammarVocabulary().then((v) => v.compile(format));
      compiled.catch(() => this.formats.get(key) === compiled && this.formats.delete(key));
    }
    this.formats.set(key, compiled);
    // An evicted format's grammar is freed; a generation still using it compiles it again if it must replay.
    while (this.formats.size > FORMAT_CACHE) {
      const [oldest, evicted] = this.formats.entries().next().value!;
      this.formats.delete(oldest);
      evicted.then((f) => f.dispose(), () => undefined);
    }
    return compiled;
  }

  /**
   * Continuous batching. Each round gives every live member one token: members with several
   * pending tokens (a prompt, or a re-prefill after a spill) run alone, the others in one call.
   * Their caches are packed once, right-padded to the longest (mask 0 on the padding, each its
   * own position ids), and stay packed from call to call — each call appends one column — until
   * the members change (one ends or another joins) or the slice ends; then each member's cache is
   * cut back to its own tokens. So between slices every cache is exactly as long as its text, and
   * a member can leave, be spilled or be killed at any boundary.
   * With fp32 weights this gives the alone run's tokens; the logits can differ in the last bits,
   * because the padding changes the order in which the softmax sums.
   */
  async stepMany(generations: readonly Generation[], n: number, interrupt: () => boolean): Promise<void> {
    const members = generations as TransformersGeneration[];
    let packed: PackedBatch | null = null;
    try {
      for (let round = 0; round < n; round++) {
        const live = members.filter((g) => g.wantsToken());
        if (live.length === 0) return;
        const together: TransformersGeneration[] = [];
        for (const g of live) {
          if (packed?.members.includes(g) || g.batchable) together.push(g);
          else await g.accept(await g.forwardAlone());
        }
        if (packed && (packed.members.length !== together.length || packed.members.some((g, i) => g !== together[i]))) {
          unpackBatch(packed);
          packed = null;
        }
        if (together.length === 1) await together[0]!.accept(await together[0]!.forwardAlone());
        else if (together.length > 1) {
          packed ??= packBatch(together);
          const logits = await this.forwardPacked(packed);
          for (const [i, g] of together.entries()) await g.accept(logits[i]!);
        }
        await yieldSometimes();
        if (interrupt()) return;
      }
    } finally {
      if (packed) unpackBatch(packed);
    }
  }

  /** One call for every member of a packed batch; the presents become its cache, one column longer. */
  private async forwardPacked(packed: PackedBatch): Promise<Float32Array[]> {
    const { members, width } = packed;
    const mask = new BigInt64Array(members.length * (width + 1));
    members.forEach((_, b) => {
      mask.set(packed.mask.subarray(b * width, (b + 1) * width), b * (width + 1));
      mask[b * (width + 1) + width] = 1n;
    });
    const out = (await this.model!.forward({
      input_ids: int64Tensor(members.map((g) => g.pendingToken), [members.length, 1]),
      attention_mask: new Tensor("int64", mask, [members.length, width + 1]),
      position_ids: int64Tensor(members.map((g) => g.pastLength), [members.length, 1]),
      past_key_values: new DynamicCache(packed.cache),
    })) as LogitsOutput;
    const presents: Cache = {};
    for (const name in out) if (name.startsWith("present")) presents[name.replace("present", "past_key_values")] = out[name]!;
    const bytes = [...Object.values(packed.cache), ...Object.values(presents)].reduce((sum, t) => sum + (t.data as Float32Array).byteLength, 0);
    this.peakBatchBytes = Math.max(this.peakBatchBytes, bytes);
    Object.assign(packed, { cache: presents, mask, width: width + 1 });
    const vocab = out.logits.dims.at(-1)!;
    const data = out.logits.data as Float32Array;
    return members.map((_, b) => data.subarray(b * vocab, (b + 1) * vocab));
  }

  /**
   * Median milliseconds of one decode call (one new token per row over `past` cached tokens of
   * zeros) for each batch size, interleaved over `reps` rounds: what batching costs per call.
   */
  async timeDecodeCalls(batches: number[], past: number, reps: number): Promise<Record<number, number>> {
    const c = this.model!.config as unknown as Record<string, number>;
    const heads = c.num_key_value_heads ?? c.num_attention_heads!;
    const dim = c.head_dim ?? c.hidden_size! / c.num_attention_heads!;
    const times: Record<number, number[]> = {};
    for (let r = 0; r < reps; r++) {
      for (const b of batches) {
        const cache: Cache = {};
        for (let l = 0; l < c.num_hidden_layers!; l++) for (const kv of ["key", "value"]) cache[`past_key_values.${l}.${kv}`] = new Tensor("float32", new Float32Array(b * heads * past * dim), [b, heads, past, dim]);
        const started = performance.now();
        await this.model!.forward({
          input_ids: int64Tensor(Array(b).fill(1), [b, 1]),
          attention_mask: new Tensor("int64", new BigInt64Array(b * (past + 1)).fill(1n), [b, past + 1]),
          position_ids: int64Tensor(Array(b).fill(past), [b, 1]),
          past_key_values: new DynamicCache(cache),
        });
        (times[b] ??= []).push(performance.now() - started);
      }
    }
    return Object.fromEntries(batches.map((b) => [b, times[b]!.sort((x, y) => x - y)[times[b]!.length >> 1]!]));
  }

  /** Bytes of KV cache one token holds: 2 (key, value) x layers x kv heads x head dim x 4 (f32). */
  private get kvBytesPerToken(): number {
    const c = this.model!.config as unknown as Record<string, number>;
    const heads = c.num_key_value_heads ?? c.num_attention_heads!;
    const headDim = c.head_dim ?? c.hidden_size! / c.num_attention_heads!;
    return 2 * c.num_hidden_layers! * heads * headDim * 4;
  }

  async unload(): Promise<void> {
    const model = this.model;
    this.model = null;
    await model?.dispose();
  }
}

/**
 * One generation's state: prompt, tokens so far, sampler, text stream and (while resident) the KV
 * cache. Invariant: `output` tokens are exactly those an uninterrupted run would have produced —
 * resuming from the cache feeds the pending token; resuming after a spill re-prefills
 * prompt + output (a text-based snapshot), which is the same computation for fp32 models.
 */
export class TransformersGeneration implements Generation {
  private readonly started = performance.now();
  private readonly rng;
  private readonly stream;
  private readonly output: number[] = [];
  private cache: DynamicCache | null = null;
  /** Tokens not yet run through the model (the prompt, then each sampled token). */
  private feed: number[];
  private firstTokenAt = 0;
  private finishReason: GenerateResult["finishReason"] = "length";
  /** Incremental detokenization (as in TGI): text of output[0, readOffset) is settled in `text`. */
  private text = "";
  private prefixOffset = 0;
  private readOffset = 0;
  /** Milliseconds spent computing grammar masks. */
  private grammarMs = 0;
  done = false;

  constructor(
    private readonly engine: TransformersEngine,
    private readonly model: PreTrainedModel,
    private readonly prompt: number[],
    private readonly maxTokens: number,
    private readonly params: GenerateParams,
    private readonly eosIds: ReadonlySet<number>,
    private readonly kvBytesPerToken: number,
    /**
     * The output's grammar, or null. It lives as long as the generation and is part of its
     * snapshot: a spill keeps it (a few KB), and it equals one rebuilt from `output`.
     */
    private readonly constraint: Constraint | null,
    readonly batcher?: Batcher,
  ) {
    this.rng = createRng(params.seed);
    this.stream = new TextStream(params.stop);
    this.feed = prompt;
    this.done = maxTokens < 1;
  }

  get tokens(): number {
    return this.output.length;
  }

  get promptTokens(): number {
    return this.prompt.length;
  }

  /** Bytes held by the KV cache now (0 when spilled). */
  get cacheBytes(): number {
    return this.cache ? this.pastLength * this.kvBytesPerToken : 0;
  }

  async step(n: number): Promise<void> {
    for (let i = 0; i < n && this.wantsToken(); i++) {
      await this.accept(await this.forwardAlone());
      await yieldSometimes();
    }
  }

  /** Before a model call: ends the generation on an abort or at its limit; true if it needs a token. */
  wantsToken(): boolean {
    if (this.done) return false;
    if (this.params.signal.aborted) this.end("abort");
    else if (this.output.length >= this.maxTokens) this.end("length");
    return !this.done;
  }

  /** The next model call is one token on a resident CPU cache: it can join a batch. */
  get batchable(): boolean {
    return this.feed.length === 1 && this.cache !== null && Object.values(this.cache).every((t) => (t as Tensor).location === "cpu");
  }

  /** Runs the pending tokens (a prompt, a re-prefill, or the last sampled token) alone; returns the next token's logits. */
  async forwardAlone(): Promise<Float32Array> {
    const past = this.pastLength;
    const out = (await this.model.forward({
      input_ids: int64Tensor(this.feed, [1, this.feed.length]),
      attention_mask: onesTensor(past + this.feed.length),
      position_ids: int64Tensor(this.feed.map((_, j) => past + j), [1, this.feed.length]),
      past_key_values: this.cache,
    })) as LogitsOutput;
    this.cache = updateCache(out, this.cache);
    const vocab = out.logits.dims.at(-1)!;
    const data = out.logits.data as Float32Array;
    return data.subarray(data.length - vocab);
  }

  /** Tokens in the KV cache. */
  get pastLength(): number {
    return this.prompt.length + this.output.length - this.feed.length;
  }

  /** Hands the resident cache to a batch (the generation holds none until it is given back). */
  takeCache(): Cache {
    const cache = this.cache!;
    this.cache = null;
    return cache as unknown as Cache;
  }

  /** The pending token, for a batched call. */
  get pendingToken(): number {
    return this.feed[0]!;
  }

  /** A batch gives the generation its cache back: exactly its own tokens, the pending one not included. */
  giveCache(entries: Cache): void {
    this.cache = new DynamicCache(entries);
  }

  /**
   * Takes the next token's logits: masks them by the grammar (if any), samples, streams the
   * token's text, ends at EOS, a stop string or the limit.
   */
  async accept(logits: Float32Array): Promise<void> {
    if (this.constraint) {
      const started = performance.now();
      await this.constraint.mask(logits);
      this.grammarMs += performance.now() - started;
    }
    const next = sampleToken(logits, this.params, this.rng);
    this.firstTokenAt ||= performance.now();
    if (this.constraint && !(await this.constraint.accept(next))) throw new KernelError("EINTERNAL", `the grammar refused token ${next}, which its mask allowed`);
    if (this.eosIds.has(next)) return this.end("stop");
    this.output.push(next);
    const delta = this.stream.push(this.decodeIncrementally());
    if (delta) this.params.onText?.(delta);
    if (this.stream.stopped) return this.end("stop");
    this.feed = [next];
    if (this.output.length >= this.maxTokens) return this.end("length");
  }

  /**
   * The whole text so far, decoding only a short window of recent tokens per step: a token's text
   * is settled once decoding it with its predecessor no longer ends in an incomplete character.
   */
  private decodeIncrementally(): string {
    const prefix = this.engine.decode(this.output.slice(this.prefixOffset, this.readOffset));
    const window = this.engine.decode(this.output.slice(this.prefixOffset));
    if (window.length > prefix.length && !window.endsWith("\uFFFD")) {
      this.text += window.slice(prefix.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.output.length;
      return this.text;
    }
    return this.text + window.slice(prefix.length);
  }

  /** Drops the KV cache, keeping the tokens: the next step re-prefills them. */
  async spill(): Promise<void> {
    if (!this.cache) return;
    const cache = this.cache;
    this.cache = null;
    this.feed = [...this.prompt, ...this.output];
    await cache.dispose();
  }

  async finish(): Promise<GenerateResult> {
    if (!this.done) this.end(this.params.signal.aborted ? "abort" : "length");
    await this.spill();
    this.constraint?.dispose();
    const tail = this.stream.finish(this.engine.decode(this.output));
    if (tail) this.params.onText?.(tail);
    const finished = performance.now();
    return {
      text: this.stream.final,
      finishReason: this.finishReason,
      promptTokens: this.prompt.length,
      completionTokens: this.output.length,
      tokenIds: [...this.output],
      ...(this.constraint ? { grammarMs: this.grammarMs } : {}),
      timeToFirstTokenMs: (this.firstTokenAt || finished) - this.started,
      totalMs: finished - this.started,
    };
  }

  private end(reason: GenerateResult["finishReason"]): void {
    this.done = true;
    this.finishReason = reason;
  }
}

/** Compiled formats kept per engine (each a few hundred KB at most for our vocabularies). */
const FORMAT_CACHE = 16;

/** The most generations one batched call decodes (the scheduler's maxBatch can only lower it). */
const MAX_BATCH = 16;

type Cache = Record<string, Tensor>;

/**
 * Packs caches of [1, heads, len_b, dim] into [B, heads, longest, dim] per entry, each member's
 * tokens first and zeros after (masked out).
 */
export function packCaches(caches: readonly Cache[], lengths: readonly number[], longest: number): Cache {
  const packed: Cache = {};
  for (const name of Object.keys(caches[0]!)) {
    if (!name.startsWith("past_key_values.")) continue;
    const [, heads, , dim] = caches[0]![name]!.dims as [number, number, number, number];
    const first = caches[0]![name]!.data as Float32Array;
    const data = new (first.constructor as Float32ArrayConstructor)(caches.length * heads * longest * dim);
    caches.forEach((cache, b) => {
      const src = cache[name]!.data as Float32Array;
      const len = lengths[b]!;
      for (let h = 0; h < heads; h++) data.set(src.subarray(h * len * dim, (h + 1) * len * dim), (b * heads + h) * longest * dim);
    });
    packed[name] = new Tensor(caches[0]![name]!.type, data, [caches.length, heads, longest, dim]);
  }
  return packed;
}

/** Members decoding together: their caches packed [B, heads, width, dim], `mask` [B, width] (1 = a real token). */
interface PackedBatch {
  members: TransformersGeneration[];
  cache: Cache;
  mask: BigInt64Array;
  width: number;
}

function packBatch(members: TransformersGeneration[]): PackedBatch {
  const lengths = members.map((g) => g.pastLength);
  const width = Math.max(...lengths);
  const mask = new BigInt64Array(members.length * width);
  lengths.forEach((len, b) => mask.fill(1n, b * width, b * width + len));
  return { members, cache: packCaches(members.map((g) => g.takeCache()), lengths, width), mask, width };
}

/** Gives each member its own cache back, cut to its real tokens. */
function unpackBatch(packed: PackedBatch): void {
  const caches = unpackCaches(packed.cache, packed.mask, packed.width);
  packed.members.forEach((g, b) => g.giveCache(caches[b]!));
}

/**
 * The inverse of packCaches after calls have appended columns: row b of each [B, heads, width,
 * dim] entry becomes [1, heads, len_b, dim] holding the positions whose mask is 1, in order (its
 * own tokens first, then those the calls appended after the padding).
 */
export function unpackCaches(packed: Cache, mask: BigInt64Array, width: number): Cache[] {
  const rows = mask.length / width;
  const runs: Array<Array<[number, number]>> = [];
  for (let b = 0; b < rows; b++) {
    const row: Array<[number, number]> = [];
    for (let j = 0; j < width; j++) {
      if (mask[b * width + j] !== 1n) continue;
      const last = row.at(-1);
      if (last && last[1] === j) last[1] = j + 1;
      else row.push([j, j + 1]);
    }
    runs.push(row);
  }
  const caches: Cache[] = runs.map(() => ({}));
  for (const name in packed) {
    const [, heads, , dim] = packed[name]!.dims as [number, number, number, number];
    const src = packed[name]!.data as Float32Array;
    runs.forEach((row, b) => {
      const len = row.reduce((sum, [from, to]) => sum + to - from, 0);
      const data = new (src.constructor as Float32ArrayConstructor)(heads * len * dim);
      for (let h = 0; h < heads; h++) {
        let at = h * len * dim;
        for (const [from, to] of row) {
          const base = (b * heads + h) * width;
          data.set(src.subarray((base + from) * dim, (base + to) * dim), at);
          at += (to - from) * dim;
        }
      }
      caches[b]![name] = new Tensor(packed[name]!.type, data, [1, heads, len, dim]);
    });
  }
  return caches;
}

/** How long a decode loop may run before it returns to the event loop (interrupts, new requests). */
const YIELD_EVERY_MS = 4;

let lastYield = performance.now();

/**
 * Returns to the event loop once YIELD_EVERY_MS have passed since the last time (interrupts, new
 * requests). One timer for the module: the scheduler runs one decode loop at a time.
 */
async function yieldSometimes(): Promise<void> {
  if (performance.now() - lastYield >= YIELD_EVERY_MS) {
    await yieldToEventLoop();
    lastYield = performance.now();
  }
}

let ones = new BigInt64Array(0);

/** An all-ones [1, n] int64 mask, a view on one shared buffer (no per-token BigInt conversions). */
function onesTensor(n: number): Tensor {
  if (ones.length < n) ones = new BigInt64Array(Math.max(n, ones.length * 2, 256)).fill(1n);
  return new Tensor("int64", ones.subarray(0, n), [1, n]);
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
