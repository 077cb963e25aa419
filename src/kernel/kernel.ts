/**
 * The kernel: owns the loaded engine, serves OpenAI-shaped chat requests one at a time (FIFO),
 * swaps models, and interrupts generations. Pure TypeScript; workers/ exposes it over comlink.
 *
 * Invariants:
 * - `engine` is always a fully loaded engine or null (before boot); a failed load never replaces it.
 * - At most one generation runs at a time; the rest wait in `queue` order.
 * - Every public method either succeeds or throws a KernelError; none leaves the kernel wedged.
 */
import {
  newCompletionId,
  usageOf,
  validateChatRequest,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ValidatedChatRequest,
} from "./chat.ts";
import type { ChatMessage, Device, Engine, EngineName, GenerateParams, LoadProgress } from "./engine.ts";
import { KernelError, toKernelError } from "./errors.ts";
import type { ModelInfo, ModelSource } from "./models.ts";
import { ProcessTable, validateSpawn, type Process, type ProcessInfo } from "./process.ts";
import { Scheduler, validatePolicy, type PolicyConfig, type RequestStats } from "./scheduler.ts";
import { MemoryManager } from "./memory/memory.ts";
import type { Embedder } from "./embedders/embedder.ts";
import type { FileStore } from "./storage/files.ts";

export interface EmbedderInfo {
  id: string;
  label: string;
  dim: number;
  /** Shipped with the app (no download). */
  embedded: boolean;
  /** Downloaded already (or embedded). */
  cached: boolean;
  downloadMB: number;
  loaded?: boolean;
}

export interface EmbedderSource {
  list(): Promise<EmbedderInfo[]>;
  load(id: string, onProgress: (p: LoadProgress) => void): Promise<Embedder>;
}

export interface KernelInfo {
  engine: EngineName;
  model: string;
  device: Device;
}

export interface KernelStats {
  /** Models loaded since the kernel started (a second tab attaching adds none). */
  loads: number;
  requests: number;
  last?: GenerationStats;
  policy: PolicyConfig;
  contextSwitches: number;
  /** The most recent requests, oldest first: queueing, first token, run slices, preemptions. */
  history: RequestStats[];
}

export interface GenerationStats {
  model: string;
  promptTokens: number;
  completionTokens: number;
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Completion tokens after the first, per second of decoding. */
  decodeTokensPerSecond: number;
}

export interface ChatCallOptions {
  /** The calling process; default: the shell (pid 1). */
  pid?: number;
  /** Names this request for interrupt(id). */
  requestId?: string;
  /** Receives chunks when the request has stream: true. */
  onChunk?: (chunk: ChatCompletionChunk) => void;
}

const DEFAULT_MAX_TOKENS = 256;

export class Kernel {
  private engine: Engine | null = null;
  private loading: string | null = null;
  readonly scheduler = new Scheduler();
  private readonly running = new Map<string, { controller: AbortController; pid: number }>();
  private readonly stats: Pick<KernelStats, "loads" | "requests" | "last"> = { loads: 0, requests: 0 };
  private requestCounter = 0;
  readonly procs = new ProcessTable();
  /** pid 1: the shell, which `chat` without a pid runs as. */
  readonly shellPid: number;

  /** The file system (IndexedDB), once mounted; apps' files live in their name's namespace. */
  private files: FileStore | null = null;
  private filesProblem = "the file system is not mounted";
  /** Context windows as memory: conversations, paging, core blocks, recall (on the file system). */
  readonly memory = new MemoryManager(this);

  constructor(private readonly sources: ModelSource[]) {
    this.shellPid = this.procs.spawn({ name: "shell" }).pid;
  }

  /** Where embedding models come from (the worker supplies Transformers.js's catalog). */
  private embedders: EmbedderSource | null = null;

  setEmbedderSource(source: EmbedderSource): void {
    this.embedders = source;
  }

  async listEmbedders(): Promise<EmbedderInfo[]> {
    const current = this.files?.embedderId ?? null;
    return (await this.embedders?.list())?.map((e) => ({ ...e, loaded: e.id === current })) ?? [];
  }

