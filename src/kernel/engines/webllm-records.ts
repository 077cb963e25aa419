/**
 * web-llm's catalog without web-llm: which of its chat models fit this device, and what of each is
 * in the browser's Cache API (downloaded, resumable, available offline, bytes on disk). Nothing
 * here imports the library at run time, so listing the catalog costs none of its 6.8 MB.
 *
 * Invariants (web-llm 0.2.86, `cacheBackend` unset = "cache", read from its lib/index.js):
 * - A model's files live in three Cache API caches: "webllm/config" (mlc-chat-config.json, and the
 *   model's manifest where the record names one), "webllm/wasm" (its `model_lib`, keyed by that
 *   exact URL, possibly shared by several models), "webllm/model" (tokenizer.json or
 *   tokenizer.model, tensor-cache.json, and the weight shards it lists). Every URL except the
 *   wasm's begins with the model's base URL (`modelBaseUrl`).
 * - Each file is stored whole by `Cache.add()` and skipped on the next load if present
 *   (ArtifactCache.addToCache), so an interrupted download resumes file by file: the shards
 *   already stored are kept; a shard cut off mid-way is not stored and downloads again from its start.
 */
import type { GpuCapabilities } from "../models.ts";

/** The fields of web-llm's ModelRecord the model manager reads. */
export interface CatalogRecord {
  model: string;
  model_id: string;
  model_lib: string;
  vram_required_MB?: number;
  low_resource_required?: boolean;
  buffer_size_required_bytes?: number;
  required_features?: string[];
  model_manifest?: string;
  /** Context window the catalog sets (overrides.context_window_size). */
  context_window_size?: number;
}

interface LibraryRecord extends Omit<CatalogRecord, "context_window_size"> {
  model_type?: number;
  overrides?: { context_window_size?: number };
}

/** The chat models (not embedding or vision-language) of a web-llm model list, as CatalogRecords. */
export function catalogOf(list: readonly LibraryRecord[]): CatalogRecord[] {
  return list
    .filter((r) => r.model_type === undefined || r.model_type === 0)
    .map((r) => {
      const c: CatalogRecord = { model: r.model, model_id: r.model_id, model_lib: r.model_lib };
      if (r.vram_required_MB !== undefined) c.vram_required_MB = r.vram_required_MB;
      if (r.low_resource_required !== undefined) c.low_resource_required = r.low_resource_required;
      if (r.buffer_size_required_bytes !== undefined) c.buffer_size_required_bytes = r.buffer_size_required_bytes;
      if (r.required_features !== undefined) c.required_features = [...r.required_features];
      if (r.model_manifest !== undefined) c.model_manifest = r.model_manifest;
      if (r.overrides?.context_window_size !== undefined) c.context_window_size = r.overrides.context_window_size;
      return c;
    });
}

/** A model needs shader-f16 if the catalog says so or its quantisation computes in f16. */
export function needsShaderF16(record: Pick<CatalogRecord, "model_id" | "required_features">): boolean {
  return (record.required_features ?? []).includes("shader-f16") || /-q\d+f16/.test(record.model_id);
}

/** web-llm's detectGPUDevice refuses adapters below these (its fallbacks from 1 GiB). */
export const WEBLLM_MIN_MAX_BUFFER_SIZE = 256 * 2 ** 20;
export const WEBLLM_MIN_STORAGE_BINDING = 128 * 2 ** 20;

