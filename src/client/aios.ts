/**
 * window.aios: the page's handle on the kernel worker (for the shell, headless tests and power
 * users). Every call is a system call into the kernel over comlink; nothing here runs a model.
 */
import * as Comlink from "comlink";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../kernel/chat.ts";
import type { LoadProgress } from "../kernel/engine.ts";
import type { EmbedderInfo, KernelInfo, KernelStats } from "../kernel/kernel.ts";
import type { ModelInfo } from "../kernel/models.ts";
import type { MemoryOptions, ProcessInfo, Quota } from "../kernel/process.ts";
import type { PolicyConfig } from "../kernel/scheduler.ts";
import type { Block, MemoryChatResult, RecallItem, Turn } from "../kernel/memory/memory.ts";
import type { Meta } from "../kernel/storage/db.ts";
import type { Content, FileInfo, ReadResult, SearchHit, SearchOptions, VersionInfo } from "../kernel/storage/files.ts";
import type { SyscallName } from "../kernel/syscalls.ts";
import type { BootInfo, BootOptions, KernelApi } from "../rpc/kernel-api.ts";
import { ChunkQueue } from "./chunk-queue.ts";

export interface ReadyInfo {
  engine: BootInfo["engine"];
  model: string;
  device: BootInfo["device"];
}

export interface CreateOptions {
  /** Aborting ends the generation at the next token (finish_reason "abort"). */
  signal?: AbortSignal;
}

export interface ChatCompletions {
  create(request: ChatCompletionRequest & { stream: true }, options?: CreateOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false | null }, options?: CreateOptions): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest, options?: CreateOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
}

export interface Llm {
  chat: { completions: ChatCompletions };
  /** Stops running or queued generations (the shell: all of them; a process: its own). */
  interrupt(): Promise<number>;
}

/** An app's files (its process name is its namespace), versioned and searchable, in IndexedDB. */
export interface Storage {
  write(path: string, content: Content, meta?: Meta): Promise<{ path: string; version: number }>;
  /** `namespace`: another app's files (the shell only). */
  read(path: string, options?: { version?: number; namespace?: string }): Promise<ReadResult>;
  list(prefix?: string, options?: { namespace?: string }): Promise<FileInfo[]>;
  /** Every app's namespace with its files and bytes (the shell only). */
  namespaces(): Promise<Array<{ ns: string; files: number; bytes: number }>>;
  versions(path: string): Promise<VersionInfo[]>;
  rollback(path: string, version: number): Promise<{ path: string; version: number }>;
  remove(path: string): Promise<{ path: string; versions: number }>;
  search(query: string, options?: SearchOptions & { namespace?: string }): Promise<SearchHit[]>;
  usage(): Promise<{ files: number; bytes: number }>;
  /** One JSON file: this app's files (the shell's: every app's). */
  export(): Promise<Blob>;
  import(data: Blob | string): Promise<{ files: number; versions: number }>;
}

/** A conversation the kernel keeps and fits into the context window (pages old turns out). */
export interface MemoryChat {
  (text: string, options?: { stream?: false; max_tokens?: number }): Promise<MemoryChatResult>;
  (text: string, options: { stream: true; max_tokens?: number }): Promise<AsyncIterable<ChatCompletionChunk>>;
}

export interface Memory {
  history(): Promise<{ turns: Turn[]; summary: string; pagedOut: number }>;
  remember(text: string, meta?: Meta): Promise<{ path: string }>;
  recall(query: string, k?: number): Promise<RecallItem[]>;
  blocks: {
    get(label?: string): Promise<Block[]>;
    set(label: string, value: string, options?: { limit?: number }): Promise<Block>;
  };
}

/** A process spawned from this page: its requests are accounted and scheduled as its own. */
export interface ProcessHandle {
  readonly pid: number;
  readonly name: string;
  llm: Llm;
  storage: Storage;
  chat: MemoryChat;
  memory: Memory;
  info(): Promise<ProcessInfo>;
  exit(): Promise<ProcessInfo>;
}

