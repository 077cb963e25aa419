// Vector and hybrid search of the file system with the repo's own embedder (aios-embed, Node) and
// the wasm vector index: paraphrases found without shared words, fusion, prefixes, coherence.
import "fake-indexeddb/auto";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTransformersEmbedder } from "../../../../src/kernel/embedders/transformers.ts";
import type { Embedder } from "../../../../src/kernel/embedders/embedder.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";

let embedder: Embedder;
let n = 0;
beforeAll(async () => {
  embedder = await loadTransformersEmbedder("aios-embed", { modelBaseUrl: resolve("public/models") + "/", device: "cpu" });
});

async function storeWithNotes() {
  const store = await FileStore.open({ name: `search-test-${++n}` });
  store.attachEmbedder(embedder);
  await store.write("me", "notes/dog.md", "My dog's name is Biscuit.");
  await store.write("me", "notes/home.md", "I live in Lisbon.");
  await store.write("me", "notes/dentist.md", "Dentist appointment on Friday at 10.");
  await store.write("me", "notes/coffee.md", "My favourite drink is black coffee.");
  await store.write("me", "work/report.md", "The quarterly report is due next Monday.");
  return store;
}

describe("vector and hybrid search", () => {
  it("vector search ranks by meaning, and finds what shares no word with the query", async () => {
    const store = await storeWithNotes();
    // No indexed word in common: lexical search finds nothing.
    expect(await store.search("me", "which city is home", { mode: "lexical" })).toEqual([]);
    expect((await store.search("me", "which city is home", { mode: "vector", k: 1 }))[0]!.path).toBe("notes/home.md");
    const hits = await store.search("me", "what is my dog called", { mode: "vector", k: 3 });
    expect(hits[0]!.path).toBe("notes/dog.md");
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect((await store.search("me", "where do I live", { mode: "vector", k: 1 }))[0]!.path).toBe("notes/home.md");
    expect((await store.search("me", "where do I live", { mode: "vector", k: 5, prefix: "work/" })).map((h) => h.path)).toEqual(["work/report.md"]);
  });

  it("hybrid fuses lexical and vector ranks, and follows rewrites and removals", async () => {
    const store = await storeWithNotes();
    const hybrid = await store.search("me", "dentist friday", { k: 3 });
    expect(hybrid[0]!.path).toBe("notes/dentist.md");
    await store.write("me", "notes/dog.md", "We adopted a parrot.");
    expect((await store.search("me", "what is my dog called", { mode: "vector", k: 5 })).find((h) => h.path === "notes/dog.md")?.snippet).toBe("We adopted a parrot.");
    await store.remove("me", "notes/home.md");
    expect((await store.search("me", "where do I live", { mode: "vector", k: 5 })).map((h) => h.path)).not.toContain("notes/home.md");
    // Another kernel on the same database sees the same results.
    const other = await FileStore.open({ name: `search-test-${n}` });
    other.attachEmbedder(embedder);
    expect((await other.search("me", "where do I live", { mode: "vector", k: 5 })).map((h) => h.path).sort()).toEqual(["notes/coffee.md", "notes/dentist.md", "notes/dog.md", "work/report.md"]);
  });

  it("without an embedder, vector search is ENOTSUP and hybrid is lexical", async () => {
    const store = await FileStore.open({ name: `search-test-${++n}` });
    await store.write("me", "a.md", "dentist on friday");
    await expect(store.search("me", "dentist", { mode: "vector" })).rejects.toMatchObject({ code: "ENOTSUP" });
    expect((await store.search("me", "dentist"))[0]!.path).toBe("a.md");
  });
});
