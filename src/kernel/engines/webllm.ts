/**
 * web-llm engine: MLCEngine runs inside the kernel worker (no second worker), on WebGPU only.
 * Its prebuilt catalog is filtered to what this adapter can run: without `shader-f16`, only the
 * f32 variants (q4f32, q0f32). Weights are downloaded on demand with progress and kept in the
 * browser's cache, where they can be listed and deleted.
 */
import {
  MLCEngine,
  deleteModelAllInfoInCache,
  hasModelInCache,
  prebuiltAppConfig,
  type AppConfig,
  type ModelRecord,
} from "@mlc-ai/web-llm";
import type { ChatMessage, Engine, GenerateParams, GenerateResult, LoadProgress, ToolSpec } from "../engine.ts";
import { KernelError } from "../errors.ts";
import type { GpuCapabilities, ModelEntry, ModelSource } from "../models.ts";
import { promptedMessages } from "../tool-calls.ts";
import { ChunkFold, openAIRequest, type OpenAIChunkLike } from "./openai-stream.ts";

/** A model needs shader-f16 if the catalog says so or its quantisation computes in f16. */
export function needsShaderF16(record: ModelRecord): boolean {
  return (record.required_features ?? []).includes("shader-f16") || /-q\d+f16/.test(record.model_id);
}

/** Chat models (not embedding or vision-language) that this adapter can run. */
export function runnableRecords(records: readonly ModelRecord[], gpu: GpuCapabilities): ModelRecord[] {
  if (!gpu.webgpu) return [];
  return records.filter((r) => (r.model_type === undefined || r.model_type === 0) && (gpu.shaderF16 || !needsShaderF16(r)));
}

export class WebLLMSource implements ModelSource {
  readonly engine = "web-llm" as const;
  private readonly records: ModelRecord[];

  constructor(
    private readonly gpu: GpuCapabilities,
    private readonly appConfig: AppConfig = prebuiltAppConfig,
  ) {
    this.records = runnableRecords(appConfig.model_list, gpu);
  }

  has(id: string): boolean {
    return this.records.some((r) => r.model_id === id);
  }

  async list(): Promise<ModelEntry[]> {
    return Promise.all(
      this.records.map(async (r) => ({
        id: r.model_id,
        engine: this.engine,
        label: r.model_id.replace(/-MLC(-1k)?$/, (_, k) => (k ? " (1k context)" : "")),
        embedded: false,
        vramMB: r.vram_required_MB,
        cached: await hasModelInCache(r.model_id, this.appConfig).catch(() => false),
      })),
    );
  }

  private record(id: string): ModelRecord {
    const record = this.records.find((r) => r.model_id === id);
    if (!record) throw new KernelError("ENOENT", `model ${id} is not in the web-llm catalog for this GPU${this.gpu.shaderF16 ? "" : " (no shader-f16: f32 variants only)"}`);
    return record;
  }

  async load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine> {
    this.record(id);
    const engine = new MLCEngine({
      appConfig: this.appConfig,
      initProgressCallback: (report) => onProgress({ modelId: id, progress: report.progress, text: report.text }),
      logLevel: "WARN",
    });
    try {
      await engine.reload(id);
    } catch (error) {
      await engine.unload().catch(() => undefined);
      const reason = (await diagnoseDownload(this.record(id))) ?? describeLoadError(error);
      throw new KernelError("ELOAD", `could not load ${id} with web-llm: ${reason}`, { cause: error });
    }
    return new WebLLMEngine(id, engine);
  }

  async remove(id: string): Promise<void> {
    this.record(id);
    await deleteModelAllInfoInCache(id, this.appConfig);
  }
}

/** The model's files, as web-llm resolves them (its cleanModelUrl). */
export function modelFileUrls(record: ModelRecord): string[] {
  let base = record.model.endsWith("/") ? record.model : record.model + "/";
  if (!/.+\/resolve\/.+\//.test(base)) base += "resolve/main/";
  return [new URL("mlc-chat-config.json", base).href, record.model_lib];
}

/**
 * web-llm stores downloads with Cache.add(), whose error ("Request failed") hides the HTTP status.
 * After a failure, ask the same URLs again to say which file failed and how.
 */
async function diagnoseDownload(record: ModelRecord): Promise<string | null> {
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
 */
export class WebLLMEngine implements Engine {
  readonly name = "web-llm" as const;
  readonly device = "webgpu" as const;

  constructor(
    readonly modelId: string,
    private readonly engine: MLCEngine,
  ) {}

  async generate(params: GenerateParams): Promise<GenerateResult> {
    const fold = new ChunkFold(params);
    const onAbort = () => this.engine.interruptGenerate();
    params.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const chunks = await this.engine.chat.completions.create(openAIRequest({ ...params, messages: promptedMessages(params.messages, params.tools) }) as never);
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
