// The file system on IndexedDB (fake-indexeddb in Node; the real one is tested in Chromium):
// versions, rollback, removal, BM25 search kept in step, export/import, typed errors.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { FileStore } from "../../../../src/kernel/storage/files.ts";

let store: FileStore;
let dbCounter = 0;
beforeEach(async () => {
  store = await FileStore.open({ name: `files-test-${++dbCounter}`, limits: { keepVersions: 3, maxFileBytes: 1000 } });
});

describe("FileStore", () => {
  it("writes text, JSON and Blobs as numbered versions, and reads any kept version back", async () => {
    expect(await store.write("app", "/notes/a.txt", "first")).toEqual({ path: "notes/a.txt", version: 1 });
    expect(await store.write("app", "notes/a.txt", "second", { tag: "x" })).toEqual({ path: "notes/a.txt", version: 2 });
    expect((await store.read("app", "notes/a.txt")).content).toBe("second");
    expect((await store.read("app", "notes/a.txt")).meta).toEqual({ tag: "x" });
    expect((await store.read("app", "notes/a.txt", { version: 1 })).content).toBe("first");
    await store.write("app", "data/config.json", { theme: "dark", sizes: [1, 2, 3], nested: { ok: true } });
    expect((await store.read("app", "data/config.json")).content).toEqual({ theme: "dark", sizes: [1, 2, 3], nested: { ok: true } });
    expect((await store.read("app", "data/config.json")).type).toBe("json");
    const blob = new Blob([new Uint8Array([0, 1, 2, 255])], { type: "application/octet-stream" });
    await store.write("app", "bin/raw", blob);
    const read = await store.read("app", "bin/raw");
    expect(read.type).toBe("blob");
    expect(new Uint8Array(await (read.content as Blob).arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect((await store.list("app")).map((f) => [f.path, f.version, f.type])).toEqual([
      ["bin/raw", 1, "blob"],
      ["data/config.json", 1, "json"],
      ["notes/a.txt", 2, "text"],
    ]);
    expect((await store.list("app", "notes/")).map((f) => f.path)).toEqual(["notes/a.txt"]);
    expect(await store.list("other")).toEqual([]);
  });

  it("keeps the newest N versions; rollback makes an old one current as a new version", async () => {
    for (const text of ["v1", "v2", "v3", "v4", "v5"]) await store.write("app", "f", text);
    expect((await store.versions("app", "f")).map((v) => v.version)).toEqual([3, 4, 5]);
    await expect(store.read("app", "f", { version: 1 })).rejects.toMatchObject({ code: "ENOENT" });
    expect(await store.rollback("app", "f", 3)).toEqual({ path: "f", version: 6 });
    const now = await store.read("app", "f");
    expect([now.content, now.version, now.meta.rolledBackFrom]).toEqual(["v3", 6, 3]);
    await expect(store.rollback("app", "f", 1)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("search ranks by BM25, follows rewrites, rollbacks and removals, and respects a prefix", async () => {
    await store.write("app", "pets/dog.md", "My dog is called Biscuit. The dog loves long walks in the park.");
    await store.write("app", "pets/cat.md", "The cat sleeps all day on the sofa.");
    await store.write("app", "travel/lisbon.md", "I live in Lisbon, a city of hills and trams. Walks along the river.");
    await store.write("app", "work/todo.json", { tasks: ["write the quarterly report", "call the dentist"] });
    const hits = await store.search("app", "dog walks", { mode: "lexical" });
    expect(hits[0]!.path).toBe("pets/dog.md");
    expect(hits.map((h) => h.path)).toContain("travel/lisbon.md");
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(hits[0]!.snippet).toContain("Biscuit");
    expect((await store.search("app", "dentist", { mode: "lexical" }))[0]!.path).toBe("work/todo.json");
    expect((await store.search("app", "walks", { mode: "lexical", prefix: "travel/" })).map((h) => h.path)).toEqual(["travel/lisbon.md"]);
    // A rewrite replaces the old terms; a removal drops them; a rollback brings them back.
    await store.write("app", "pets/dog.md", "Adopted a parrot.");
    expect(await store.search("app", "Biscuit", { mode: "lexical" })).toEqual([]);
    await store.rollback("app", "pets/dog.md", 1);
    expect((await store.search("app", "Biscuit", { mode: "lexical" }))[0]!.path).toBe("pets/dog.md");
    await store.remove("app", "pets/dog.md");
    expect(await store.search("app", "Biscuit", { mode: "lexical" })).toEqual([]);
    await expect(store.read("app", "pets/dog.md")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(store.versions("app", "pets/dog.md")).rejects.toMatchObject({ code: "ENOENT" });
    // Namespaces do not see each other.
    expect(await store.search("other", "cat", { mode: "lexical" })).toEqual([]);
  });

  it("search results stay right when another kernel (another tab) writes the same database", async () => {
    const name = `files-test-${++dbCounter}`;
    const a = await FileStore.open({ name });
    const b = await FileStore.open({ name });
    await a.write("app", "x.txt", "apple banana");
    await a.write("app", "y.txt", "banana cherry");
    expect((await b.search("app", "banana", { mode: "lexical" })).map((h) => h.path).sort()).toEqual(["x.txt", "y.txt"]);
    expect((await a.search("app", "banana", { mode: "lexical" })).length).toBe(2);
    // b has banana's postings cached; a changes them.
    await a.write("app", "x.txt", "apple only");
    await a.write("app", "z.txt", "banana split");
    expect((await b.search("app", "banana", { mode: "lexical" })).map((h) => h.path).sort()).toEqual(["y.txt", "z.txt"]);
    expect((await a.search("app", "banana", { mode: "lexical" })).map((h) => h.path).sort()).toEqual(["y.txt", "z.txt"]);
    await b.remove("app", "y.txt");
    expect((await a.search("app", "banana", { mode: "lexical" })).map((h) => h.path)).toEqual(["z.txt"]);
    expect((await b.search("app", "banana", { mode: "lexical" })).map((h) => h.path)).toEqual(["z.txt"]);
  });

  it("exports a namespace or everything to one file and imports it back losslessly", async () => {
    await store.write("app", "a.txt", "alpha one");
    await store.write("app", "a.txt", "alpha two", { n: 2 });
    await store.write("app", "b.bin", new Blob([new Uint8Array([9, 8, 7])], { type: "image/x-test" }));
    await store.write("app", "c.json", [1, { x: null }]);
    await store.write("other", "z.txt", "zulu");
    const all = await store.export();
    const onlyApp = JSON.parse(await (await store.export("app")).text());
    expect(onlyApp.files.map((f: { path: string }) => f.path).sort()).toEqual(["a.txt", "b.bin", "c.json"]);

    const fresh = await FileStore.open({ name: `files-test-${++dbCounter}` });
    expect(await fresh.import(all)).toEqual({ files: 4, versions: 5 });
    expect((await fresh.versions("app", "a.txt")).map((v) => [v.version, v.meta])).toEqual([[1, {}], [2, { n: 2 }]]);
    expect((await fresh.read("app", "a.txt", { version: 1 })).content).toBe("alpha one");
    const blob = await fresh.read("app", "b.bin");
    expect([(blob.content as Blob).type, [...new Uint8Array(await (blob.content as Blob).arrayBuffer())]]).toEqual(["image/x-test", [9, 8, 7]]);
    expect((await fresh.read("app", "c.json")).content).toEqual([1, { x: null }]);
    expect((await fresh.search("other", "zulu", { mode: "lexical" }))[0]!.path).toBe("z.txt");
    // Exporting the copy gives the same files.
    const again = JSON.parse(await (await fresh.export()).text());
    const before = JSON.parse(await all.text());
    expect(again.files).toEqual(before.files);
    // A bad file changes nothing.
    await expect(fresh.import("{}")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(fresh.import(JSON.stringify({ ...before, files: [...before.files, { ...before.files[0], path: "../x" }] }))).rejects.toMatchObject({ code: "EINVAL" });
    expect((await fresh.list("app")).length).toBe(3);
  });

  it("bad input is a typed error and changes nothing", async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => store.write("app", "", "x"), "EINVAL"],
      [() => store.write("app", "a//b", "x"), "EINVAL"],
      [() => store.write("app", "a/../b", "x"), "EINVAL"],
      [() => store.write("app", "a\u0000b", "x"), "EINVAL"],
      [() => store.write("app", 42, "x"), "EINVAL"],
      [() => store.write("app", "x".repeat(2000), "x"), "EINVAL"],
      [() => store.write("", "a", "x"), "EINVAL"],
      [() => store.write("app", "a", undefined), "EINVAL"],
      [() => store.write("app", "a", { d: new Date() }), "EINVAL"],
      [() => store.write("app", "a", { n: NaN }), "EINVAL"],
      [() => store.write("app", "a", () => 1), "EINVAL"],
      [() => store.write("app", "a", "x".repeat(1001)), "EQUOTA"],
      [() => store.write("app", "a", "x", "not an object"), "EINVAL"],
      [() => store.read("app", "missing"), "ENOENT"],
      [() => store.read("app", "a", { version: 0 }), "EINVAL"],
      [() => store.rollback("app", "missing", 1), "ENOENT"],
      [() => store.remove("app", "missing"), "ENOENT"],
      [() => store.search("app", ""), "EINVAL"],
      [() => store.search("app", "x", { k: 0 }), "EINVAL"],
      [() => store.search("app", "x", { mode: "fuzzy" as never }), "EINVAL"],
      [() => store.import(42), "EINVAL"],
    ];
    for (const [call, code] of cases) await expect(call()).rejects.toMatchObject({ code });
    expect(await store.list("app")).toEqual([]);
    expect(await store.usage()).toEqual({ files: 0, bytes: 0 });
  });
});
