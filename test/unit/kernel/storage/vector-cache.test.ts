import { expect, it } from "vitest";
import { MAX_SPACES, VectorCache, type NamespaceVectors } from "../../../../src/kernel/storage/vector-cache.ts";
import { VectorIndex } from "../../../../src/kernel/storage/vector-index.ts";

async function space(generation = 0): Promise<NamespaceVectors> {
  return { generation, model: "m", index: await VectorIndex.create(4), idOf: new Map(), pathOf: new Map(), nextId: 0 };
}

it("keeps at most MAX_SPACES namespaces' indexes, dropping the least recently used", async () => {
  const cache = new VectorCache();
  for (let i = 0; i < MAX_SPACES + 5; i++) cache.set(`app-${i}`, await space());
  expect(cache.size).toBe(MAX_SPACES);
  expect(cache.get("app-0", 0, "m")).toBeUndefined();
  expect(cache.get(`app-${MAX_SPACES + 4}`, 0, "m")).toBeDefined();
});

it("a namespace used again stays; a stale generation or model is a miss", async () => {
  const cache = new VectorCache(2);
  cache.set("a", await space());
  cache.set("b", await space());
  expect(cache.get("a", 0, "m")).toBeDefined(); // a is now the most recent
  cache.set("c", await space());
  expect(cache.get("b", 0, "m")).toBeUndefined();
  expect(cache.get("a", 0, "m")).toBeDefined();
  expect(cache.get("a", 1, "m")).toBeUndefined();
  expect(cache.get("a", 0, "other")).toBeUndefined();
});
