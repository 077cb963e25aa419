import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EMBEDDED_MODELS, TransformersSource, modelFiles } from "../../../../src/kernel/engines/transformers-source.ts";

describe("the embedded models in the catalog", () => {
  it("names the files Transformers.js loads for each dtype", () => {
    expect(modelFiles("/models/", EMBEDDED_MODELS[0]!)).toEqual(["/models/aios-tiny/config.json", "/models/aios-tiny/tokenizer.json", "/models/aios-tiny/tokenizer_config.json", "/models/aios-tiny/onnx/model.onnx"]);
    expect(modelFiles("/models", EMBEDDED_MODELS[1]!).at(-1)).toBe("/models/aios-tiny/onnx/model_quantized.onnx");
  });

  it("in Node (no Cache API, files read from disk) every embedded model fits and is available offline", async () => {
    const models = await new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" }).list();
    expect(models.map((m) => [m.id, m.fits, m.runnable, m.offline, m.diskBytes])).toEqual([
      ["aios-tiny", true, true, true, 0],
      ["aios-tiny-q8", true, true, true, 0],
    ]);
  });
});
