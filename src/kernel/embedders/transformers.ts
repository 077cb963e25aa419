/**
 * Transformers.js sentence embedders: the `feature-extraction` pipeline with mean (or CLS) pooling
 * and L2 normalisation, on WebGPU / wasm in browsers and onnxruntime-node's cpu in Node.
 *
 * The catalog holds the embedded `aios-embed` (made by tools/make_embedder.py, served from our
 * own origin under /models/, never downloaded) and small real encoders fetched on demand from the
 * Hugging Face hub, with progress, and kept in the browser's Cache API by Transformers.js.
 *
 * Transformers.js's `env` is one global object shared with the chat engine (engines/transformers.ts
 * sets allowRemoteModels=false, allowLocalModels=true, localModelPath before each of its loads).
 * Each load here sets exactly what it needs right before it starts and puts the previous values
 * back when it ends, so the settings other code sees are unchanged afterwards. The library reads
 * `env` on every file it fetches, so a chat-model load must not run *while* a hub download is in
 * progress (loads in this module are serialised; the kernel should not overlap the two kinds).
 */
import { env, pipeline, type FeatureExtractionPipeline, type ProgressInfo, type Tensor } from "@huggingface/transformers";
import type { Device } from "../engine.ts";
import { KernelError } from "../errors.ts";
import { cpuOptimizedSession, fetchForLoad } from "../engines/transformers.ts";
import { yieldToEventLoop } from "../yield.ts";
import type { Embedder, LoadProgress } from "./embedder.ts";

export interface EmbedderSpec {
  id: string;
  label: string;
  /** "embedded": a folder under `modelBaseUrl` on our origin; "hub": a Hugging Face repository. */
  source: "embedded" | "hub";
  /** Folder name (embedded) or repository id (hub). */
  path: string;
  dim: number;
  /** How token vectors become one sentence vector (what the model was trained with). */
  pooling: "mean" | "cls";
  /** Which ONNX file: fp32 = onnx/model.onnx, q8 = onnx/model_quantized.onnx. */
  dtype: "fp32" | "q8";
  /** Embedded models: the folder also holds the CPU-optimized copy (see cpuOptimizedSession). */
  cpuOptimized?: boolean;
  /** Approximate download in MB (0 for embedded models). */
  downloadMB: number;
  /** Tokens per text the model reads; longer texts are truncated by its tokenizer. */
  maxTokens: number;
}

export const EMBEDDERS: readonly EmbedderSpec[] = [
  {
    id: "aios-embed",
    label: "AIOS embed (embedded, 128-d)",
    source: "embedded",
    path: "aios-embed",
    dim: 128,
    pooling: "mean",
    dtype: "fp32",
    cpuOptimized: true,
    downloadMB: 0,
    maxTokens: 128,
  },
  {
    id: "Xenova/all-MiniLM-L6-v2",
    label: "all-MiniLM-L6-v2 (384-d, int8, ~23 MB download)",
    source: "hub",
    path: "Xenova/all-MiniLM-L6-v2",
    dim: 384,
    pooling: "mean",
    dtype: "q8",
    downloadMB: 23,
    maxTokens: 512,
  },
  {
    id: "Xenova/bge-small-en-v1.5",
    label: "bge-small-en-v1.5 (384-d, int8, ~34 MB download)",
    source: "hub",
    path: "Xenova/bge-small-en-v1.5",
    dim: 384,
    // BGE is trained with the [CLS] vector as the sentence embedding.
    pooling: "cls",
    dtype: "q8",
    downloadMB: 34,
    maxTokens: 512,
  },
];

export const DEFAULT_HUB = "https://huggingface.co/";

export interface TransformersEmbedderOptions {
  /** Where embedded model folders live: "/models/" in a browser (root-relative), a directory in Node. */
  modelBaseUrl: string;
  device: Exclude<Device, "remote">;
  /** ONNX Runtime Web's runtime on our own origin (never the library's CDN default). */
  wasmPaths?: { mjs: string; wasm: string };
  /** The hub that "hub" models download from (default https://huggingface.co/). */
  remoteHost?: string;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
}

/** At most this many texts per embed() call, and this many characters per text. */
export const MAX_TEXTS = 1024;
export const MAX_TEXT_CHARS = 16_384;

type EnvSnapshot = Pick<typeof env, "allowLocalModels" | "allowRemoteModels" | "localModelPath" | "remoteHost" | "remotePathTemplate" | "useBrowserCache" | "fetch">;