export interface Aios {
  ready: Promise<ReadyInfo>;
  llm: Llm;
  /** The shell's files; its export and import cover every app. */
  storage: Storage;
  /** The shell's own managed conversation and memory. */
  chat: MemoryChat;
  memory: Memory;
  spawn(options: { name: string; priority?: number; quota?: Quota; memory?: MemoryOptions }): Promise<ProcessHandle>;
  models: EventTarget & {
    list(): Promise<ModelInfo[]>;
    /** Progress also fires as "progress" events (CustomEvent<LoadProgress>) on aios.models. */
    load(id: string, options?: { onProgress?: (p: LoadProgress) => void }): Promise<ReadyInfo>;
    delete(id: string): Promise<void>;
    /** Adds an OpenAI-compatible server's models as "<host>/<id>" (asks it for /models; chats go there once one is loaded). */
    connect(endpoint: { baseUrl: string; apiKey?: string; continueFinalMessage?: boolean }): Promise<ModelInfo[]>;
  };
  /** Embedding models (vector search, recall by meaning): the embedded one and real ones on demand. */
  embedders: {
    list(): Promise<EmbedderInfo[]>;
    load(id: string, options?: { onProgress?: (p: LoadProgress) => void }): Promise<EmbedderInfo>;
  };
  kernel: {
    info(): Promise<BootInfo>;
    stats(): Promise<KernelStats>;
    ps(): Promise<ProcessInfo[]>;
    kill(pid: number): Promise<ProcessInfo>;
    setPolicy(config: Partial<PolicyConfig>): Promise<PolicyConfig>;
  };
}

let requestCounter = 0;
const tabId = `tab-${Math.random().toString(36).slice(2, 8)}`;

/** Where the kernel runs: one SharedWorker for all tabs when the browser has them, else a worker per tab. */
export interface KernelConnection {
  endpoint: Worker | MessagePort;
  /** Fires "error" if the worker cannot start. */
  worker: EventTarget;
  shared: boolean;
}

