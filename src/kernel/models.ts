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
  adapter?: string;
}

export async function detectGpu(): Promise<GpuCapabilities> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return { webgpu: false, shaderF16: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { webgpu: false, shaderF16: false };
    const info = adapter.info;
    return {
      webgpu: true,
      shaderF16: adapter.features.has("shader-f16"),
      adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown",
    };
  } catch {
    return { webgpu: false, shaderF16: false };
  }
}
