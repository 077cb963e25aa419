import { prebuiltAppConfig } from "@mlc-ai/web-llm";
import { describe, expect, it } from "vitest";
import { WEBLLM_CATALOG } from "../../../../src/kernel/engines/webllm-catalog.ts";
import { WebLLMSource, modelFileUrls, needsShaderF16, runnableRecords } from "../../../../src/kernel/engines/webllm.ts";
import { assess, catalogOf, inspectDownload, modelBaseUrl, removeStored, type CatalogRecord } from "../../../../src/kernel/engines/webllm-records.ts";
import type { GpuCapabilities } from "../../../../src/kernel/models.ts";

const list = WEBLLM_CATALOG;
const GB = 2 ** 30;
const limits = { maxBufferSize: 2 * GB, maxStorageBufferBindingSize: 2 * GB };
const gpu = (shaderF16: boolean, extra: Partial<GpuCapabilities> = {}): GpuCapabilities => ({ webgpu: true, shaderF16, software: false, limits, ...extra });
const llama = list.find((r) => r.model_id === "Llama-3.2-1B-Instruct-q4f32_1-MLC")!;

describe("web-llm catalog", () => {
  it("the snapshot is the installed library's chat models (regenerate: npx tsx tools/make_webllm_catalog.mts)", () => {
    expect(WEBLLM_CATALOG).toEqual(catalogOf(prebuiltAppConfig.model_list));
    expect(list.length).toBeGreaterThan(100);
  });

  it("offers nothing runnable without WebGPU, and says why", () => {
    expect(runnableRecords(list, { webgpu: false, shaderF16: false, software: false })).toEqual([]);
    expect(assess(llama, { webgpu: false, shaderF16: false, software: false })).toEqual({ fits: false, runnable: false, why: "needs WebGPU; this browser has no WebGPU adapter" });
  });

  it("without shader-f16 runs only f32 variants, q4f32 among them; the f16 ones say so", () => {
    const ids = runnableRecords(list, gpu(false)).map((r) => r.model_id);
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.filter((id) => /f16/.test(id))).toEqual([]);
    expect(ids).toContain("Llama-3.2-1B-Instruct-q4f32_1-MLC");
    const f16 = list.find((r) => r.model_id === "Llama-3.2-1B-Instruct-q4f16_1-MLC")!;
    expect(assess(f16, gpu(false))).toMatchObject({ fits: false, runnable: false, why: expect.stringContaining("shader-f16") });
  });

  it("with shader-f16 runs the f16 variants too", () => {
    expect(runnableRecords(list, gpu(true)).length).toBeGreaterThan(runnableRecords(list, gpu(false)).length);
  });

  it("knows which quantisations need shader-f16", () => {
    const record = (model_id: string) => ({ model_id });
    expect(needsShaderF16(record("X-q4f16_1-MLC"))).toBe(true);
    expect(needsShaderF16(record("X-q0f16-MLC"))).toBe(true);
    expect(needsShaderF16(record("X-q4f32_1-MLC"))).toBe(false);
  });

  it("checks the adapter's limits against web-llm's and the model's", () => {
    const small = gpu(false, { limits: { maxBufferSize: 128 * 2 ** 20, maxStorageBufferBindingSize: 64 * 2 ** 20 } });
    const fit = assess(llama, small);
    expect(fit.runnable).toBe(false);
    expect(fit.why).toContain("this adapter allows 128 MB");
    expect(fit.why).toContain("this adapter allows 64 MB");
    const needsBig: CatalogRecord = { ...llama, buffer_size_required_bytes: 1 * GB };
    expect(assess(needsBig, gpu(false, { limits: { maxBufferSize: 2 * GB, maxStorageBufferBindingSize: 512 * 2 ** 20 } })).why).toContain("needs storage-buffer bindings of 1024 MB");
  });

  it("a software adapter or too little memory does not fit, but may be tried", () => {
    expect(assess(llama, gpu(false, { software: true, adapter: "google swiftshader" }))).toMatchObject({ fits: false, runnable: true, why: expect.stringContaining("software (google swiftshader)") });
    const big = list.find((r) => (r.vram_required_MB ?? 0) > 5000 && !needsShaderF16(r))!;
    const fit = assess(big, gpu(false), 4);
    expect(fit).toMatchObject({ fits: false, runnable: true });
    expect(fit.why).toMatch(/needs about \d+\.\d GB of memory .*this device reports 4 GB/);
    expect(assess(llama, gpu(false), 4)).toEqual({ fits: true, runnable: true });
  });

  it("resolves model files the way web-llm does", () => {
    const [config, lib] = modelFileUrls({ model: "https://huggingface.co/mlc-ai/M", model_lib: "https://example.test/lib.wasm" });
    expect(config).toBe("https://huggingface.co/mlc-ai/M/resolve/main/mlc-chat-config.json");
    expect(lib).toBe("https://example.test/lib.wasm");
  });
});

