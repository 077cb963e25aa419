/**
 * Remote engine: any OpenAI-compatible server (`/models`, `/chat/completions` with SSE streaming).
 * Used only when the user adds an endpoint — nothing leaves the machine otherwise.
 */
import { EventSourceParserStream } from "eventsource-parser/stream";
import type { ChatMessage, Engine, GenerateParams, GenerateResult, Generation, LoadProgress, ToolSpec } from "../engine.ts";
import { KernelError, toKernelError, type ErrorCode } from "../errors.ts";
import type { ModelEntry, ModelSource } from "../models.ts";
import { ContinuationGeneration } from "./continuation.ts";
import { ToolNameMap } from "../tool-calls.ts";
import { ChunkFold, openAIRequest, type OpenAIChunkLike } from "./openai-stream.ts";

export interface RemoteEndpoint {
  /** e.g. "http://127.0.0.1:8000/v1" */
  baseUrl: string;
  apiKey?: string;
  /**
   * The server continues a final assistant message (`continue_final_message`, as vLLM, SGLang and
   * this kernel's own server do). Then the scheduler can preempt remote generations between slices
   * (text-based snapshots); otherwise each request runs whole.
   */
  continueFinalMessage?: boolean;
}

function endpointUrl(endpoint: RemoteEndpoint, path: string): string {
  return new URL(path, endpoint.baseUrl.endsWith("/") ? endpoint.baseUrl : endpoint.baseUrl + "/").href;
}

function headers(endpoint: RemoteEndpoint): Record<string, string> {
  return { "content-type": "application/json", ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) };
}

const BY_STATUS: Record<number, ErrorCode> = { 400: "EINVAL", 401: "EPERM", 403: "EPERM", 404: "ENOENT", 409: "EBUSY", 429: "EQUOTA", 503: "ENOTREADY" };

/** A server's error as a KernelError: its own kernel code when it is an AIOS kernel, else by status. */
async function failure(response: Response, what: string): Promise<KernelError> {
  const body = await response.text().catch(() => "");
  let message = body.slice(0, 300);
  let code: ErrorCode = BY_STATUS[response.status] ?? "ELOAD";
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }).error;
    if (typeof error?.message === "string") message = error.message.slice(0, 300);
    code = toKernelError({ message, code: error?.code }, code).code;
  } catch {
    // Not JSON: the status says it.
  }
  return new KernelError(code, `${what}: HTTP ${response.status} ${message}`.trim());
}

/** Remote models join the catalog as "<host>/<server's id>", so they never shadow local ones. */
export class RemoteSource implements ModelSource {
  readonly engine = "remote" as const;
  private ids: string[] = [];
  private readonly prefix: string;

  private constructor(readonly endpoint: RemoteEndpoint) {
    this.prefix = `${new URL(endpoint.baseUrl).host}/`;
  }

