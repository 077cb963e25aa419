/** The Transformers.js models: the embedded ones shipped under /models/ (no download). */
import type { Engine, LoadProgress } from "../engine.ts";
import { KernelError } from "../errors.ts";
import type { ModelEntry, ModelSource } from "../models.ts";
import { loadTransformersEngine, type TransformersEngineOptions, type TransformersModelSpec } from "./transformers.ts";

export interface EmbeddedModel extends TransformersModelSpec {
  id: string;
  label: string;
}

export const EMBEDDED_MODELS: readonly EmbeddedModel[] = [
  { id: "aios-tiny", label: "AIOS tiny (embedded, fp32)", path: "aios-tiny", dtype: "fp32" },
  { id: "aios-tiny-q8", label: "AIOS tiny (embedded, int8)", path: "aios-tiny", dtype: "q8" },
];

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
    return this.models.map((m) => ({ id: m.id, engine: this.engine, label: m.label, embedded: true, cached: true }));
  }

  async load(id: string, onProgress: (p: LoadProgress) => void): Promise<Engine> {
    const model = this.models.find((m) => m.id === id);
    if (!model) throw new KernelError("ENOENT", `no embedded model ${id}`);
    return loadTransformersEngine(id, model, this.options, onProgress);
  }
}
