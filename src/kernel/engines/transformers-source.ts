/**
 * The Transformers.js models: the embedded ones shipped under /models/ (no download).
 *
 * Where they are stored: the service worker's precache ("workbox-precache-…", the whole app for
 * offline use). Transformers.js's own copy ("transformers-cache") is no longer written for them,
 * but earlier versions did, so it is still counted. An embedded model is available offline when
 * every file it loads is in one of them; its bytes on disk are those files' bytes in both.
 */
import type { Device, Engine, LoadProgress } from "../engine.ts";
import { KernelError } from "../errors.ts";
import type { ModelEntry, ModelSource } from "../models.ts";
import { cpuOptimizedSession, loadTransformersEngine, prefetchForLoad, type TransformersEngineOptions, type TransformersModelSpec } from "./transformers.ts";

export interface EmbeddedModel extends TransformersModelSpec {
  id: string;
  label: string;
}

export const EMBEDDED_MODELS: readonly EmbeddedModel[] = [
  { id: "aios-tiny", label: "AIOS tiny (embedded, fp32)", path: "aios-tiny", dtype: "fp32", cpuOptimized: true },
  { id: "aios-tiny-q8", label: "AIOS tiny (embedded, int8)", path: "aios-tiny", dtype: "q8", cpuOptimized: true },
];

const ONNX_SUFFIX: Record<TransformersModelSpec["dtype"], string> = { fp32: "", q8: "_quantized" };

/** The paths (no origin) of the files Transformers.js loads for an embedded model on `device`. */
export function modelFiles(modelBaseUrl: string, model: TransformersModelSpec, device: Exclude<Device, "remote">): string[] {
  const dir = `${modelBaseUrl.endsWith("/") ? modelBaseUrl : modelBaseUrl + "/"}${model.path}/`;
  const file = cpuOptimizedSession(device, model.cpuOptimized).model_file_name ?? "model";
  return ["config.json", "tokenizer.json", "tokenizer_config.json", `onnx/${file}${ONNX_SUFFIX[model.dtype]}.onnx`].map((f) => dir + f);
}

/** Files under `modelBaseUrl` in the precache and Transformers.js's cache: "cache|path" → bytes. */
async function storedModelFiles(modelBaseUrl: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const caches = (globalThis as { caches?: CacheStorage }).caches;
  if (!caches || !modelBaseUrl.startsWith("/")) return out;
  for (const name of await caches.keys()) {
    if (!name.startsWith("workbox-precache") && name !== "transformers-cache") continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const path = new URL(request.url).pathname;
      if (!path.startsWith(modelBaseUrl)) continue;
      const response = await cache.match(request);
      if (!response) continue;
      const length = Number(response.headers.get("content-length"));
      out.set(`${name}|${path}`, Number.isFinite(length) && length > 0 && !response.headers.get("content-encoding") ? length : (await response.blob()).size);
    }
  }
  return out;
}

export class TransformersSource implements ModelSource {
  readonly engine = "transformers" as const;

  constructor(
    private readonly options: TransformersEngineOptions,
    private readonly models: readonly EmbeddedModel[] = EMBEDDED_MODELS,
  ) {}

  has(id: string): boolean {
    return this.models.some((m) => m.id === id);
  }

  async list(): Promise<ModelEntry[]> {
    const hasCacheApi = typeof (globalThis as { caches?: unknown }).caches !== "undefined";
    const stored = await storedModelFiles(this.options.modelBaseUrl).catch(() => new Map<string, number>());
    return this.models.map((m) => {
      const files = modelFiles(this.options.modelBaseUrl, m, this.options.device);
      const diskBytes = [...stored].filter(([key]) => files.includes(key.slice(key.indexOf("|") + 1))).reduce((a, [, n]) => a + n, 0);
      const have = new Set([...stored.keys()].map((key) => key.slice(key.indexOf("|") + 1)));
      // Without a Cache API (Node: `npm run serve`) the files are read from the local directory.
      const offline = !hasCacheApi || files.every((f) => have.has(f));
      return { id: m.id, engine: this.engine, label: m.label, embedded: true, cached: true, fits: true, runnable: true, diskBytes, offline };
    });
  }

  /**
   * Starts fetching an embedded model's files before the library asks for them (each load does,
   * as it begins); the load uses and then forgets them. Browsers only (a root-relative base);
   * fetches already started are not repeated.
   */
  prefetch(id: string): void {
    const model = this.models.find((m) => m.id === id);
    if (!model || !this.options.modelBaseUrl.startsWith("/")) return;
    const files = modelFiles(this.options.modelBaseUrl, model, this.options.device);
    prefetchForLoad([...files, files[0]!.replace(/config\.json$/, "generation_config.json")]);
  }

  async load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine> {
    const model = this.models.find((m) => m.id === id);
    if (!model) throw new KernelError("ENOENT", `no embedded model ${id}`);
    // Every load, not only boot's: a model picked later also gets its files at once, once.
    this.prefetch(id);
    return loadTransformersEngine(id, model, this.options, onProgress);
  }
}
