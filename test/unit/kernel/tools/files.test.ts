// The four files tools over an in-memory AppFiles double: shapes, limits, and the kernel's .memory/.
import { describe, expect, it } from "vitest";
import { validate } from "../../../../src/kernel/schema.ts";
import { filesListTool, filesReadTool, filesSearchTool, filesTools, filesWriteTool, MAX_READ_CHARS } from "../../../../src/kernel/tools/files.ts";
import { call, context, MemoryFiles } from "./context.ts";

function setup() {
  const files = new MemoryFiles();
  return { files, ctx: context({ files }) };
}

describe("files tools", () => {
  it("share the files capability and describe their calls", () => {
    expect(filesTools.map((t) => t.name)).toEqual(["files.write", "files.read", "files.search", "files.list"]);
    for (const tool of filesTools) expect(tool.capability({} as never)).toBe("files");
    expect(filesWriteTool.describe({ path: "notes/a.md", content: "buy milk and tea" })).toBe("write notes/a.md (16 characters)");
    expect(filesReadTool.describe({ path: "notes/a.md" })).toBe("read notes/a.md");
    expect(filesSearchTool.describe({ query: "milk" })).toBe('search your files for "milk"');
    expect(filesListTool.describe({ prefix: "notes/" })).toBe("list your files under notes/");
    expect(filesListTool.describe({})).toBe("list your files");
  });

  it("write returns the path and version; read returns the text", async () => {
    const { ctx } = setup();
    expect(await call(filesWriteTool, { path: "notes/a.md", content: "buy milk" }, ctx)).toEqual({ path: "notes/a.md", version: 1 });
    expect(await call(filesWriteTool, { path: "notes/a.md", content: "buy milk and tea" }, ctx)).toEqual({ path: "notes/a.md", version: 2 });
    expect(await call(filesReadTool, { path: "notes/a.md" }, ctx)).toEqual({ path: "notes/a.md", version: 2, content: "buy milk and tea" });
    expect(await call(filesWriteTool, { path: "empty.txt", content: "" }, ctx)).toEqual({ path: "empty.txt", version: 1 });
  });

  it("refuses writes under .memory/ (the kernel's) with EPERM", async () => {
    const { ctx, files } = setup();
    for (const path of [".memory/conversation.json", "/.memory/blocks/human.json", ".memory"]) {
      await expect(call(filesWriteTool, { path, content: "x" }, ctx), path).rejects.toMatchObject({ code: "EPERM", message: expect.stringMatching(/^path: /) });
    }
    expect(files.files.size).toBe(0);
    await call(filesWriteTool, { path: "memory/ok.md", content: "fine" }, ctx);
    await call(filesWriteTool, { path: "x/.memory/ok.md", content: "fine" }, ctx);
  });

  it("refuses content over 1 MB (characters in the schema, bytes in the driver)", async () => {
    const { ctx } = setup();
    expect(() => validate(filesWriteTool.parameters, { path: "a", content: "x".repeat(1024 * 1024 + 1) }, "args")).toThrow(/^args\.content: /);
    await expect(call(filesWriteTool, { path: "a", content: "é".repeat(600_000) }, ctx)).rejects.toMatchObject({ code: "EINVAL", message: "content: 1200000 bytes is over the 1048576-byte (1 MB) limit" });
    expect(await call(filesWriteTool, { path: "a", content: "x".repeat(1024 * 1024) }, ctx)).toEqual({ path: "a", version: 1 });
  });

  it("validates arguments with EINVAL naming the field", () => {
    expect(() => validate(filesWriteTool.parameters, { path: "a" }, "args")).toThrow(/^args\.content: is required$/);
    expect(() => validate(filesWriteTool.parameters, { path: "", content: "x" }, "args")).toThrow(/^args\.path: /);
    expect(() => validate(filesReadTool.parameters, { path: 1 }, "args")).toThrow(/^args\.path: /);
    expect(() => validate(filesSearchTool.parameters, { query: "milk", k: 11 }, "args")).toThrow(/^args\.k: /);
    expect(() => validate(filesSearchTool.parameters, { query: "milk", k: 0 }, "args")).toThrow(/^args\.k: /);
    expect(() => validate(filesSearchTool.parameters, { query: "" }, "args")).toThrow(/^args\.query: /);
    expect(() => validate(filesListTool.parameters, { prefix: "a", recursive: true }, "args")).toThrow(/^args\.recursive: unknown field$/);
  });

  it("read cuts long text at 8000 characters with …, describes binary files and shows JSON as text", async () => {
    const { ctx, files } = setup();
    files.put("long.txt", "a".repeat(MAX_READ_CHARS + 10));
    files.put("exact.txt", "b".repeat(MAX_READ_CHARS));
    files.put("photo.png", new Blob([new Uint8Array(2048)], { type: "image/png" }));
    files.put("raw.bin", new Blob([new Uint8Array(5)]));
    files.put("page.html", new Blob(["<p>hi</p>"], { type: "text/html" }));
    files.put("big.csv", new Blob(["z".repeat(MAX_READ_CHARS * 5)], { type: "text/csv" }));
    files.put("data.json", { milk: 2 });
    const long = (await call(filesReadTool, { path: "long.txt" }, ctx)) as { content: string };
    expect(long.content).toBe(`${"a".repeat(MAX_READ_CHARS)}…`);
    expect(await call(filesReadTool, { path: "exact.txt" }, ctx)).toEqual({ path: "exact.txt", version: 1, content: "b".repeat(MAX_READ_CHARS) });
    expect(await call(filesReadTool, { path: "photo.png" }, ctx)).toEqual({ path: "photo.png", version: 1, content: "image/png file, 2048 bytes" });
    expect(await call(filesReadTool, { path: "raw.bin" }, ctx)).toEqual({ path: "raw.bin", version: 1, content: "binary file, 5 bytes" });
    expect(await call(filesReadTool, { path: "page.html" }, ctx)).toEqual({ path: "page.html", version: 1, content: "<p>hi</p>" });
    expect(await call(filesReadTool, { path: "big.csv" }, ctx)).toEqual({ path: "big.csv", version: 1, content: `${"z".repeat(MAX_READ_CHARS)}…` });
    expect(await call(filesReadTool, { path: "data.json" }, ctx)).toEqual({ path: "data.json", version: 1, content: '{\n  "milk": 2\n}' });
  });

  it("read passes the storage's own errors through and may read .memory/", async () => {
    const { ctx, files } = setup();
    await expect(call(filesReadTool, { path: "nope.md" }, ctx)).rejects.toMatchObject({ code: "ENOENT" });
    files.put(".memory/blocks/human.json", { value: "likes tea" });
    expect(await call(filesReadTool, { path: ".memory/blocks/human.json" }, ctx)).toMatchObject({ path: ".memory/blocks/human.json" });
  });

  it("search returns the best k (default 3) paths with snippets, never .memory/", async () => {
    const { ctx, files } = setup();
    for (let i = 0; i < 30; i++) files.put(`.memory/items/recall/${i}.md`, "milk milk milk");
    for (let i = 0; i < 5; i++) files.put(`notes/${i}.md`, `note ${i}: remember the milk`);
    const three = (await call(filesSearchTool, { query: "milk" }, ctx)) as { path: string; snippet: string }[];
    expect(three).toHaveLength(3);
    for (const hit of three) {
      expect(Object.keys(hit).sort()).toEqual(["path", "snippet"]);
      expect(hit.path).toMatch(/^notes\//);
      expect(hit.snippet).toContain("milk");
    }
    expect(await call(filesSearchTool, { query: "milk", k: 10 }, ctx)).toHaveLength(5);
    expect(await call(filesSearchTool, { query: "coffee" }, ctx)).toEqual([]);
  });

  it("list returns at most 50 paths and sizes, newest first, under a prefix, never .memory/", async () => {
    const { ctx, files } = setup();
    files.put(".memory/conversation.json", { turns: [] });
    for (let i = 0; i < 60; i++) files.put(`notes/${String(i).padStart(2, "0")}.md`, "x".repeat(i));
    files.put("todo.md", "tea");
    const all = (await call(filesListTool, {}, ctx)) as { path: string; size: number }[];
    expect(all).toHaveLength(50);
    expect(all[0]).toEqual({ path: "todo.md", size: 3 });
    expect(all[1]).toEqual({ path: "notes/59.md", size: 59 });
    expect(all.some((f) => f.path.startsWith(".memory/"))).toBe(false);
    const notes = (await call(filesListTool, { prefix: "notes/5" }, ctx)) as { path: string }[];
    expect(notes.map((f) => f.path)).toEqual(["notes/59.md", "notes/58.md", "notes/57.md", "notes/56.md", "notes/55.md", "notes/54.md", "notes/53.md", "notes/52.md", "notes/51.md", "notes/50.md"]);
    expect(await call(filesListTool, { prefix: ".memory/" }, ctx)).toEqual([]);
  });
});
