import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EMBEDDED_MODELS, TransformersSource, modelFiles } from "../../../../src/kernel/engines/transformers-source.ts";

describe("the embedded models in the catalog", () => {
  it("names the files Transformers.js loads for each dtype", () => {
    expect(modelFiles("/models/", EMBEDDED_MODELS[0]!, "webgpu")).toEqual(["/models/aios-tiny/config.json", "/models/aios-tiny/tokenizer.json", "/models/aios-tiny/tokenizer_config.json", "/models/aios-tiny/onnx/model.onnx"]);
    expect(modelFiles("/models", EMBEDDED_MODELS[1]!, "webgpu").at(-1)).toBe("/models/aios-tiny/onnx/model_quantized.onnx");
    // wasm and Node's cpu load the copies tools/optimize_onnx.mjs optimized for the CPU kernels.
    expect(modelFiles("/models/", EMBEDDED_MODELS[0]!, "wasm").at(-1)).toBe("/models/aios-tiny/onnx/model_cpu.onnx");
    expect(modelFiles("/models/", EMBEDDED_MODELS[1]!, "cpu").at(-1)).toBe("/models/aios-tiny/onnx/model_cpu_quantized.onnx");
  });

  // That they compute what the exported files do is the engine's test (Node loads them; its greedy
  // outputs are compared with the torch fixture), and the browser tests' on wasm.
  it("ships every file it names on each device", () => {
    for (const model of EMBEDDED_MODELS) {
      for (const device of ["wasm", "webgpu", "cpu"] as const) {
        for (const file of modelFiles("models/", model, device)) expect(existsSync(resolve("public", file)), file).toBe(true);
      }
    }
  });

  it("in Node (no Cache API, files read from disk) every embedded model fits and is available offline", async () => {
    const models = await new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" }).list();
    expect(models.map((m) => [m.id, m.fits, m.runnable, m.offline, m.diskBytes])).toEqual([
      ["aios-tiny", true, true, true, 0],
      ["aios-tiny-q8", true, true, true, 0],
    ]);
  });
});
