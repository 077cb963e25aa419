/**
 * window.aios: the page's handle on the kernel worker (for the shell, headless tests and power
 * users). Everything goes through comlink to the kernel; nothing here runs a model.
 */
import * as Comlink from "comlink";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../kernel/chat.ts";
import type { LoadProgress } from "../kernel/engine.ts";
import type { KernelStats } from "../kernel/kernel.ts";
import type { ModelInfo } from "../kernel/models.ts";
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

export interface Aios {
  ready: Promise<ReadyInfo>;
  llm: {
    chat: {
      completions: {
        create(request: ChatCompletionRequest & { stream: true }, options?: CreateOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
        create(request: ChatCompletionRequest & { stream?: false | null }, options?: CreateOptions): Promise<ChatCompletion>;
        create(request: ChatCompletionRequest, options?: CreateOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      };
    };
    /** Stops every running or queued generation; resolves to how many were stopped. */
    interrupt(): Promise<number>;
  };
  models: EventTarget & {
    list(): Promise<ModelInfo[]>;
    /** Progress also fires as "progress" events (CustomEvent<LoadProgress>) on aios.models. */
    load(id: string, options?: { onProgress?: (p: LoadProgress) => void }): Promise<ReadyInfo>;
    delete(id: string): Promise<void>;
    /** Adds an OpenAI-compatible server's models as "<host>/<id>" (asks it for /models; chats go there once one is loaded). */
    connect(endpoint: { baseUrl: string; apiKey?: string }): Promise<ModelInfo[]>;
  };
  kernel: {
    info(): Promise<BootInfo>;
    stats(): Promise<KernelStats>;
  };
}

let requestCounter = 0;
const tabId = Math.random().toString(36).slice(2, 8);

export function createAios(worker: Worker, options: Omit<BootOptions, "baseUrl"> & { baseUrl?: string } = {}): Aios {
  const kernel = Comlink.wrap<KernelApi>(worker);
  const models = new EventTarget() as Aios["models"];
  const emitProgress = (p: LoadProgress) => models.dispatchEvent(new CustomEvent("progress", { detail: p }));

  const baseUrl = options.baseUrl ?? new URL(import.meta.env.BASE_URL, location.href).href;
  // A worker that fails to start (bad bundle, out of memory) never answers: fail boot clearly.
  const workerFailed = new Promise<never>((_, reject) =>
    worker.addEventListener("error", (e) => reject(new Error(`the kernel worker failed: ${e.message || "could not start"}`)), { once: true }),
  );
  const ready: Promise<ReadyInfo> = Promise.race([kernel.boot({ ...options, baseUrl }), workerFailed]).then(({ engine, model, device }) => ({ engine, model, device }));
  workerFailed.catch(() => undefined);

  async function create(request: ChatCompletionRequest, opts: CreateOptions = {}): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const requestId = `${tabId}-${++requestCounter}`;
    const onAbort = () => void kernel.interrupt(requestId);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => opts.signal?.removeEventListener("abort", onAbort);
    if (!(request as { stream?: unknown })?.stream) {
      return kernel.chat(request, requestId).finally(cleanup);
    }
    const queue = new ChunkQueue<ChatCompletionChunk>();
    kernel
      .chat(request, requestId, Comlink.proxy((chunk: ChatCompletionChunk) => queue.push(chunk)))
      .then(() => queue.end(), (error: unknown) => queue.fail(error))
      .finally(cleanup);
    await queue.started();
    return queue;
  }

  models.list = () => kernel.listModels();
  models.load = async (id, loadOptions = {}) => {
    const info = await kernel.loadModel(
      id,
      Comlink.proxy((p: LoadProgress) => {
        emitProgress(p);
        loadOptions.onProgress?.(p);
      }),
    );
    return { engine: info.engine, model: info.model, device: info.device };
  };
  models.delete = (id) => kernel.deleteModel(id);
  models.connect = async (endpoint) => (await kernel.connectRemote(endpoint)).map((m) => ({ ...m, loaded: false }));

  return {
    ready,
    llm: {
      chat: { completions: { create: create as Aios["llm"]["chat"]["completions"]["create"] } },
      interrupt: () => kernel.interrupt(),
    },
    models,
    kernel: { info: () => kernel.info(), stats: () => kernel.stats() },
  };
}