export function connectKernel(prefer: "shared" | "dedicated" = "shared"): KernelConnection {
  if (prefer === "shared" && typeof SharedWorker !== "undefined") {
    const worker = new SharedWorker(new URL("../../workers/kernel.shared-worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
    return { endpoint: worker.port, worker, shared: true };
  }
  const worker = new Worker(new URL("../../workers/kernel.worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
  return { endpoint: worker, worker, shared: false };
}

/** Holds this tab's life lock (see the kernel's attach); resolves once it is held. */
function holdTabLock(): Promise<void> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return Promise.resolve();
  return new Promise<void>((held) => {
    void locks.request(`aios-tab:${tabId}`, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
}

export function createAios(connection: KernelConnection | Worker, options: Omit<BootOptions, "baseUrl"> & { baseUrl?: string } = {}): Aios {
  const { endpoint, worker } = connection instanceof Worker ? { endpoint: connection, worker: connection } : connection;
  const kernel = Comlink.wrap<KernelApi>(endpoint);
  const models = new EventTarget() as Aios["models"];
  const emitProgress = (p: LoadProgress) => models.dispatchEvent(new CustomEvent("progress", { detail: p }));

  const baseUrl = options.baseUrl ?? new URL(import.meta.env.BASE_URL, location.href).href;
  // A worker that fails to start (bad bundle, out of memory) never answers: fail boot clearly.
  const workerFailed = new Promise<never>((_, reject) =>
    worker.addEventListener("error", (e) => reject(new Error(`the kernel worker failed: ${(e as ErrorEvent).message || "could not start"}`)), { once: true }),
  );
  workerFailed.catch(() => undefined);
  const booted = Promise.race([
    holdTabLock().then(() => kernel.attach(tabId)).then(() => kernel.boot({ ...options, baseUrl })),
    workerFailed,
  ]);
  const ready: Promise<ReadyInfo> = booted.then(({ engine, model, device }) => ({ engine, model, device }));

  async function call<T>(name: SyscallName, pid?: number, args?: unknown, extra: { requestId?: string; emit?: (e: never) => void } = {}): Promise<T> {
    const caller = pid ?? (await booted).shellPid;
    const emit = extra.emit ? Comlink.proxy(extra.emit as (e: unknown) => void) : undefined;
    return (await kernel.syscall(name, { pid: caller, owner: tabId, requestId: extra.requestId }, args, emit)) as T;
  }

  function llmOf(pid?: number): Llm {
    async function create(request: ChatCompletionRequest, opts: CreateOptions = {}): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
      const requestId = `${tabId}-${++requestCounter}`;
      const onAbort = () => void call("llm.interrupt", pid, { requestId });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => opts.signal?.removeEventListener("abort", onAbort);
      if (!(request as { stream?: unknown })?.stream) {
        return call<ChatCompletion>("llm.chat", pid, request, { requestId }).finally(cleanup);
      }
      const queue = new ChunkQueue<ChatCompletionChunk>();
      call("llm.chat", pid, request, { requestId, emit: (chunk: ChatCompletionChunk) => queue.push(chunk) })
        .then(() => queue.end(), (error: unknown) => queue.fail(error))
        .finally(cleanup);
      await queue.started();
      return queue;
    }
    return {
      chat: { completions: { create: create as ChatCompletions["create"] } },
      interrupt: () => call<number>("llm.interrupt", pid, {}),
    };
  }

  function storageOf(pid?: number): Storage {
    return {
      write: (path, content, meta) => call("storage.write", pid, { path, content, meta }),
      read: (path, opts = {}) => call("storage.read", pid, { path, version: opts.version, namespace: opts.namespace }),
      list: (prefix, opts = {}) => call("storage.list", pid, { prefix, namespace: opts.namespace }),
      namespaces: () => call("storage.namespaces", pid),
      versions: (path) => call("storage.versions", pid, { path }),
      rollback: (path, version) => call("storage.rollback", pid, { path, version }),
      remove: (path) => call("storage.remove", pid, { path }),
      search: (query, options = {}) => {
        const { namespace, ...rest } = options;
        return call("storage.search", pid, { query, options: rest, namespace });
      },
      usage: () => call("storage.usage", pid),
      export: () => call("storage.export", pid),
      import: (data) => call("storage.import", pid, { data }),
    };
  }

  function chatOf(pid?: number): MemoryChat {
    return (async (text: string, opts: { stream?: boolean; max_tokens?: number } = {}) => {
      const args = { text, max_tokens: opts.max_tokens };
      if (!opts.stream) return call<MemoryChatResult>("memory.chat", pid, args);
      const queue = new ChunkQueue<ChatCompletionChunk>();
      call("memory.chat", pid, args, { emit: (chunk: ChatCompletionChunk) => queue.push(chunk) }).then(
        () => queue.end(),
        (error: unknown) => queue.fail(error),
      );
      await queue.started();
      return queue;
    }) as MemoryChat;
  }

  function memoryOf(pid?: number): Memory {
    return {
      history: () => call("memory.history", pid),
      remember: (text, meta) => call("memory.remember", pid, { text, meta }),
      recall: (query, k) => call("memory.recall", pid, { query, k }),
      blocks: {
        get: (label) => call("memory.blocks.get", pid, { label }),
        set: (label, value, options = {}) => call("memory.blocks.set", pid, { label, value, limit: options.limit }),
      },
    };
  }

  models.list = () => call("models.list");
  models.load = async (id, loadOptions = {}) => {
    const info = await call<KernelInfo>("models.load", undefined, { id }, {
      emit: (p: LoadProgress) => {
        emitProgress(p);
        loadOptions.onProgress?.(p);
      },
    });
    return { engine: info.engine, model: info.model, device: info.device };
  };
  models.delete = (id) => call("models.delete", undefined, { id });
  models.connect = async (endpoint) => (await call<ModelInfo[]>("models.connect", undefined, endpoint)).map((m) => ({ ...m, loaded: false }));

  return {
    ready,
    llm: llmOf(),
    storage: storageOf(),
    chat: chatOf(),
    memory: memoryOf(),
    async spawn(spawnOptions) {
      const info = await call<ProcessInfo>("proc.spawn", undefined, spawnOptions);
      return {
        pid: info.pid,
        name: info.name,
        llm: llmOf(info.pid),
        storage: storageOf(info.pid),
        chat: chatOf(info.pid),
        memory: memoryOf(info.pid),
        info: async () => (await call<ProcessInfo[]>("proc.ps")).find((p) => p.pid === info.pid)!,
        exit: () => call<ProcessInfo>("proc.exit", info.pid),
      };
    },
    models,
    embedders: {
      list: () => call("embedders.list"),
      load: (id, loadOptions = {}) =>
        call("embedders.load", undefined, { id }, {
          emit: (p: LoadProgress) => {
            emitProgress(p);
            loadOptions.onProgress?.(p);
          },
        }),
    },
    kernel: {
      info: async () => (await booted, kernel.info()),
      stats: () => call("kernel.stats"),
      ps: () => call("proc.ps"),
      kill: (pid) => call("proc.kill", undefined, { pid }),
      setPolicy: (config) => call("kernel.setPolicy", undefined, config),
    },
  };
}
