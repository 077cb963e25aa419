/**
 * web-llm engine: MLCEngine runs inside the kernel worker (no second worker), on WebGPU only.
 *
 * The library (6.1 MB of JavaScript) is imported only when a web-llm model is loaded:
 * the catalog is a generated snapshot (webllm-catalog.ts, checked against the library by a unit
 * test) and what is downloaded is read from the Cache API directly (webllm-records.ts), so booting
 * and listing models parse none of it. Every chat model is listed with whether it fits this
 * device and why not; one that cannot run at all here (no WebGPU, no shader-f16 for an f16 model,
 * adapter limits) is refused with ENOTSUP. Before a download the browser's storage estimate must
 * leave room for it (ENOSPC otherwise). Weights are kept in the browser's cache, where they are
 * listed and deleted (webllm-records.ts reads and deletes them without the library); an
 * interrupted download resumes file by file.
 */
import type { AppConfig, MLCEngine } from "@mlc-ai/web-llm";
import type { ChatMessage, Engine, GenerateParams, GenerateResult, LoadProgress, ToolSpec } from "../engine.ts";
import { KernelError } from "../errors.ts";
import { browserStorageEstimate, deviceMemoryGB, ensureRoom, formatBytes, type GpuCapabilities, type ModelEntry, type ModelSource, type StorageEstimator } from "../models.ts";
import { grammarSchema, mapTagSchemas, outputFormatFor, type OutputFormat } from "../output-format.ts";
import { promptedMessages } from "../tool-calls.ts";
import { ChunkFold, openAIRequest, type OpenAIChunkLike } from "./openai-stream.ts";
import { WEBLLM_CATALOG } from "./webllm-catalog.ts";
import { assess, inspectDownload, modelBaseUrl, needsShaderF16, readStoredFiles, removeStored, type CatalogRecord } from "./webllm-records.ts";

export { needsShaderF16 };

type WebLLM = typeof import("@mlc-ai/web-llm");

export interface WebLLMSourceOptions {
  /** The catalog (default: the snapshot of web-llm's prebuilt chat models). */
  catalog?: readonly CatalogRecord[];
  /** The library, imported on first use. */
  library?: () => Promise<WebLLM>;
  /** The app config handed to MLCEngine (default: the library's prebuiltAppConfig). */
  appConfig?: AppConfig;
  /** The browser's storage estimate (quota, usage) checked before a download. */
  storageEstimate?: StorageEstimator;
  /** The device's memory in GB (default: navigator.deviceMemory). */
  memoryGB?: number;
  /** Where downloads are stored (default: the global CacheStorage). */
  caches?: CacheStorage;
}

/** The catalog's chat models this adapter can run at all (shown or not). */
export function runnableRecords(records: readonly CatalogRecord[], gpu: GpuCapabilities): CatalogRecord[] {
  return records.filter((r) => assess(r, gpu).runnable);
}

export class WebLLMSource implements ModelSource {
  readonly engine = "web-llm" as const;
  private readonly records: readonly CatalogRecord[];
  private library: Promise<WebLLM> | null = null;

  constructor(
    private readonly gpu: GpuCapabilities,
    private readonly options: WebLLMSourceOptions = {},
  ) {
    this.records = options.catalog ?? WEBLLM_CATALOG;
  }

  /** The library, imported once, on first use. */
  private lib(): Promise<WebLLM> {
    this.library ??= (this.options.library ?? (() => import("@mlc-ai/web-llm")))().catch((error: unknown) => {
      this.library = null;
      throw new KernelError("ELOAD", `could not load the web-llm library: ${(error as Error).message}`, { cause: error });
    });
    return this.library;
  }

  private async appConfig(): Promise<AppConfig> {
    return this.options.appConfig ?? (await this.lib()).prebuiltAppConfig;
  }

  private caches(): CacheStorage | undefined {
    return this.options.caches ?? (globalThis as { caches?: CacheStorage }).caches;
  }

  has(id: string): boolean {
    return this.records.some((r) => r.model_id === id);
  }

  async list(): Promise<ModelEntry[]> {
    const memoryGB = this.options.memoryGB ?? deviceMemoryGB();
    // The caches are read once for the whole catalog.
    const caches = this.caches();
    const stored = caches ? await readStoredFiles(caches).catch(() => undefined) : undefined;
    return Promise.all(
      this.records.map(async (r) => {
        const fit = assess(r, this.gpu, memoryGB);
        const d = await inspectDownload(r, stored).catch(() => null);
        const entry: ModelEntry = {
          id: r.model_id,
          engine: this.engine,
          label: r.model_id.replace(/-MLC(-1k)?$/, (_, k) => (k ? " (1k context)" : "")),
          embedded: false,
          vramMB: r.vram_required_MB,
          cached: d?.weights ?? false,
          ...fit,
          sizeBytes: d?.sizeBytes,
          sizeEstimated: d?.sizeEstimated ?? true,
          diskBytes: d?.diskBytes ?? 0,
          offline: d?.offline ?? false,
        };
        if (d && !d.offline && d.files.stored > 0) entry.partial = { ...d.files };
        return entry;
      }),
    );
  }

  private record(id: string): CatalogRecord {
    const record = this.records.find((r) => r.model_id === id);
    if (!record) throw new KernelError("ENOENT", `model ${id} is not in the web-llm catalog`);
    return record;
  }