function snapshotEnv(): EnvSnapshot {
  const { allowLocalModels, allowRemoteModels, localModelPath, remoteHost, remotePathTemplate, useBrowserCache, fetch } = env;
  return { allowLocalModels, allowRemoteModels, localModelPath, remoteHost, remotePathTemplate, useBrowserCache, fetch };
}

/** HTTP failures seen during one load (the library reports some of them without their status). */
interface FailedFetch {
  status: number;
  url: string;
}

/** What one load needs: embedded models only from our origin, hub models only from the hub. */
function configureEnvironment(spec: EmbedderSpec, options: TransformersEmbedderOptions, failures: FailedFetch[]): void {
  env.fetch = async (input: string | URL, init?: unknown) => {
    const response = await fetchForLoad(input, init as RequestInit | undefined);
    if (!response.ok) failures.push({ status: response.status, url: String(input) });
    return response;
  };
  if (spec.source === "embedded") {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = options.modelBaseUrl;
    // Kept by the service worker's precache (see the engine's configureEnvironment).
    env.useBrowserCache = false;
  } else {
    // No local lookup first: a static host may answer a missing /models/<repo>/config.json with
    // its index.html (200), which the library would then try to parse.
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
    env.remoteHost = options.remoteHost ?? DEFAULT_HUB;
    env.remotePathTemplate = "{model}/resolve/{revision}/";
    // Downloads are kept in the Cache API where the runtime has one (browsers; Node uses its FS cache).
    env.useBrowserCache = typeof (globalThis as { caches?: unknown }).caches !== "undefined";
  }
  const wasm = env.backends.onnx.wasm;
  if (options.wasmPaths && wasm) {
    wasm.wasmPaths = { ...options.wasmPaths };
    wasm.proxy = false;
  }
}

/** Loads run one at a time: each holds the global env for its whole duration. */
let loadChain: Promise<unknown> = Promise.resolve();

export async function loadTransformersEmbedder(
  modelId: string,
  options: TransformersEmbedderOptions,
  onProgress: (p: LoadProgress) => void = () => {},
  catalog: readonly EmbedderSpec[] = EMBEDDERS,
): Promise<TransformersEmbedder> {
  const spec = catalog.find((m) => m.id === modelId);
  if (!spec) throw new KernelError("ENOENT", `no embedding model ${modelId}`);
  const run = loadChain.then(() => load(spec, options, onProgress));
  loadChain = run.catch(() => {});
  return run;
}

async function load(spec: EmbedderSpec, options: TransformersEmbedderOptions, onProgress: (p: LoadProgress) => void): Promise<TransformersEmbedder> {
  const modelId = spec.id;
  const where = spec.source === "embedded" ? `${options.modelBaseUrl}${spec.path}` : `${options.remoteHost ?? DEFAULT_HUB}${spec.path}`;
  const verb = spec.source === "hub" ? "Downloading" : "Loading";
  const progress_callback = (info: ProgressInfo) => {
    if (info.status === "progress_total") {
      onProgress({ modelId, progress: info.progress / 100, loaded: info.loaded, total: info.total, text: `${verb} ${modelId}` });
    } else if (info.status === "ready") {
      onProgress({ modelId, progress: 1, text: `${modelId} ready` });
    }
  };
  const saved = snapshotEnv();
  const failures: FailedFetch[] = [];
  configureEnvironment(spec, options, failures);
  onProgress({ modelId, progress: 0, text: `${verb} ${modelId}` });
  let extractor: FeatureExtractionPipeline;
  try {
    extractor = (await pipeline("feature-extraction", spec.path, {
      device: options.device,
      dtype: spec.dtype,
      progress_callback,
      ...cpuOptimizedSession(options.device, spec.cpuOptimized),
    })) as FeatureExtractionPipeline;
  } catch (error) {
    throw loadError(spec, where, error, failures);
  } finally {
    Object.assign(env, saved);
  }
  if (!extractor.tokenizer) {
    // get_file_metadata memoises "tokenizer_config.json: 404" per model id for the page's life.
    await extractor.dispose();
    throw new KernelError("ELOAD", `${modelId} from ${where}: no tokenizer (tokenizer_config.json was not found)`);
  }
  const hidden = Number((extractor.model.config as unknown as { hidden_size?: number }).hidden_size);
  if (hidden !== spec.dim) {
    await extractor.dispose();
    throw new KernelError("ELOAD", `${modelId} from ${where}: its vectors have ${hidden} dimensions, the catalog says ${spec.dim}`);
  }
  return new TransformersEmbedder(spec, options.device, extractor, options.batchSize ?? 32);
}

