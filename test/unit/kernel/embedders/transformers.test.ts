// The Transformers.js embedder on the embedded aios-embed model, in Node (onnxruntime-node, cpu):
// it must reproduce the torch reference embeddings, batch without changing results, rank the
// right note first, reject bad input with EINVAL, and turn a hub that answers 404 into ELOAD.
// Hub tests use a loopback HTTP server as env.remoteHost: nothing here reaches the internet.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AutoTokenizer, env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "../../../../src/kernel/embedders/embedder.ts";
import {
  EMBEDDERS,
  MAX_TEXT_CHARS,
  MAX_TEXTS,
  loadTransformersEmbedder,
  type TransformersEmbedder,
} from "../../../../src/kernel/embedders/transformers.ts";
import type { LoadProgress } from "../../../../src/kernel/engine.ts";

const reference = JSON.parse(readFileSync("test/fixtures/embed-reference.json", "utf8")) as {
  dim: number;
  cases: Array<{ text: string; ids: number[]; embedding: number[] }>;
};

const modelBaseUrl = resolve("public/models") + "/";
let embedder: TransformersEmbedder;
const progress: LoadProgress[] = [];

beforeAll(async () => {
  embedder = await loadTransformersEmbedder("aios-embed", { modelBaseUrl, device: "cpu", batchSize: 4 }, (p) => progress.push(p));
});
afterAll(async () => embedder?.unload());

const norm = (v: Float32Array) => Math.sqrt(cosine(v, v));

describe("aios-embed through Transformers.js feature-extraction (fp32, Node)", () => {
  it("is in the catalog as the embedded model", () => {
    expect(EMBEDDERS[0]).toMatchObject({ id: "aios-embed", source: "embedded", dim: reference.dim, pooling: "mean" });
    expect(embedder.modelId).toBe("aios-embed");
    expect(embedder.dim).toBe(reference.dim);
    expect(progress.at(-1)).toMatchObject({ modelId: "aios-embed", progress: 1 });
  });

  it("tokenizes exactly as the Python tokenizer ([CLS] … [SEP], lowercased byte-level BPE, truncated at 128)", async () => {
    const saved = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };
    Object.assign(env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: modelBaseUrl });
    try {
      const tok = await AutoTokenizer.from_pretrained("aios-embed");
      // As the pipeline calls it: truncation to model_max_length (128), which cuts [SEP] off long texts.
      for (const c of reference.cases) {
        const { input_ids } = tok(c.text, { truncation: true, return_tensor: false }) as unknown as { input_ids: number[] };
        expect(input_ids, c.text).toEqual(c.ids);
      }
      expect(reference.cases.some((c) => c.ids.length === 128 && c.ids.at(-1) !== 3)).toBe(true);
    } finally {
      Object.assign(env, saved);
    }
  });

  it("reproduces the torch reference embeddings (cosine >= 0.999)", async () => {
    const got = await embedder.embed(reference.cases.map((c) => c.text));
    reference.cases.forEach((c, i) => {
      const cos = cosine(got[i]!, Float32Array.from(c.embedding));
      expect(cos, c.text).toBeGreaterThanOrEqual(0.999);
    });
  });

  it("returns one unit-length vector of `dim` floats per text", async () => {
    const got = await embedder.embed(["hello", "My dog's name is Biscuit.", ""]);
    expect(got).toHaveLength(3);
    for (const v of got) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(embedder.dim);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it("batching gives the same vectors as embedding one by one", async () => {
    const texts = reference.cases.map((c) => c.text); // mixed lengths: padding inside batches of 4
    const together = await embedder.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await embedder.embed([texts[i]!]);
      let maxDiff = 0;
      for (let k = 0; k < embedder.dim; k++) maxDiff = Math.max(maxDiff, Math.abs(alone![k]! - together[i]![k]!));
      expect(maxDiff, texts[i]).toBeLessThan(1e-5);
    }
  });

  it("ranks the right memory first among unrelated notes", async () => {
    const notes = [
      "My dog's name is Biscuit.",
      "I live in Lisbon.",
      "The wifi password is sunflower42.",
      "Dentist appointment on Tuesday at 3pm.",
      "My favourite colour is green.",
      "My sister's name is Anna.",
      "I work at Globex.",
      "The staging server runs on port 8080.",
      "Project Apollo is due on March 3.",
      "I am allergic to peanuts.",
      "My cat is called Luna.",
      "I was born in Porto.",
    ];
    const queries: Array<[string, number]> = [
      ["what is my dog called?", 0],
      ["where do I live", 1],
      ["what's the wifi password?", 2],
      ["when is my dentist appointment?", 3],
      ["what is my sister's name?", 5],
      ["which port is the staging server on?", 7],
      ["what am I allergic to?", 9],
      ["what's my cat's name?", 10],
    ];
    const noteVecs = await embedder.embed(notes);
    const queryVecs = await embedder.embed(queries.map(([q]) => q));
    queries.forEach(([q, want], i) => {
      const scores = noteVecs.map((n) => cosine(queryVecs[i]!, n));
      const best = scores.indexOf(Math.max(...scores));
      expect(notes[best], q).toBe(notes[want]);
    });
  });

  it("rejects bad input with EINVAL naming the field", async () => {
    const bad: Array<[unknown, RegExp]> = [
      ["just a string", /^texts: expected an array/],
      [[], /^texts: the list is empty/],
      [["ok", 42], /^texts\[1\]: expected a string, got number/],
      [["ok", null], /^texts\[1\]: expected a string, got null/],
      [["x".repeat(MAX_TEXT_CHARS + 1)], /^texts\[0\]: \d+ characters; at most/],
      [new Array(MAX_TEXTS + 1).fill("a"), /^texts: \d+ texts; at most/],
    ];
    for (const [texts, message] of bad) {
      await expect(embedder.embed(texts as string[])).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(message) });
    }
  });

  it("stops with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const reason = Object.assign(new Error("killed"), { code: "EKILLED" });
    controller.abort(reason);
    await expect(embedder.embed(["a", "b"], controller.signal)).rejects.toBe(reason);
  });

  it("an unknown model is ENOENT", async () => {
    await expect(loadTransformersEmbedder("no-such-embedder", { modelBaseUrl, device: "cpu" })).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a missing embedded model folder is ELOAD naming it", async () => {
    const catalog = [{ ...EMBEDDERS[0]!, id: "ghost-embed", path: "no-such-model" }];
    await expect(loadTransformersEmbedder("ghost-embed", { modelBaseUrl, device: "cpu" }, () => {}, catalog)).rejects.toMatchObject({
      code: "ELOAD",
      message: expect.stringContaining("ghost-embed"),
    });
  });
});

