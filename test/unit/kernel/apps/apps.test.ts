// Installed apps through the real kernel, real tools and the real file system (fake-indexeddb):
// an app's identity is its id (namespace, decisions), launch runs its instructions as the system
// prompt with its tool rules enforced, an update's new capabilities wait for the user, uninstall
// ends its processes and (on request) deletes its data, export/import round-trips it.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { ConsentEvent } from "../../../../src/kernel/access.ts";
import { AppRegistry, MemoryAppStore } from "../../../../src/kernel/apps/apps.ts";
import { IndexedDBAppStore } from "../../../../src/kernel/apps/apps-db.ts";
import type { Manifest } from "../../../../src/kernel/apps/manifest.ts";
import type { ChatMessage, Engine, GenerateParams, GenerateResult } from "../../../../src/kernel/engine.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";
import { sample } from "./sample.ts";

/** Writes a tool call per "call <tool> <json>" line of the user's message; answers "done" after results. */
class CallingEngine implements Engine {
  readonly name = "transformers" as const;
  readonly device = "cpu" as const;
  readonly modelId = "calling";
  readonly contextLength = 4096;
  readonly supportsPrefill = true;
  systems: string[] = [];
  async generate(p: GenerateParams): Promise<GenerateResult> {
    this.systems.push(p.messages[0]!.content as string);
    const last = p.messages.at(-1)!;
    let text = "done";
    if (last.role === "user" && p.tools?.length) {
      const calls = [...(last.content as string).matchAll(/call (\S+) (\{.*?\})(?=$| call )/g)].map((m) => `<tool_call>{"name": "${m[1]}", "arguments": ${m[2]}}</tool_call>`);
      if (calls.length) text = calls.join("");
    }
    p.onText?.(text);
    return { text, finishReason: "stop", promptTokens: 10, completionTokens: 1, timeToFirstTokenMs: 1, totalMs: 2 };
  }
  async countTokens(messages: ChatMessage[]) {
    return messages.reduce((n, m) => n + 4 + Math.ceil(String(m.content ?? "").length / 4), 0);
  }
  async unload() {}
}

let dbs = 0;
async function boot(options: { contextLength?: number } = {}) {
  const engine = new CallingEngine();
  if (options.contextLength) Object.assign(engine, { contextLength: options.contextLength });
  const kernel = new Kernel([{ engine: "transformers", has: (id) => id === "calling", list: async () => [], load: async () => engine }], { tools: libraryTools() });
  kernel.mountFiles(await FileStore.open({ name: `apps-${++dbs}` }));
  await kernel.loadModel("calling");
  const asked: ConsentEvent[] = [];
  kernel.access.listen("tab-1", (e) => {
    if (e.type !== "ask") return;
    asked.push(e);
    queueMicrotask(() => kernel.access.answer(e.request.id, "once"));
  });
  return { kernel, engine, asked };
}

const notes: Manifest = { ...sample, id: "my-notes", name: "My notes", instructions: "You keep notes in files.", capabilities: ["files", "calculator"] };