/** ELOAD naming the model, where it came from and, for HTTP failures, the status. */
function loadError(spec: EmbedderSpec, where: string, error: unknown, failures: readonly FailedFetch[]): KernelError {
  if (error instanceof KernelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Transformers.js's ModelFileNotFoundError carries `status` (401/403/404); its other HTTP errors
  // only have a message ("Internal server error error occurred…: <url>"), so the status comes from
  // the failed response for the URL it names.
  const status = (error as { status?: unknown } | null)?.status;
  const failed = failures.findLast((f) => message.includes(f.url));
  const code = typeof status === "number" ? status : failed?.status;
  if (code !== undefined) {
    const why = code === 401 || code === 404 ? " (no such model or file, or it needs a login)" : code === 403 ? " (access denied)" : "";
    return new KernelError("ELOAD", `could not download ${spec.id} from ${where}: HTTP ${code}${why}: ${message}`, { cause: error });
  }
  const network = error instanceof TypeError && /fetch/i.test(message);
  return new KernelError("ELOAD", `could not load ${spec.id} from ${where}: ${network ? `network error (${message})` : message}`, { cause: error });
}

/** Checks texts: a non-empty array of at most MAX_TEXTS strings of at most MAX_TEXT_CHARS each. */
export function validateTexts(texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts)) throw new KernelError("EINVAL", `texts: expected an array of strings, got ${describe(texts)}`);
  if (texts.length === 0) throw new KernelError("EINVAL", "texts: the list is empty");
  if (texts.length > MAX_TEXTS) throw new KernelError("EINVAL", `texts: ${texts.length} texts; at most ${MAX_TEXTS} per call`);
  texts.forEach((t, i) => {
    if (typeof t !== "string") throw new KernelError("EINVAL", `texts[${i}]: expected a string, got ${describe(t)}`);
    if (t.length > MAX_TEXT_CHARS) throw new KernelError("EINVAL", `texts[${i}]: ${t.length} characters; at most ${MAX_TEXT_CHARS}`);
  });
}

function describe(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

export class TransformersEmbedder implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  private readonly pooling: "mean" | "cls";

  constructor(
    readonly spec: EmbedderSpec,
    readonly device: Exclude<Device, "remote">,
    private extractor: FeatureExtractionPipeline | null,
    private readonly batchSize: number,
  ) {
    this.modelId = spec.id;
    this.dim = spec.dim;
    this.pooling = spec.pooling;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    validateTexts(texts);
    signal?.throwIfAborted();
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const extractor = this.extractor;
      if (!extractor) throw new KernelError("ENOTREADY", `${this.modelId} was unloaded`);
      const batch = texts.slice(start, start + this.batchSize);
      const tensor = (await extractor(batch, { pooling: this.pooling, normalize: true })) as Tensor;
      const [rows, dim] = tensor.dims as [number, number];
      if (rows !== batch.length || dim !== this.dim) {
        throw new KernelError("EINTERNAL", `${this.modelId}: expected ${batch.length}x${this.dim} embeddings, got ${tensor.dims.join("x")}`);
      }
      const data = tensor.data as Float32Array;
      for (let i = 0; i < rows; i++) out.push(data.slice(i * dim, (i + 1) * dim));
      tensor.dispose();
      // Let aborts and other requests in between batches (session.run may never yield).
      if (start + this.batchSize < texts.length) await yieldToEventLoop();
      signal?.throwIfAborted();
    }
    return out;
  }

  async unload(): Promise<void> {
    const extractor = this.extractor;
    this.extractor = null;
    await extractor?.dispose();
  }
}

/**
 * Whether a hub model's weights are already in the browser's Cache API (so loading needs no
 * network). Looks the ONNX file up under the key Transformers.js stores it with; no request.
 */
export async function isEmbedderCached(spec: EmbedderSpec, remoteHost = DEFAULT_HUB): Promise<boolean> {
  if (spec.source === "embedded") return true;
  const caches = (globalThis as { caches?: CacheStorage }).caches;
  if (!caches) return false;
  try {
    const cache = await caches.open(env.cacheKey);
    const file = spec.dtype === "q8" ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
    return (await cache.match(`${remoteHost.replace(/\/?$/, "/")}${spec.path}/resolve/main/${file}`)) !== undefined;
  } catch {
    return false;
  }
}