  /** Loads an embedding model and gives it to the file system (vector and hybrid search, recall). */
  async loadEmbedder(id: unknown, onProgress: (p: LoadProgress) => void = () => {}): Promise<EmbedderInfo> {
    if (typeof id !== "string" || id.length === 0 || id.length > 256) throw new KernelError("EINVAL", "id: must be an embedding model id string");
    if (!this.embedders) throw new KernelError("ENOTSUP", "this kernel has no embedding models");
    if (!this.files) throw new KernelError("ENOTREADY", this.filesProblem);
    const entry = (await this.embedders.list()).find((e) => e.id === id);
    if (!entry) throw new KernelError("ENOENT", `id: no embedding model ${id} (see aios.embedders.list())`);
    if (this.files.embedderId === id) return { ...entry, loaded: true };
    // One load at a time, chat models included (Transformers.js's settings are global).
    if (this.loading) throw new KernelError("EBUSY", `a load of ${this.loading} is already running`);
    this.loading = id;
    try {
      const next = await this.embedders.load(id, onProgress).catch((e) => {
        throw toKernelError(e, "ELOAD");
      });
      const previous = this.embedder;
      this.embedder = next;
      this.files.attachEmbedder(next);
      await previous?.unload().catch(() => undefined);
      return { ...entry, loaded: true };
    } finally {
      this.loading = null;
    }
  }

  private embedder: Embedder | null = null;

  mountFiles(files: FileStore | null, problem?: string): void {
    this.files = files;
    if (problem) this.filesProblem = `the file system could not be mounted: ${problem}`;
  }

  /**
   * The file system and the calling process's namespace (its name: data outlives the process).
   * The shell (the user) may name another app's namespace.
   */
  filesOf(pid: number, namespace?: string): { files: FileStore; ns: string } {
    const proc = this.procs.live(pid);
    if (!this.files) throw new KernelError("ENOTREADY", this.filesProblem);
    if (namespace !== undefined && namespace !== proc.name && pid !== this.shellPid) throw new KernelError("EPERM", `pid ${pid} (${proc.name}) may not read namespace ${namespace}`);
    return { files: this.files, ns: namespace ?? proc.name };
  }

  spawn(options: unknown): ProcessInfo {
    return this.procs.info(this.procs.spawn(validateSpawn(options)));
  }

  ps(): ProcessInfo[] {
    return this.procs.all().map((p) => this.procs.info(p));
  }

  /** Ends a process: its queued and running requests reject with EKILLED. */
  kill(pid: unknown): ProcessInfo {
    const proc = this.procs.live(pid);
    if (proc.pid === this.shellPid) throw new KernelError("EPERM", "pid 1 (shell) cannot be killed");
    proc.state = "done";
    for (const controller of proc.inFlight.values()) controller.abort(new KernelError("EKILLED", `pid ${proc.pid} (${proc.name}) was killed`));
    return this.procs.info(proc);
  }

  /** Ends every live process owned by `owner` (a tab that closed); returns how many. */
  endOwner(owner: string): number {
    const procs = this.procs.all().filter((p) => p.owner === owner && p.state !== "done");
    for (const p of procs) this.kill(p.pid);
    return procs.length;
  }


  /** Adds a source of models, e.g. a remote endpoint the user connected; earlier sources win on equal ids. */
  addSource(source: ModelSource): void {
    this.sources.push(source);
  }

  info(): KernelInfo {
    const engine = this.requireEngine();
    return { engine: engine.name, model: engine.modelId, device: engine.device };
  }

  /** The loaded model's context window (4096 where the engine does not say). */
  contextLength(): number {
    return this.requireEngine().contextLength ?? 4096;
  }

  /** Tokens of a prompt, counted by the loaded model's own tokenizer and chat template. */
  countTokens(messages: ChatMessage[]): Promise<number> {
    return this.requireEngine().countTokens(messages);
  }

  getStats(): KernelStats {
    return {
      ...structuredClone(this.stats),
      policy: { ...this.scheduler.config },
      contextSwitches: this.scheduler.contextSwitches,
      history: this.scheduler.requests(),
    };
  }

