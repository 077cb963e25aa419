/**
 * The model catalog: the embedded model (shipped under public/models/, zero downloads) and the
 * models each engine can fetch on demand. A ModelSource is one engine's view of its models.
 */
import type { Engine, EngineName, LoadProgress } from "./engine.ts";
import { KernelError } from "./errors.ts";

export interface ModelEntry {
  id: string;
  engine: EngineName;
  label: string;
  /** Shipped with the app: loads with no download. */
  embedded: boolean;
  /** Approximate memory needed, in MB, where the catalog says. */
  vramMB?: number;
  /** The weights are in the browser's cache (downloaded or embedded). */
  cached: boolean;
  /** Expected to run well on this device; the model manager shows the others behind "Show all". */
  fits: boolean;
  /** Why it does not fit (absent when it fits). */
  why?: string;
  /** False where a load is refused outright (no WebGPU, a missing GPU feature, adapter limits). */
  runnable: boolean;
  /** Download size in bytes, where known (see sizeEstimated). */
  sizeBytes?: number;
  /** sizeBytes is an estimate (the catalog's memory figure), not the files' sizes. */
  sizeEstimated?: boolean;
  /** Bytes this model's files take in the browser's caches (Cache API; 0 for none, and in Node). */
  diskBytes: number;
  /** Every file a load needs is stored on this device: it loads with no network. */
  offline: boolean;
  /** A download in part: files already stored (kept: the next load fetches only the rest) and the files a load needs (null: not yet known). */
  partial?: { stored: number; total: number | null };
}

export interface ModelInfo extends ModelEntry {
  loaded: boolean;
}

export interface ModelSource {
  readonly engine: EngineName;
  has(id: string): boolean;
  list(): Promise<ModelEntry[]>;
  load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine>;
  /** Deletes cached weights; absent for sources whose models cannot be deleted. */
  remove?(id: string): Promise<void>;
}

export interface GpuCapabilities {
  webgpu: boolean;
  shaderF16: boolean;
  /** A CPU-emulated adapter (e.g. SwiftShader): correct, but far slower than wasm for small models. */
  software: boolean;
  adapter?: string;
  /** The adapter's limits that decide which models can run (bytes). */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

export async function detectGpu(): Promise<GpuCapabilities> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu;
  const none: GpuCapabilities = { webgpu: false, shaderF16: false, software: false };
  if (!gpu) return none;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return none;
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return {
      webgpu: true,
      shaderF16: adapter.features.has("shader-f16"),
      software: info?.isFallbackAdapter === true || /swiftshader/i.test(`${info?.architecture} ${info?.description}`),
      adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown",
      limits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
    };
  } catch {
    return none;
  }
}

/** The device's memory in GB as the browser reports it (navigator.deviceMemory: rounded down, capped), if it does. */
export function deviceMemoryGB(): number | undefined {
  const m = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory;
  return typeof m === "number" && m > 0 ? m : undefined;
}

/** Bytes for people: "850 MB", "1.2 GB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  return `${Math.max(0, Math.round(bytes / 1024))} KB`;
}

export type StorageEstimator = () => Promise<{ quota?: number; usage?: number }>;

/** The browser's storage estimate for this origin, or nothing where it has none (Node). */
export const browserStorageEstimate: StorageEstimator = async () => {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  return storage?.estimate ? storage.estimate() : {};
};

/**
 * Refuses a download of `neededBytes` that cannot fit in what the browser still allows this origin
 * (quota − usage), with ENOSPC naming both figures; called before any file is fetched. Where the
 * browser gives no estimate the download goes ahead (and a full disk fails it in the library).
 */
export async function ensureRoom(what: string, neededBytes: number, estimate: StorageEstimator = browserStorageEstimate): Promise<void> {
  if (!(neededBytes > 0)) return;
  const { quota, usage = 0 } = await estimate().catch(() => ({ quota: undefined, usage: 0 }));
  if (quota === undefined) return;
  const free = Math.max(0, quota - usage);
  if (neededBytes <= free) return;
  throw new KernelError(
    "ENOSPC",
    `not enough storage to download ${what}: it needs about ${formatBytes(neededBytes)} more, but the browser lets this site store only ${formatBytes(free)} more ` +
      `(quota ${formatBytes(quota)}, ${formatBytes(usage)} used). Delete a downloaded model or free disk space; nothing was downloaded.`,
  );
}
