// A scripted test-double engine for unit tests of the kernel alone (the real engine is tested in
// engines/transformers.test.ts and the browser tests).
import type { Engine, GenerateParams, GenerateResult, LoadProgress } from "../../../src/kernel/engine.ts";
import type { ModelSource } from "../../../src/kernel/models.ts";

export class ScriptedEngine implements Engine {
  readonly name = "transformers" as const;
  readonly device = "cpu" as const;
  unloaded = false;
  constructor(readonly modelId: string, private readonly words: string[], private readonly delayMs = 2) {}
  async generate(p: GenerateParams): Promise<GenerateResult> {
    let text = "";
    let n = 0;
    for (const w of this.words) {
      if (p.signal.aborted) return this.result(text, "abort", n);
      if (n >= p.maxTokens) return this.result(text, "length", n);
      await new Promise((r) => setTimeout(r, this.delayMs));
      text += w;
      n++;
      p.onText?.(w);
    }
    return this.result(text, "stop", n);
  }
  private result(text: string, finishReason: GenerateResult["finishReason"], n: number): GenerateResult {
    return { text, finishReason, promptTokens: 3, completionTokens: n, timeToFirstTokenMs: 1, totalMs: 2 };
  }
  async countTokens(): Promise<number> {
    return 3;
  }
  async unload(): Promise<void> {
    this.unloaded = true;
  }
}

export function source(ids: string[], failing: string[] = [], words = ["Hello", ",", " world", "!"], delayMs = 2): ModelSource & { engines: ScriptedEngine[] } {
  const engines: ScriptedEngine[] = [];
  return {
    engine: "transformers",
    engines,
    has: (id) => ids.includes(id),
    list: async () => ids.map((id) => ({ id, engine: "transformers" as const, label: id, embedded: true, cached: true, fits: true, runnable: true, diskBytes: 0, offline: true })),
    load: async (id: string, onProgress: (p: LoadProgress) => void) => {
      onProgress({ modelId: id, progress: 0.5, text: "half" });
      if (failing.includes(id)) throw new Error("HTTP 404 for model file");
      const e = new ScriptedEngine(id, words, delayMs);
      engines.push(e);
      return e;
    },
  };
}

