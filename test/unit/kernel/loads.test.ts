// The kernel's one load lock: model and encoder loads queue (never EBUSY), and while an encoder
// loads — as it does right after boot — writes and searches wait for it instead of running
// without it. Real encoder (aios-embed on the CPU), real file system (fake-indexeddb in Node).
import "fake-indexeddb/auto";
import { resolve } from "node:path";
import { beforeAll, expect, it } from "vitest";
import type { Embedder } from "../../../src/kernel/embedders/embedder.ts";
import { loadTransformersEmbedder } from "../../../src/kernel/embedders/transformers.ts";
import { Kernel, type EmbedderSource } from "../../../src/kernel/kernel.ts";
import { FileStore } from "../../../src/kernel/storage/files.ts";
import { source } from "./scripted-engine.ts";

let encoder: Embedder;
beforeAll(async () => {
  encoder = await loadTransformersEmbedder("aios-embed", { modelBaseUrl: resolve("public/models") + "/", device: "cpu" });
});

/** The real encoder, handed out only when the test opens the gate (a slow download). */
function gatedEncoder(fail = false): { embedders: EmbedderSource; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return {
    open,
    embedders: {
      list: async () => [{ id: "aios-embed", label: "aios-embed", dim: encoder.dim, embedded: true, cached: true, downloadMB: 0 }],
      load: async () => {
        await gate;
        if (fail) throw new Error("download failed: 404");
        return encoder;
      },
    },
  };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

it("a model load queues behind the encoder's load instead of failing with EBUSY; writes and searches wait for the encoder", async () => {
  const kernel = new Kernel([source(["m", "n"])]);
  kernel.mountFiles(await FileStore.open({ name: "loads-test-1" }));
  const { embedders, open } = gatedEncoder();
  kernel.setEmbedderSource(embedders);
  const { files, ns } = kernel.filesOf(kernel.shellPid);

  const encoding = kernel.loadEmbedder("aios-embed");
  const model = kernel.loadModel("m");
  const state = { wrote: false, found: false };
  const write = files.write(ns, "notes/dog.md", "My dog's name is Biscuit.").then(() => (state.wrote = true));
  const search = files.search(ns, "dog", { mode: "hybrid" }).then((hits) => ((state.found = true), hits));
  await tick();
  expect(state).toEqual({ wrote: false, found: false });
  expect(kernel.getStats().loads).toBe(0);

  open();
  expect(await encoding).toMatchObject({ id: "aios-embed", loaded: true });
  expect(await model).toMatchObject({ model: "m" });
  await write;
  await search;
  // The note was embedded on write: vector search finds it by meaning, with no word in common.
  const hits = await files.search(ns, "what is my pet called", { mode: "vector", k: 1 });
  expect(hits[0]!.path).toBe("notes/dog.md");
  expect((await kernel.listEmbedders())[0]).toMatchObject({ id: "aios-embed", loaded: true });
  // Later loads still run one after the other.
  await Promise.all([kernel.loadModel("n"), kernel.loadModel("m")]);
  expect(kernel.kernelInfo().model).toBe("m");
});

it("an encoder that cannot load releases the waiters: writes go on without vectors, search is lexical, the kernel stays up", async () => {
  const kernel = new Kernel([source(["m"])]);
  kernel.mountFiles(await FileStore.open({ name: "loads-test-2" }));
  const { embedders, open } = gatedEncoder(true);
  kernel.setEmbedderSource(embedders);
  const { files, ns } = kernel.filesOf(kernel.shellPid);
  const encoding = kernel.loadEmbedder("aios-embed");
  const write = files.write(ns, "notes/dog.md", "My dog's name is Biscuit.");
  open();
  await expect(encoding).rejects.toMatchObject({ code: "ELOAD", message: expect.stringContaining("404") });
  expect(await write).toMatchObject({ path: "notes/dog.md", version: 1 });
  expect((await files.search(ns, "dog"))[0]!.path).toBe("notes/dog.md");
  await expect(files.search(ns, "dog", { mode: "vector" })).rejects.toMatchObject({ code: "ENOTSUP" });
  await kernel.loadModel("m");
  expect(kernel.kernelInfo().model).toBe("m");
});

it("a flood of loads of unknown encoders fails each with ENOENT and holds up nothing after it", async () => {
  const kernel = new Kernel([source(["m"])]);
  kernel.mountFiles(await FileStore.open({ name: "loads-test-3" }));
  const { embedders, open } = gatedEncoder();
  kernel.setEmbedderSource(embedders);
  open();
  const flood = Array.from({ length: 500 }, (_, i) => kernel.loadEmbedder(`nope-${i}`));
  const real = kernel.loadEmbedder("aios-embed");
  for (const r of await Promise.allSettled(flood)) expect(r).toMatchObject({ status: "rejected", reason: { code: "ENOENT" } });
  await expect(kernel.loadEmbedder("x".repeat(300))).rejects.toMatchObject({ code: "EINVAL" });
  await expect(kernel.loadEmbedder({ id: "aios-embed" })).rejects.toMatchObject({ code: "EINVAL" });
  expect(await real).toMatchObject({ loaded: true });
  const { files, ns } = kernel.filesOf(kernel.shellPid);
  await files.write(ns, "notes/dog.md", "My dog's name is Biscuit.");
  expect((await files.search(ns, "what is my pet called", { mode: "vector", k: 1 }))[0]!.path).toBe("notes/dog.md");
});