  /** Changes the scheduling policy; takes effect at the next slice. */
  setPolicy(config: unknown): PolicyConfig {
    this.scheduler.config = validatePolicy(config, this.scheduler.config);
    return { ...this.scheduler.config };
  }

  async listModels(): Promise<ModelInfo[]> {
    const lists = await Promise.all(this.sources.map((s) => s.list().catch(() => [])));
    return lists.flat().map((m) => ({ ...m, loaded: m.id === this.engine?.modelId }));
  }

  /** Loads `id` into a new engine and swaps it in once no generation is running. */
  async loadModel(id: unknown, onProgress: (p: LoadProgress) => void = () => {}): Promise<KernelInfo> {
    if (typeof id !== "string" || id.length === 0 || id.length > 256) throw new KernelError("EINVAL", "id: must be a model id string");
    const source = this.sourceOf(id);
    if (this.engine?.modelId === id) return this.info();
    if (this.loading) throw new KernelError("EBUSY", `a load of ${this.loading} is already running`);
    this.loading = id;
    try {
      onProgress({ modelId: id, progress: 0, text: `Loading ${id}` });
      const next = await source.load(id, onProgress).catch((e) => {
        throw toKernelError(e, "ELOAD");
      });
      await this.scheduler.exclusive(async () => {
        const previous = this.engine;
        this.engine = next;
        this.stats.loads++;
        await previous?.unload().catch(() => undefined);
      });
      onProgress({ modelId: id, progress: 1, text: `${id} ready` });
      return this.info();
    } finally {
      this.loading = null;
    }
  }

  async deleteModel(id: unknown): Promise<void> {
    if (typeof id !== "string") throw new KernelError("EINVAL", "id: must be a model id string");
    const source = this.sourceOf(id);
    if (!source.remove) throw new KernelError("ENOTSUP", `${id} is embedded in the app and cannot be deleted`);
    if (this.engine?.modelId === id) throw new KernelError("EBUSY", `${id} is loaded; load another model first`);
    await source.remove(id);
  }

