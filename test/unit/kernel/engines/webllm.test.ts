import { prebuiltAppConfig } from "@mlc-ai/web-llm";
import { describe, expect, it } from "vitest";
import { modelFileUrls, needsShaderF16, runnableRecords } from "../../../../src/kernel/engines/webllm.ts";

const list = prebuiltAppConfig.model_list;
const gpu = (shaderF16: boolean) => ({ webgpu: true, shaderF16, software: false });

describe("web-llm catalog filtering", () => {
  it("offers nothing without WebGPU", () => {
    expect(runnableRecords(list, { webgpu: false, shaderF16: false, software: false })).toEqual([]);
  });

  it("without shader-f16 offers only f32 variants, q4f32 among them", () => {
    const ids = runnableRecords(list, gpu(false)).map((r) => r.model_id);
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.filter((id) => /f16/.test(id))).toEqual([]);
    expect(ids).toContain("Llama-3.2-1B-Instruct-q4f32_1-MLC");
  });

  it("with shader-f16 offers the f16 variants too, and only chat models", () => {
    const records = runnableRecords(list, gpu(true));
    expect(records.some((r) => r.model_id === "Llama-3.2-1B-Instruct-q4f16_1-MLC")).toBe(true);
    expect(records.every((r) => r.model_type === undefined || r.model_type === 0)).toBe(true);
    expect(records.length).toBeGreaterThan(runnableRecords(list, gpu(false)).length);
  });

  it("knows which quantisations need shader-f16", () => {
    const record = (model_id: string) => ({ model: "", model_id, model_lib: "" });
    expect(needsShaderF16(record("X-q4f16_1-MLC"))).toBe(true);
    expect(needsShaderF16(record("X-q0f16-MLC"))).toBe(true);
    expect(needsShaderF16(record("X-q4f32_1-MLC"))).toBe(false);
  });

  it("resolves model files the way web-llm does", () => {
    const [config, lib] = modelFileUrls({ model: "https://huggingface.co/mlc-ai/M", model_id: "M", model_lib: "https://example.test/lib.wasm" });
    expect(config).toBe("https://huggingface.co/mlc-ai/M/resolve/main/mlc-chat-config.json");
    expect(lib).toBe("https://example.test/lib.wasm");
  });
});