/** An in-memory CacheStorage (Node has none): a test double for this module's reads only. */
function memoryCaches(files: Record<string, Record<string, string | Uint8Array>>): CacheStorage {
  const store = new Map(Object.entries(files).map(([name, entries]) => [name, new Map(Object.entries(entries))]));
  const cache = (entries: Map<string, string | Uint8Array>) =>
    ({
      keys: async () => [...entries.keys()].map((url) => new Request(url)),
      delete: async (r: Request | string) => entries.delete(typeof r === "string" ? r : r.url),
      match: async (r: Request | string) => {
        const body = entries.get(typeof r === "string" ? r : r.url);
        if (body === undefined) return undefined;
        const length = typeof body === "string" ? new TextEncoder().encode(body).length : body.length;
        return new Response(body as BodyInit, { headers: { "content-length": String(length) } });
      },
    }) as unknown as Cache;
  const caches = {
    has: async (name: string) => store.has(name),
    open: async (name: string) => cache(store.get(name) ?? new Map()),
    urls: () => [...store.values()].flatMap((m) => [...m.keys()]),
  };
  return caches as unknown as CacheStorage;
}

const base = "https://huggingface.co/mlc-ai/Llama-3.2-1B-Instruct-q4f32_1-MLC/resolve/main/";
const tensorList = JSON.stringify({ records: [{ dataPath: "params_shard_0.bin", nbytes: 1000 }, { dataPath: "params_shard_1.bin", nbytes: 2000 }, { dataPath: "params_shard_2.bin", nbytes: 3000 }] });
const complete = {
  "webllm/config": { [`${base}mlc-chat-config.json`]: JSON.stringify({ tokenizer_files: ["tokenizer.json"] }) },
  "webllm/wasm": { [llama.model_lib]: new Uint8Array(500) },
  "webllm/model": {
    [`${base}tokenizer.json`]: "{}",
    [`${base}tensor-cache.json`]: tensorList,
    [`${base}params_shard_0.bin`]: new Uint8Array(1000),
    [`${base}params_shard_1.bin`]: new Uint8Array(2000),
    [`${base}params_shard_2.bin`]: new Uint8Array(3000),
    "https://huggingface.co/mlc-ai/Other-MLC/resolve/main/params_shard_0.bin": new Uint8Array(9999),
  },
};

describe("what of a web-llm model is stored", () => {
  it("nothing stored: the size is web-llm's memory estimate", async () => {
    const d = await inspectDownload(llama, memoryCaches({}));
    expect(d).toEqual({ sizeBytes: Math.round(llama.vram_required_MB! * 2 ** 20), sizeEstimated: true, diskBytes: 0, weights: false, offline: false, files: { stored: 0, total: null } });
  });

  it("all stored: exact size, bytes on disk of this model's files only, available offline", async () => {
    const d = await inspectDownload(llama, memoryCaches(complete));
    const small = JSON.stringify({ tokenizer_files: ["tokenizer.json"] }).length + 500 + 2 + tensorList.length;
    expect(d).toEqual({ sizeBytes: 6000 + small, sizeEstimated: false, diskBytes: 6000 + small, weights: true, offline: true, files: { stored: 7, total: 7 } });
  });

  it("an interrupted download: the shards stored are counted, the rest is missing", async () => {
    const { [`${base}params_shard_2.bin`]: _, ...model } = complete["webllm/model"];
    const d = await inspectDownload(llama, memoryCaches({ ...complete, "webllm/model": model }));
    expect(d).toMatchObject({ weights: false, offline: false, files: { stored: 6, total: 7 }, sizeEstimated: false });
    expect(d.sizeBytes! - d.diskBytes).toBe(3000);
  });
});