describe("installed apps", () => {
  it("launch runs the app as its own identity: instructions as the system prompt, granted capabilities, its namespace", async () => {
    const { kernel, engine } = await boot();
    const installed = await kernel.apps.install(notes);
    expect(installed).toMatchObject({ granted: ["files", "calculator"], pending: [], bundled: false });
    const proc = await kernel.launch("my-notes", { owner: "tab-1" });
    expect(proc).toMatchObject({ name: "My notes", app: "my-notes", capabilities: ["files", "calculator"], memory: { system: "You keep notes in files." }, owner: "tab-1" });
    const r = await kernel.memory.chat(proc.pid, 'call files.write {"path": "a.md", "content": "milk"}');
    expect(r.toolCalls).toMatchObject([{ name: "files.write", result: { path: "a.md", version: 1 } }]);
    expect(engine.systems.at(-1)).toContain("You keep notes in files.");
    // The file is in the app's namespace: a second launch (a new process) sees it and the conversation.
    const again = await kernel.launch("my-notes");
    expect((await kernel.filesOf(again.pid).files.read("my-notes", "a.md")).content).toBe("milk");
    expect((await kernel.memory.history(again.pid)).turns.length).toBeGreaterThan(0);
    // No one else may take its identity by spawning under its id.
    expect(() => kernel.spawn({ name: "my-notes" })).toThrow(expect.objectContaining({ code: "EPERM", message: expect.stringContaining("installed app") }));
    // Install twice: EEXIST; unknown app: ENOENT.
    await expect(kernel.apps.install(notes)).rejects.toMatchObject({ code: "EEXIST" });
    await expect(kernel.launch("nope")).rejects.toMatchObject({ code: "ENOENT" });
    // A capability no tool needs is refused at install, naming it.
    await expect(kernel.apps.install({ ...notes, id: "other", capabilities: ["teleport"] })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^manifest\.capabilities: no tool needs teleport/) });
  });

  it("enforces the manifest's tool rules: approval before every call of a tool, at most N calls per step", async () => {
    const { kernel, asked } = await boot();
    await kernel.apps.install({ ...notes, toolRules: [{ type: "requires_approval", tool: "files.write" }, { type: "max_count_per_step", tool: "calculator", max: 2 }] });
    const proc = await kernel.launch("my-notes", { owner: "tab-1" });
    const r = await kernel.memory.chat(proc.pid, 'call files.write {"path": "b.md", "content": "x"} call calculator {"expression": "1+1"} call calculator {"expression": "2+2"} call calculator {"expression": "3+3"}');
    expect(r.toolCalls.map((c) => c.error?.code ?? "ok")).toEqual(["ok", "ok", "ok", "EQUOTA"]);
    expect(r.toolCalls[3]!.error!.message).toMatch(/the app's tool rules allow at most 2 calls of calculator per step/);
    // files.write is allowed by default, yet the rule asked the user (who allowed it once).
    expect(asked.map((e) => e.type === "ask" && [e.request.tool, e.request.reason])).toEqual([["files.write", expect.stringContaining("the app's tool rules ask the user before every call of files.write")]]);
    // A child keeps its parent's rules.
    const child = kernel.spawn({ name: "helper", capabilities: ["calculator"] }, { caller: proc.pid });
    expect(child.toolRules).toEqual(proc.toolRules);
    // Every call stopped by a rule: the turn ends with the reply's words, nothing ran.
    await kernel.apps.update("my-notes", { ...notes, version: "1.1.0", toolRules: [{ type: "max_count_per_step", tool: "*", max: 1 }] });
    const strict = await kernel.launch("my-notes", { owner: "tab-1" });
    const s = await kernel.memory.chat(strict.pid, 'call calculator {"expression": "1+1"} call calculator {"expression": "2+2"}');
    expect(s.toolCalls.map((c) => c.error?.code ?? "ok")).toEqual(["ok", "EQUOTA"]);
  });

  it("an update's new capabilities wait for the user's grant; removed ones are dropped", async () => {
    const { kernel } = await boot();
    await kernel.apps.install(notes);
    const { app, added } = await kernel.apps.update("my-notes", { ...notes, version: "2.0.0", capabilities: ["files", "clock"] });
    expect(added).toEqual(["clock"]);
    expect(app).toMatchObject({ granted: ["files"], pending: ["clock"], manifest: { version: "2.0.0" } });
    expect((await kernel.launch("my-notes")).capabilities).toEqual(["files"]);
    await expect(kernel.apps.grant("my-notes", ["network:*"])).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("does not ask for network:*") });
    expect(await kernel.apps.grant("my-notes", ["clock"])).toMatchObject({ granted: ["files", "clock"], pending: [] });
    expect((await kernel.launch("my-notes")).capabilities).toEqual(["files", "clock"]);
    await expect(kernel.apps.update("my-notes", { ...notes, id: "renamed" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("an app's id never changes") });
    await expect(kernel.apps.update("my-notes", { ...notes, kind: "code", entry: "1" })).rejects.toMatchObject({ code: "EINVAL" });
  });

  it("launch refuses a model whose window is under the manifest's minimum, and writes core blocks once", async () => {
    const { kernel } = await boot({ contextLength: 1024 });
    await kernel.apps.install({ ...notes, model: { minContextTokens: 8192, preferred: ["Llama-3.2-1B-Instruct-q4f32_1-MLC"] } });
    await expect(kernel.launch("my-notes")).rejects.toMatchObject({ code: "ENOTSUP", message: expect.stringMatching(/needs a model with at least 8192 tokens of context; calling has 1024 \(it prefers Llama/) });
    await kernel.apps.update("my-notes", { ...notes, memory: { blocks: [{ label: "persona", value: "terse", limit: 50 }] } });
    const p = await kernel.launch("my-notes");
    expect(await kernel.memory.getBlocks(p.pid)).toEqual([{ label: "persona", value: "terse", limit: 50 }]);
    await kernel.memory.setBlock(p.pid, "persona", "chatty");
    const q = await kernel.launch("my-notes");
    expect((await kernel.memory.getBlocks(q.pid))[0]!.value).toBe("chatty");
  });

  it("uninstall ends its processes; keepData: false deletes its files, memory and decisions; export/import round-trips it", async () => {
    const { kernel } = await boot();
    await kernel.apps.install(notes);
    const p = await kernel.launch("my-notes");
    await kernel.memory.chat(p.pid, 'call files.write {"path": "keep.md", "content": "the plan"}');
    await kernel.access.set("my-notes", "files", "allow");
    const file = await kernel.exportApp("my-notes", { data: true });
    const bare = JSON.parse(await (await kernel.exportApp("my-notes")).text());
    expect(bare).toMatchObject({ format: "aios-app", formatVersion: 1, manifest: notes });
    expect(bare.data).toBeUndefined();
    expect(await kernel.uninstallApp("my-notes", { keepData: false })).toMatchObject({ processes: 1 });
    expect(kernel.procs.get(p.pid)!.done).toBe(true);
    expect(await kernel.filesOf(kernel.shellPid).files.list("my-notes")).toEqual([]);
    expect((await kernel.access.list([])).filter((e) => e.app === "my-notes")).toEqual([]);
    await expect(kernel.apps.get("my-notes")).rejects.toMatchObject({ code: "ENOENT" });
    // The file brings back the manifest, the note and the conversation.
    const back = await kernel.installApp(file);
    expect(back).toMatchObject({ manifest: notes, imported: { files: expect.any(Number) } });
    const q = await kernel.launch("my-notes");
    expect((await kernel.filesOf(q.pid).files.read("my-notes", "keep.md")).content).toBe("the plan");
    expect((await kernel.memory.history(q.pid)).turns[0]).toMatchObject({ role: "user" });
    // keepData (the default) keeps them for a reinstall.
    await kernel.uninstallApp("my-notes");
    await kernel.installApp(notes);
    expect((await kernel.filesOf(kernel.shellPid).files.read("my-notes", "keep.md")).content).toBe("the plan");
  });

  it("an app file whose data belongs to another app installs nothing", async () => {
    const { kernel } = await boot();
    await kernel.apps.install(notes);
    const p = await kernel.launch("my-notes");
    await kernel.callTool(p.pid, "files.write", { path: "x.md", content: "x" });
    const doc = JSON.parse(await (await kernel.exportApp("my-notes", { data: true })).text());
    doc.manifest = { ...notes, id: "thief" };
    await expect(kernel.installApp(JSON.stringify(doc))).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("thief was not installed") });
    await expect(kernel.apps.get("thief")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(kernel.installApp("{}")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("manifestVersion") });
    await expect(kernel.installApp(JSON.stringify({ format: "aios-app", formatVersion: 9, manifest: notes }))).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("formatVersion") });
  });
});

describe("the app registry's store", () => {
  it("keeps apps across a reopen (IndexedDB), installs bundled apps once, and never brings back one the user uninstalled", async () => {
    const open = async () => new AppRegistry({ store: await IndexedDBAppStore.open("apps-store-test"), bundled: [notes] });
    const first = await open();
    expect((await first.list()).map((a) => [a.manifest.id, a.bundled])).toEqual([["my-notes", true]]);
    await first.install({ ...sample, id: "mine" });
    await first.update("mine", { ...sample, id: "mine", capabilities: ["units", "clock"] });
    const second = await open();
    expect((await second.list()).map((a) => [a.manifest.id, a.pending])).toEqual([["my-notes", []], ["mine", ["clock"]]]);
    await second.remove("my-notes");
    const third = await open();
    expect((await third.list()).map((a) => a.manifest.id)).toEqual(["mine"]);
    // A memory store works the same (Node's server).
    const mem = new AppRegistry({ store: new MemoryAppStore(), bundled: [notes] });
    expect(await mem.list()).toHaveLength(1);
  });
});