  /**
   * One Chat Completions request. Non-streaming: resolves to a `chat.completion`. Streaming:
   * chunks go to `onChunk` as tokens decode, and it resolves to the same completion at the end.
   */
  async chat(request: unknown, options: ChatCallOptions = {}): Promise<ChatCompletion> {
    const proc = this.procs.live(options.pid ?? this.shellPid);
    const req = validateChatRequest(request);
    const requestId = options.requestId ?? `req-${++this.requestCounter}`;
    if (typeof requestId !== "string") throw new KernelError("EINVAL", "requestId: must be a string");
    if (this.running.has(requestId)) throw new KernelError("EBUSY", `request ${requestId} is already running`);
    const { quota } = proc;
    if (quota.maxQueued !== undefined && proc.inFlight.size >= quota.maxQueued) {
      throw new KernelError("EQUOTA", `pid ${proc.pid}: maxQueued (${quota.maxQueued}) requests already queued or running`);
    }
    let maxTokens = req.maxTokens ?? DEFAULT_MAX_TOKENS;
    if (quota.maxCompletionTokens !== undefined) {
      const left = quota.maxCompletionTokens - proc.completionTokens;
      if (left <= 0) throw new KernelError("EQUOTA", `pid ${proc.pid}: maxCompletionTokens (${quota.maxCompletionTokens}) used up`);
      maxTokens = Math.min(maxTokens, left);
    }
    const controller = new AbortController();
    const timer =
      quota.maxRequestMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new KernelError("EQUOTA", `pid ${proc.pid}: maxRequestMs (${quota.maxRequestMs} ms) exceeded`)), quota.maxRequestMs);
    // A kill or quota abort rejects at once, even while the request is still queued.
    const cancelled = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => controller.signal.reason instanceof KernelError && reject(controller.signal.reason), { once: true }));
    cancelled.catch(() => undefined);
    this.running.set(requestId, { controller, pid: proc.pid });
    proc.inFlight.set(requestId, controller);
    proc.requests++;
    this.procs.refresh(proc);
    try {
      const run = this.generate(proc, requestId, { ...req, maxTokens }, controller.signal, options.onChunk).then((completion) => {
        proc.promptTokens += completion.usage.prompt_tokens;
        proc.completionTokens += completion.usage.completion_tokens;
        if (controller.signal.reason instanceof KernelError) throw controller.signal.reason;
        return completion;
      });
      return await Promise.race([run, cancelled]);
    } finally {
      clearTimeout(timer);
      this.running.delete(requestId);
      proc.inFlight.delete(requestId);
      this.procs.refresh(proc);
    }
  }

  /**
   * Stops one request, or all of them (of process `pid` when given): a running generation ends at
   * the next token with finish_reason "abort".
   */
  interrupt(requestId?: unknown, pid?: number): number {
    if (requestId !== undefined && typeof requestId !== "string") throw new KernelError("EINVAL", "requestId: must be a string");
    let stopped = 0;
    for (const [id, { controller, pid: owner }] of this.running) {
      if ((requestId === undefined || id === requestId) && (pid === undefined || pid === owner)) {
        controller.abort();
        stopped++;
      }
    }
    return stopped;
  }

  private async generate(
    proc: Process,
    requestId: string,
    req: ValidatedChatRequest & { maxTokens: number },
    signal: AbortSignal,
    onChunk?: (c: ChatCompletionChunk) => void,
  ): Promise<ChatCompletion> {
    const engine = this.requireEngine();
    if (req.model !== undefined && req.model !== engine.modelId) {
      throw new KernelError("ENOENT", `model: ${req.model} is not loaded (loaded: ${engine.modelId}); call aios.models.load first`);
    }
    const id = newCompletionId();
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: ChatCompletionChunk["choices"][0]["delta"], finish: ChatCompletionChunk["choices"][0]["finish_reason"]): ChatCompletionChunk => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: engine.modelId,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    const stream = req.stream && onChunk ? onChunk : undefined;
    stream?.(chunk({ role: "assistant", content: "" }, null));
    this.stats.requests++;
    let stats: RequestStats | undefined;
    const params: GenerateParams = {
      messages: req.messages,
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      topP: req.topP,
      seed: req.seed,
      stop: req.stop,
      continueFinal: req.continueFinal,
      signal,
      onText: (text) => {
        this.scheduler.firstToken(stats ??= this.scheduler.statsOf(requestId));
        stream?.(chunk({ content: text }, null));
      },
    };
    const result = await this.scheduler
      .generation({
        requestId,
        pid: proc.pid,
        priority: proc.priority,
        signal,
        start: async () => (engine.start ? engine.start(params) : null),
        whole: () => engine.generate(params),
        onRun: (running) => {
          proc.runningRequest = running ? requestId : null;
          this.procs.refresh(proc);
        },
      })
      .catch((e) => {
        throw toKernelError(e);
      });
    const usage = usageOf(result.promptTokens, result.completionTokens);
    stream?.(chunk({}, result.finishReason));
    if (stream && req.includeUsage) stream({ ...chunk({}, null), choices: [], usage });
    const decodeMs = result.totalMs - result.timeToFirstTokenMs;
    this.stats.last = {
      model: engine.modelId,
      promptTokens: result.promptTokens,
      completionTokens: result.completionTokens,
      timeToFirstTokenMs: result.timeToFirstTokenMs,
      totalMs: result.totalMs,
      decodeTokensPerSecond: decodeMs > 0 ? ((result.completionTokens - 1) * 1000) / decodeMs : 0,
    };
    return {
      id,
      object: "chat.completion",
      created,
      model: engine.modelId,
      choices: [{ index: 0, message: { role: "assistant", content: result.text }, finish_reason: result.finishReason, logprobs: null }],
      usage,
    };
  }

  private requireEngine(): Engine {
    if (!this.engine) throw new KernelError("ENOTREADY", "no model is loaded yet");
    return this.engine;
  }

  private sourceOf(id: string): ModelSource {
    const source = this.sources.find((s) => s.has(id));
    if (source) return source;
    throw new KernelError("ENOENT", `id: no model ${id} in the catalog (see aios.models.list())`);
  }
}