describe("before a download", () => {
  const refusing = (quota: number, usage: number) => {
    let imported = false;
    const source = new WebLLMSource(gpu(false), {
      caches: memoryCaches({}),
      storageEstimate: async () => ({ quota, usage }),
      library: async () => {
        imported = true;
        throw new Error("the library must not load");
      },
    });
    return { source, imported: () => imported };
  };

  it("refuses with ENOSPC, naming both figures, when the model cannot fit; nothing starts", async () => {
    const { source, imported } = refusing(2 * GB, 1.8 * GB);
    const error = (await source.load(llama.model_id, () => {}).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error).toMatchObject({ code: "ENOSPC" });
    expect(error.message).toContain("needs about 1.1 GB more");
    expect(error.message).toContain("only 205 MB more (quota 2.0 GB, 1.8 GB used)");
    expect(imported()).toBe(false);
  });

  it("goes ahead (to the library) when it fits", async () => {
    const { source, imported } = refusing(100 * GB, 1 * GB);
    const error = (await source.load(llama.model_id, () => {}).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error).toMatchObject({ code: "ELOAD", message: expect.stringContaining("the library must not load") });
    expect(imported()).toBe(true);
  });

  it("refuses a model that cannot run here with ENOTSUP", async () => {
    const { source, imported } = refusing(100 * GB, 0);
    await expect(source.load("Llama-3.2-1B-Instruct-q4f16_1-MLC", () => {})).rejects.toMatchObject({ code: "ENOTSUP", message: expect.stringContaining("shader-f16") });
    expect(imported()).toBe(false);
  });

  it("lists every chat model with fit, size and what is stored, without the library", async () => {
    const source = new WebLLMSource(gpu(false, { software: true }), { caches: memoryCaches(complete), library: async () => { throw new Error("no"); } });
    const models = await source.list();
    expect(models.length).toBe(list.length);
    const one = models.find((m) => m.id === llama.model_id)!;
    expect(one).toMatchObject({ cached: true, offline: true, fits: false, runnable: true, sizeEstimated: false });
    expect(one.diskBytes).toBeGreaterThan(6000);
    expect(models.find((m) => /q4f16/.test(m.id))).toMatchObject({ runnable: false, cached: false, offline: false, diskBytes: 0 });
  });
});

describe("deleting a web-llm model", () => {
  const urls = (caches: CacheStorage) => (caches as unknown as { urls(): string[] }).urls();

  it("removes every file of the model, its weights' list included, and nothing of another model", async () => {
    const caches = memoryCaches(complete);
    await removeStored(llama, list, caches);
    expect(urls(caches)).toEqual(["https://huggingface.co/mlc-ai/Other-MLC/resolve/main/params_shard_0.bin"]);
  });

  it("keeps a wasm another stored model uses", async () => {
    const [a, b] = list.filter((r) => r.model_lib === list.find((x) => list.some((y) => y !== x && y.model_lib === x.model_lib))!.model_lib);
    const files = (r: CatalogRecord) => ({ [`${modelBaseUrl(r)}tensor-cache.json`]: tensorList });
    const caches = memoryCaches({ "webllm/wasm": { [a!.model_lib]: new Uint8Array(10) }, "webllm/model": { ...files(a!), ...files(b!) } });
    await removeStored(a!, list, caches);
    expect(urls(caches).sort()).toEqual([a!.model_lib, `${modelBaseUrl(b!)}tensor-cache.json`].sort());
    await removeStored(b!, list, caches);
    expect(urls(caches)).toEqual([]);
  });
});