  async load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine> {
    const record = this.record(id);
    const fit = assess(record, this.gpu);
    if (!fit.runnable) throw new KernelError("ENOTSUP", `${id} cannot run here: ${fit.why}`);
    // Before any file is fetched: what is still missing must fit in what the browser allows.
    const stored = await inspectDownload(record, this.caches()).catch(() => null);
    if (!stored?.offline) {
      const missing = (stored?.sizeBytes ?? 0) - (stored?.diskBytes ?? 0);
      await ensureRoom(`${id} (${stored?.sizeEstimated === false ? "" : "estimated from its memory needs: "}${formatBytes(stored?.sizeBytes ?? 0)})`, missing, this.options.storageEstimate ?? browserStorageEstimate);
      if (stored && stored.files.stored > 0) {
        const of = stored.files.total === null ? "" : ` of ${stored.files.total}`;
        onProgress({ modelId: id, progress: 0, text: `Resuming: ${stored.files.stored}${of} files already downloaded` });
      }
    }
    const [{ MLCEngine }, appConfig] = await Promise.all([this.lib(), this.appConfig()]);
    if (!appConfig.model_list.some((r) => r.model_id === id)) throw new KernelError("ENOENT", `model ${id} is not in this web-llm's catalog (regenerate webllm-catalog.ts: tools/make_webllm_catalog.mts)`);
    const engine = new MLCEngine({
      appConfig,
      initProgressCallback: (report) => onProgress({ modelId: id, progress: report.progress, text: report.text }),
      logLevel: "WARN",
    });
    try {
      await engine.reload(id);
    } catch (error) {
      await engine.unload().catch(() => undefined);
      const reason = (await diagnoseDownload(record)) ?? describeLoadError(error);
      throw new KernelError("ELOAD", `could not load ${id} with web-llm: ${reason}`, { cause: error });
    }
    return new WebLLMEngine(id, engine);
  }

  async remove(id: string): Promise<void> {
    await removeStored(this.record(id), this.records, this.caches());
  }
}

/** The model's first files, as web-llm resolves them (its cleanModelUrl). */
export function modelFileUrls(record: Pick<CatalogRecord, "model" | "model_lib">): string[] {
  return [new URL("mlc-chat-config.json", modelBaseUrl(record)).href, record.model_lib];
}

/**
 * web-llm stores downloads with Cache.add(), whose error ("Request failed") hides the HTTP status.
 * After a failure, ask the same URLs again to say which file failed and how.
 */
async function diagnoseDownload(record: CatalogRecord): Promise<string | null> {
  for (const url of modelFileUrls(record)) {
    try {
      const response = await fetch(url, { method: "HEAD", cache: "no-store" });
      if (!response.ok) return `HTTP ${response.status} ${response.statusText || ""} for ${url}`.replace("  ", " ");
    } catch {
      return `could not reach ${new URL(url).host} (offline, or blocked) for ${url}`;
    }
  }
  return null;
}

function describeLoadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The storage check before a download uses the browser's estimate, which Chromium reports as a
  // static figure (usage + 10 GiB); the quota it enforces can still stop Cache.add() part way.
  if (/quota/i.test(message)) return `the browser's storage for this site is full (${message}); the files already downloaded are kept, so after freeing space the download resumes`;
  if (/404|not found/i.test(message)) return `a model file was not found on the server (HTTP 404): ${message}`;
  if (/fetch|network/i.test(message)) return `the download failed (offline or blocked?): ${message}`;
  return message;
}

/**
 * Runs each request whole (no `start`): web-llm's chat API takes no partial assistant reply to
 * continue (its last message must be user or tool), and the conversation renderer that would let
 * its raw `completions` API continue one is not exported, so a text-based snapshot cannot be
 * re-prefilled through its public API. The scheduler still orders web-llm requests by policy; it
 * switches between them at request boundaries.
 *
 * Tools are prompted: web-llm takes `tools` only for a few function-calling models, so the offered
 * tools go into the system message and the kernel parses the `<tool_call>` text the model writes.
 * Its grammar support keeps that text valid: the same structural tag as the Transformers.js
 * engine's (output-format.ts) goes to web-llm as `response_format`, as does a JSON format.
 */
export class WebLLMEngine implements Engine {
  readonly name = "web-llm" as const;
  readonly device = "webgpu" as const;
  /** web-llm decodes under XGrammar (the same library as the Transformers.js engine's mask). */
  readonly constrainsOutput = true;

  constructor(
    readonly modelId: string,
    private readonly engine: MLCEngine,
  ) {}

  async generate(params: GenerateParams): Promise<GenerateResult> {
    const fold = new ChunkFold(params);
    const onAbort = () => this.engine.interruptGenerate();
    params.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const format = outputFormatFor(params);
      const request = { ...openAIRequest({ ...params, messages: promptedMessages(params.messages, params.tools) }), ...(format ? { response_format: webLLMResponseFormat(format) } : {}) };
      const chunks = await this.engine.chat.completions.create(request as never);
      for await (const chunk of chunks as unknown as AsyncIterable<OpenAIChunkLike>) fold.add(chunk);
      return fold.result();
    } finally {
      params.signal.removeEventListener("abort", onAbort);
    }
  }

  async countTokens(messages: ChatMessage[], tools?: ToolSpec[]): Promise<number> {
    // web-llm keeps its tokenizer private; a one-token completion reports the prompt's size.
    const reply = await this.engine.chat.completions.create({
      messages: promptedMessages(messages, tools) as never,
      max_tokens: 1,
      temperature: 0,
    });
    return reply.usage?.prompt_tokens ?? 0;
  }

  async unload(): Promise<void> {
    await this.engine.unload();
  }
}

/** An output format as web-llm's `response_format` (its schema as a JSON string; structural tags as XGrammar defines them). */
export function webLLMResponseFormat(format: OutputFormat): Record<string, unknown> {
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema") return { type: "json_object", schema: JSON.stringify(grammarSchema(format.schema)) };
  return { type: "structural_tag", structural_tag: { type: "structural_tag", format: mapTagSchemas(format.format, (part) => ({ ...part, json_schema: grammarSchema(part.json_schema) })) } };
}

