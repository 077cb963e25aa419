/**
 * The one interface every LLM backend implements (one file each under engines/). The kernel only
 * talks to this; an engine knows nothing about workers, comlink or the page.
 */
export type Device = "webgpu" | "wasm" | "cpu" | "remote";
export type EngineName = "transformers" | "web-llm" | "remote";
export type Role = "system" | "user" | "assistant" | "tool";

/** A function call the model made (OpenAI's shape; `arguments` is a JSON text). */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool a request offers the model (an OpenAI `tools` entry). */
export interface ToolSpec {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** "auto": the model may call an offered tool; "required": it must call one; or that one. */
export type ToolChoice = "auto" | "required" | { type: "function"; function: { name: string } };

export interface ChatMessage {
  role: Role;
  /** Text ("" for an assistant turn that only calls tools). */
  content: string;
  /** An assistant turn's tool calls. */
  tool_calls?: ToolCall[];
  /** A tool message answers this call. */
  tool_call_id?: string;
}

export interface LoadProgress {
  modelId: string;
  /** 0..1 over the whole load (download + initialisation). */
  progress: number;
  /** Bytes so far and in all, where the engine knows them. */
  loaded?: number;
  total?: number;
  text: string;
}

export interface GenerateParams {
  messages: ChatMessage[];
  maxTokens: number;
  /** 0 means greedy. */
  temperature: number;
  topP: number;
  seed?: number;
  stop: string[];
  signal: AbortSignal;
  /**
   * The last message is a partial assistant reply: the completion continues its text (a prefill)
   * instead of answering it. A text-based snapshot resumes a generation this way.
   */
  continueFinal?: boolean;
  /** Called with each new piece of text as it is decoded; pieces joined equal the final text. */
  onText?: (delta: string) => void;
  /**
   * Tools offered to the model. Engines whose backend speaks OpenAI tools (remote servers) pass
   * them through and return `toolCalls`; the others render them into the prompt (the model's chat
   * template) and the kernel parses `<tool_call>` text out of the reply.
   */
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** false: at most one tool call per reply (OpenAI's `parallel_tool_calls`). */
  parallelToolCalls?: boolean;
  /** The reply must be JSON (matching a schema): `response_format`. */
  responseFormat?: ResponseFormat;
  /**
   * Decode without the grammar even where the engine has one (the bench measures what the mask
   * buys; the kernel never sets it).
   */
  unconstrained?: boolean;
}

/** `response_format` as the kernel passes it to an engine (see output-format.ts). */
export type ResponseFormat = { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict: boolean };

export type FinishReason = "stop" | "length" | "abort" | "tool_calls";

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Token ids of the completion, when the engine exposes them. */
  tokenIds?: number[];
  /** Tool calls the backend returned natively (engines with `nativeTools`). */
  toolCalls?: ToolCall[];
  /** Milliseconds spent computing grammar masks (engines that constrain their decoding). */
  grammarMs?: number;
  /** Milliseconds from start to first token and for the whole call. */
  timeToFirstTokenMs: number;
  totalMs: number;
}

/**
 * A generation the scheduler can run in slices (preemptible at a token boundary). Between slices
 * it keeps its KV cache (a KV-preserving snapshot) unless spilled, after which the next slice
 * re-prefills its text (a text-based snapshot).
 */
export interface Generation {
  readonly done: boolean;
  /** Completion tokens so far. */
  readonly tokens: number;
  readonly promptTokens: number;
  /** Bytes of KV cache held while suspended (0 once spilled). */
  readonly cacheBytes: number;
  /** Set where this generation can decode in one batch with others of the same batcher. */
  readonly batcher?: Batcher;
  /** Decodes up to `n` more tokens; ends early at a stop, the limit or an abort. */
  step(n: number): Promise<void>;
  spill(): Promise<void>;
  /** Releases everything and returns the result (call once, also after an abort). */
  finish(): Promise<GenerateResult>;
}

/**
 * Decodes several generations of one model together: one model call per token for all of them
 * (continuous batching). Members join and leave between tokens.
 */
export interface Batcher {
  /** The most generations one call decodes together. */
  readonly maxBatch: number;
  /** Bytes of the largest batched call's packed caches, inputs and outputs (what batching costs in memory). */
  readonly peakBatchBytes: number;
  /**
   * Decodes up to `n` more tokens of every generation (each of its own batcher); each one ends
   * exactly where it would alone (stop, limit, abort) and the others go on. Returns early, at a
   * token boundary, once `interrupt()` is true.
   */
  stepMany(generations: readonly Generation[], n: number, interrupt: () => boolean): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  readonly modelId: string;
  readonly device: Device;
  /** The model's context window in tokens, where the engine knows it. */
  readonly contextLength?: number;
  /** The backend takes OpenAI `tools` and returns `tool_calls` itself (else the kernel parses text). */
  readonly nativeTools?: boolean;
  /**
   * The engine decodes under a grammar: a reply with a `responseFormat` is valid JSON matching it,
   * and a tool call (of prompted tools) names an offered tool with arguments matching its schema,
   * by construction. Replies of other engines are checked by the kernel afterwards.
   */
  readonly constrainsOutput?: boolean;
  /** The engine continues a final assistant message (`continueFinal`), so the kernel may prefill a reply. */
  readonly supportsPrefill?: boolean;
  generate(params: GenerateParams): Promise<GenerateResult>;
  /** Engines that can decode in slices offer this; the others run each request whole. */
  start?(params: GenerateParams): Promise<Generation>;
  countTokens(messages: ChatMessage[], tools?: ToolSpec[]): Promise<number>;
  unload(): Promise<void>;
}

/** Loads a model into a fresh engine instance; progress reaches the caller while it downloads. */
export type EngineLoader = (modelId: string, onProgress: (p: LoadProgress) => void) => Promise<Engine>;