export interface Fit {
  /** Expected to run well here: shown by default. */
  fits: boolean;
  /**
   * Can be tried at all: false where web-llm would refuse or fail for certain (no WebGPU, a
   * missing feature, adapter limits below its requirements); the kernel refuses such a load.
   */
  runnable: boolean;
  /** Why it does not fit (every reason, "; "-joined); absent when it fits. */
  why?: string;
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const gb = (megabytes: number) => `${(megabytes / 1024).toFixed(1)} GB`;

/**
 * Whether a web-llm model fits this device. Hard reasons (runnable: false) come from facts the
 * adapter reports; soft ones (runnable: true, fits: false) are estimates: web-llm's own
 * `vram_required_MB` against the device's memory as the browser reports it (navigator.deviceMemory,
 * which browsers round down and cap, so it is a floor), and a software adapter's speed.
 */
export function assess(record: CatalogRecord, gpu: GpuCapabilities, memoryGB?: number): Fit {
  const hard: string[] = [];
  const soft: string[] = [];
  if (!gpu.webgpu) hard.push("needs WebGPU; this browser has no WebGPU adapter");
  else {
    if (needsShaderF16(record) && !gpu.shaderF16) hard.push("needs the shader-f16 WebGPU feature, which this adapter lacks");
    const limits = gpu.limits;
    if (limits) {
      if (limits.maxBufferSize < WEBLLM_MIN_MAX_BUFFER_SIZE) hard.push(`web-llm needs buffers of ${mb(WEBLLM_MIN_MAX_BUFFER_SIZE)}; this adapter allows ${mb(limits.maxBufferSize)}`);
      const binding = Math.max(record.buffer_size_required_bytes ?? 0, WEBLLM_MIN_STORAGE_BINDING);
      if (limits.maxStorageBufferBindingSize < binding) hard.push(`needs storage-buffer bindings of ${mb(binding)}; this adapter allows ${mb(limits.maxStorageBufferBindingSize)}`);
    }
    if (gpu.software) soft.push(`the adapter is software (${gpu.adapter ?? "CPU-emulated"}): far too slow for this model`);
  }
  if (record.vram_required_MB !== undefined && memoryGB !== undefined && record.vram_required_MB > memoryGB * 1024) {
    soft.push(`needs about ${gb(record.vram_required_MB)} of memory (web-llm's estimate); this device reports ${memoryGB} GB (navigator.deviceMemory)`);
  }
  const reasons = [...hard, ...soft];
  return reasons.length === 0 ? { fits: true, runnable: true } : { fits: false, runnable: hard.length === 0, why: reasons.join("; ") };
}

/** The base URL every model file but the wasm is under, as web-llm resolves it (its cleanModelUrl). */
export function modelBaseUrl(record: Pick<CatalogRecord, "model">): string {
  let base = record.model.endsWith("/") ? record.model : record.model + "/";
  if (!/.+\/resolve\/.+\//.test(base)) base += "resolve/main/";
  return new URL(base).href;
}

export interface DownloadState {
  /** Download size in bytes: exact for the weights once their list (tensor-cache.json) is stored, else web-llm's memory estimate. */
  sizeBytes?: number;
  /** sizeBytes is an estimate (vram_required_MB), not the files' sizes. */
  sizeEstimated: boolean;
  /** Bytes of this model's files in the Cache API (the wasm counted even where another model shares it). */
  diskBytes: number;
  /** The weights are all stored (web-llm's own hasModelInCache). */
  weights: boolean;
  /** Every file a load reads is stored: it loads with no network. */
  offline: boolean;
  /** Files stored, and how many a load needs (null until the weights' list is stored). */
  files: { stored: number; total: number | null };
}

const CONFIG = "webllm/config";
const WASM = "webllm/wasm";
const MODEL = "webllm/model";

/** Size of a stored response's body: its Content-Length where the body is not encoded, else its bytes. */
async function bodySize(response: Response): Promise<number> {
  const length = Number(response.headers.get("content-length"));
  if (Number.isFinite(length) && length > 0 && !response.headers.get("content-encoding")) return length;
  return (await response.clone().blob()).size;
}

/** web-llm's three caches, read once: cache name → URL → stored response (bodies not read). */
export type StoredFiles = ReadonlyMap<string, ReadonlyMap<string, Response>>;

/** Reads web-llm's caches (keys and responses, not bodies); a cache that does not exist is not created. */
export async function readStoredFiles(caches: CacheStorage): Promise<StoredFiles> {
  const out = new Map<string, Map<string, Response>>();
  for (const name of [CONFIG, WASM, MODEL]) {
    const entries = new Map<string, Response>();
    out.set(name, entries);
    // caches.open() would create the cache: a model never downloaded leaves nothing behind.
    if (!(await caches.has(name))) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (response) entries.set(request.url, response);
    }
  }
  return out;
}

function entriesOf(files: StoredFiles, name: string, keep: (url: string) => boolean): Map<string, Response> {
  return new Map([...(files.get(name) ?? new Map<string, Response>())].filter(([url]) => keep(url)));
}

async function json(response: Response | undefined): Promise<Record<string, unknown> | null> {
  if (!response) return null;
  try {
    return (await response.clone().json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * What of `record` is in the Cache API. Reads only the caches (no network); the files a load needs
 * are the ones web-llm's MLCEngine.reload fetches (see the invariants above).
 */
export async function inspectDownload(record: CatalogRecord, from: CacheStorage | StoredFiles | undefined): Promise<DownloadState> {
  const estimate: DownloadState = {
    sizeBytes: record.vram_required_MB !== undefined ? Math.round(record.vram_required_MB * 2 ** 20) : undefined,
    sizeEstimated: true,
    diskBytes: 0,
    weights: false,
    offline: false,
    files: { stored: 0, total: null },
  };
  if (!from) return estimate;
  const files = from instanceof Map ? (from as StoredFiles) : await readStoredFiles(from as CacheStorage);
  const base = modelBaseUrl(record);
  const config = entriesOf(files, CONFIG, (u) => u.startsWith(base));
  const wasm = entriesOf(files, WASM, (u) => u === record.model_lib);
  const model = entriesOf(files, MODEL, (u) => u.startsWith(base));
  const sizes = new Map<string, number>();
  for (const [url, response] of [...config, ...wasm, ...model]) sizes.set(url, await bodySize(response));
  const diskBytes = [...sizes.values()].reduce((a, b) => a + b, 0);

  // The files a load reads, as far as the stored ones tell.
  const manifestUrl = record.model_manifest !== undefined ? new URL(record.model_manifest, base).href : null;
  const manifest = manifestUrl ? await json(config.get(manifestUrl)) : null;
  const weightsManifest = (manifest?.weights as { manifest?: unknown } | undefined)?.manifest;
  const configUrl = new URL(typeof manifest?.chat_config === "string" ? manifest.chat_config : "mlc-chat-config.json", base).href;
  const tensorListUrl = new URL(typeof weightsManifest === "string" ? weightsManifest : "tensor-cache.json", base).href;
  const chatConfig = await json(config.get(configUrl));
  const tokenizerFiles = Array.isArray(chatConfig?.tokenizer_files) ? (chatConfig.tokenizer_files as unknown[]) : ["tokenizer.json"];
  const tokenizerUrl = new URL(tokenizerFiles.includes("tokenizer.json") ? "tokenizer.json" : "tokenizer.model", base).href;
  const tensorList = await json(model.get(tensorListUrl));
  const shards = Array.isArray(tensorList?.records) ? (tensorList.records as Array<{ dataPath: string; nbytes: number }>) : null;

  const needed = [configUrl, record.model_lib, tokenizerUrl, tensorListUrl, ...(manifestUrl ? [manifestUrl] : [])];
  const shardUrls = shards?.map((s) => new URL(s.dataPath, new URL(".", tensorListUrl)).href) ?? [];
  const all = [...needed, ...shardUrls];
  const stored = all.filter((u) => sizes.has(u)).length;
  const weights = shards !== null && shardUrls.every((u) => sizes.has(u));
  const offline = shards !== null && stored === all.length;
  if (!shards) return { ...estimate, diskBytes, files: { stored, total: null } };
  const shardBytes = shards.reduce((a, s) => a + s.nbytes, 0);
  const otherBytes = needed.reduce((a, u) => a + (sizes.get(u) ?? 0), 0);
  return { sizeBytes: shardBytes + otherBytes, sizeEstimated: false, diskBytes, weights, offline, files: { stored, total: all.length } };
}

/**
 * Deletes a model's files from web-llm's caches: every entry under its URL in "webllm/config" and
 * "webllm/model", and its wasm unless another model with files stored uses the same one (39 wasm
 * files of the catalog are shared). Reads and deletes only; never fetches. (web-llm's own
 * deleteModelAllInfoInCache fetches the weights' list when it is not stored, leaves that list
 * behind, and deletes a shared wasm.)
 */
export async function removeStored(record: CatalogRecord, catalog: readonly CatalogRecord[], caches: CacheStorage | undefined): Promise<void> {
  if (!caches) return;
  const base = modelBaseUrl(record);
  for (const name of [CONFIG, MODEL]) {
    if (!(await caches.has(name))) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) if (request.url.startsWith(base)) await cache.delete(request);
  }
  if (!(await caches.has(WASM))) return;
  const modelKeys = (await caches.has(MODEL)) ? (await (await caches.open(MODEL)).keys()).map((r) => r.url) : [];
  const shared = catalog.some((other) => other.model_id !== record.model_id && other.model_lib === record.model_lib && modelKeys.some((url) => url.startsWith(modelBaseUrl(other))));
  if (!shared) await (await caches.open(WASM)).delete(record.model_lib);
}