  /** Validates the endpoint and reads its model list. */
  static async connect(endpoint: RemoteEndpoint): Promise<RemoteSource> {
    let url: URL;
    try {
      url = new URL(endpoint.baseUrl);
    } catch {
      throw new KernelError("EINVAL", `baseUrl: not a URL: ${String(endpoint.baseUrl).slice(0, 200)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new KernelError("EINVAL", "baseUrl: must be http(s)");
    if (endpoint.continueFinalMessage !== undefined && typeof endpoint.continueFinalMessage !== "boolean") {
      throw new KernelError("EINVAL", "continueFinalMessage: must be a boolean");
    }
    const source = new RemoteSource(endpoint);
    await source.refresh();
    return source;
  }

  async refresh(): Promise<void> {
    const url = endpointUrl(this.endpoint, "models");
    const response = await fetch(url, { headers: headers(this.endpoint) }).catch((e: Error) => {
      throw new KernelError("ELOAD", `could not reach ${url}: ${e.message}`);
    });
    if (!response.ok) throw await failure(response, `GET ${url}`);
    const body = (await response.json()) as { data?: Array<{ id?: unknown }> };
    this.ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === "string").map((id) => this.prefix + id);
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  async list(): Promise<ModelEntry[]> {
    return this.ids.map((id) => ({ id, engine: this.engine, label: `${id} (remote)`, embedded: false, cached: true, fits: true, runnable: true, diskBytes: 0, offline: false }));
  }

  async load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine> {
    if (!this.has(id)) throw new KernelError("ENOENT", `${this.endpoint.baseUrl} serves no model ${id}`);
    onProgress({ modelId: id, progress: 1, text: `${id} on ${this.endpoint.baseUrl}` });
    return new RemoteEngine(id, id.slice(this.prefix.length), this.endpoint);
  }
}

export class RemoteEngine implements Engine {
  readonly name = "remote" as const;
  readonly device = "remote" as const;
  /** OpenAI servers take `tools` and return `tool_calls` themselves (names mapped both ways). */
  readonly nativeTools = true;

  constructor(
    readonly modelId: string,
    /** The model's id on the server. */
    private readonly remoteId: string,
    private readonly endpoint: RemoteEndpoint,
  ) {}

  get supportsPrefill(): boolean {
    return this.endpoint.continueFinalMessage === true;
  }

  async generate(params: GenerateParams): Promise<GenerateResult> {
    const names = new ToolNameMap([...(params.tools ?? []).map((t) => t.function.name), ...params.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.function.name))]);
    const fold = new ChunkFold(params, names);
    const url = endpointUrl(this.endpoint, "chat/completions");
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: headers(this.endpoint),
        signal: params.signal,
        body: JSON.stringify({ model: this.remoteId, ...openAIRequest(params, { names, nativeTools: true }) }),
      });
      if (!response.ok || !response.body) throw await failure(response, `POST ${url}`);
      const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      for await (const event of events as unknown as AsyncIterable<{ data: string }>) {
        if (event.data === "[DONE]") break;
        fold.add(JSON.parse(event.data) as OpenAIChunkLike);
      }
    } catch (error) {
      if (!params.signal.aborted) throw error instanceof KernelError ? error : new KernelError("ELOAD", `${url}: ${(error as Error).message}`);
    }
    return fold.result();
  }

  /**
   * Sliceable only where the server can continue a reply; else undefined and requests run whole.
   * Requests offering tools run whole too: a tool call is not text a later slice could continue.
   */
  get start(): ((params: GenerateParams) => Promise<Generation>) | undefined {
    if (!this.endpoint.continueFinalMessage) return undefined;
    return async (params) => {
      if (params.tools?.length) return wholeGeneration(() => this.generate(params));
      return new ContinuationGeneration(params, async (slice) => {
        const r = await this.generate({ ...params, ...slice, stop: params.stop });
        return { finishReason: r.finishReason, promptTokens: r.promptTokens, completionTokens: r.completionTokens };
      });
    };
  }

  async countTokens(messages: ChatMessage[], tools?: ToolSpec[]): Promise<number> {
    // The API has no tokenizer endpoint; a one-token completion reports the prompt's size.
    const r = await this.generate({ messages, maxTokens: 1, temperature: 0, topP: 1, stop: [], signal: new AbortController().signal, tools });
    return r.promptTokens;
  }

  async unload(): Promise<void> {}
}

/** A generation that runs whole in its first slice (for requests that cannot be sliced). */
function wholeGeneration(run: () => Promise<GenerateResult>): Generation {
  let result: GenerateResult | null = null;
  return {
    get done() {
      return result !== null;
    },
    get tokens() {
      return result?.completionTokens ?? 0;
    },
    get promptTokens() {
      return result?.promptTokens ?? 0;
    },
    cacheBytes: 0,
    async step() {
      result ??= await run();
    },
    async spill() {},
    async finish() {
      return (result ??= await run());
    },
  };
}