describe("hub embedders (loopback hub, no internet)", () => {
  let server: Server;
  let host: string;
  let status = 404;
  const requests: string[] = [];
  let cacheDir: string;
  let savedCacheDir: string | null;

  beforeAll(async () => {
    // A fresh file cache, so nothing an earlier run may have cached can answer instead of the hub.
    cacheDir = await mkdtemp(join(tmpdir(), "aios-embed-cache-"));
    savedCacheDir = env.cacheDir;
    env.cacheDir = cacheDir;
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(status, { "content-type": "text/plain" }).end("nope");
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    env.cacheDir = savedCacheDir;
    await new Promise((done) => server?.close(done));
    await rm(cacheDir, { recursive: true, force: true });
  });

  const hubModel = EMBEDDERS.find((m) => m.source === "hub")!;

  it("the catalog has real small encoders from the hub", () => {
    const hub = EMBEDDERS.filter((m) => m.source === "hub").map((m) => [m.id, m.dim]);
    expect(hub).toEqual(expect.arrayContaining([["Xenova/all-MiniLM-L6-v2", 384], ["Xenova/bge-small-en-v1.5", 384]]));
  });

  it("a hub answering 404 gives ELOAD naming the model and the status", async () => {
    status = 404;
    requests.length = 0;
    const before = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath, remoteHost: env.remoteHost, fetch: env.fetch };
    const error = await loadTransformersEmbedder(hubModel.id, { modelBaseUrl, device: "cpu", remoteHost: host }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ELOAD" });
    const message = (error as Error).message;
    expect(message).toContain(hubModel.id);
    expect(message).toContain("HTTP 404");
    expect(message).toContain(host);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests[0]).toBe(`/${hubModel.path}/resolve/main/config.json`);
    // The global env is as it was (the chat engine relies on allowRemoteModels=false etc.).
    expect({ allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath, remoteHost: env.remoteHost, fetch: env.fetch }).toEqual(before);
  });

  it("a hub answering 503 gives ELOAD with HTTP 503", async () => {
    status = 503;
    const error = await loadTransformersEmbedder(hubModel.id, { modelBaseUrl, device: "cpu", remoteHost: host }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ELOAD", message: expect.stringContaining("HTTP 503") });
    expect((error as Error).message).toContain(hubModel.id);
  });

  it("the embedded model still loads after a failed hub load", async () => {
    const again = await loadTransformersEmbedder("aios-embed", { modelBaseUrl, device: "cpu" });
    try {
      const [v] = await again.embed(["I live in Lisbon."]);
      expect(norm(v!)).toBeCloseTo(1, 5);
    } finally {
      await again.unload();
    }
  });
});
