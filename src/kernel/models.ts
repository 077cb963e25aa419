/**
 * The model catalog: the embedded model (shipped under public/models/, zero downloads) and the
 * models each engine can fetch on demand. A ModelSource is one engine's view of its models.
 */
import type { Engine, EngineName, LoadProgress } from "./engine.ts";

export interface ModelEntry {
  id: string;
  engine: EngineName;
  label: string;
  /** Shipped with the app: loads with no download. */
  embedded: boolean;
  /** Approximate memory needed, in MB, where the catalog says. */
  vramMB?: number;
  /** Weights are in the browser's cache, so loading needs no network. */
  cached: boolean;
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
    };
  } catch {
    return none;
  }
}
