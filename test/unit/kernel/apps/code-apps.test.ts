// Code apps through the real kernel, the real QuickJS sandbox (inline here: Node has no workers;
// the browser test runs it in a worker the kernel terminates) and the real file system: an app's
// only powers are the SDK's calls as its own process; hostile apps fail with typed errors and the
// kernel keeps serving.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { inlineAppWorker } from "../../../../src/kernel/apps/app-worker.ts";
import { CodeApps, type AppWorker } from "../../../../src/kernel/apps/code-apps.ts";
import { KernelError } from "../../../../src/kernel/errors.ts";
import type { Manifest } from "../../../../src/kernel/apps/manifest.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";
import { sdkDispatch, syscall } from "../../../../src/kernel/syscalls.ts";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";
import { source } from "../scripted-engine.ts";

let dbs = 0;
async function boot() {
  const kernel = new Kernel([source(["tiny"], [], ["Hi", " there"])], { tools: libraryTools() });
  kernel.mountFiles(await FileStore.open({ name: `code-apps-${++dbs}` }));
  await kernel.loadModel("tiny");
  const codeApps = new CodeApps({ createWorker: () => inlineAppWorker(16 * 1024 * 1024), dispatch: sdkDispatch(kernel), limits: { sliceMs: 400, memoryBytes: 16 * 1024 * 1024 } });
  kernel.codeApps = codeApps;
  let n = 0;
  const install = async (entry: string, capabilities: string[] = []) => {
    const id = `code-${++n}`;
    const manifest: Manifest = { manifestVersion: 1, id, name: `Code ${n}`, version: "1.0.0", description: "A code app.", kind: "code", entry, capabilities, ui: "headless" };
    await kernel.apps.install(manifest);
    return id;
  };
  const run = async (entry: string, input?: unknown, capabilities?: string[]) => {
    const id = await install(entry, capabilities);
    const proc = await kernel.launch(id, { input });
    return { proc, exit: await kernel.wait(proc.pid) };
  };
  return { kernel, codeApps, install, run };
}

describe("code apps", () => {
  it("use the SDK as their own process: files, tools, the LLM, memory, a sub-agent; main's result ends the process", async () => {
    const { kernel, run } = await boot();
    const { proc, exit } = await run(
      `export default async function main(input, sdk) {
        const w = await aios.storage.write("notes/" + input.name + ".md", "hello " + input.name);
        const read = await aios.storage.read(w.path);
        const sum = await aios.tools.call("calculator", { expression: "6*7" });
        const reply = await aios.llm.chat({ messages: [{ role: "user", content: "hi" }], max_tokens: 8 });
        const turn = await aios.chat("remember me");
        await aios.memory.remember("the app ran");
        const helper = await aios.spawn({ name: "helper", capabilities: ["calculator"] });
        const helped = await helper.tools.call("calculator", { expression: "1+2" });
        const self = await aios.self();
        console.log("done", { pid: self.pid });
        return { read: read.content, sum, reply: reply.choices[0].message.content, turn: turn.content, helped, app: self.app, same: sdk === aios };
      }`,
      { name: "ada" },
      ["calculator", "files"],
    );
    expect(proc).toMatchObject({ kind: "code", app: "code-1" });
    expect(exit).toMatchObject({ status: "exited", value: { read: "hello ada", sum: 42, reply: "Hi there", turn: "Hi there", helped: 3, app: "code-1", same: true }, logs: [`done {"pid":${proc.pid}}`] });
    expect(kernel.procs.get(proc.pid)!.done).toBe(true);
    // Its files are its app's.
    expect((await kernel.filesOf(kernel.shellPid).files.read("code-1", "notes/ada.md")).content).toBe("hello ada");
    // The sub-agent ended with it.
    expect(kernel.ps().find((p) => p.name === "helper")!.state).toBe("done");
  });

  it("have no DOM, network, storage, timers or modules, and the kernel decides what their calls may do", async () => {
    const { run } = await boot();
    const { exit } = await run(`export default async function () {
      const globals = ["document", "window", "fetch", "XMLHttpRequest", "WebSocket", "indexedDB", "importScripts", "setTimeout", "setInterval", "require", "process", "navigator", "postMessage", "Worker", "hostCall", "hostLog"].filter((g) => typeof globalThis[g] !== "undefined");
      const imported = await import("http://127.0.0.1:1/x.js").then(() => "loaded", (e) => String(e));
      const denied = await aios.tools.call("calculator", { expression: "1+1" }).then(() => "ran", (e) => e.code);
      const shellOnly = await aios.tools.call("nope", {}).then(() => "ran", (e) => e.code);
      let frozen = "writable";
      try { aios.tools.call = () => 1; } catch (e) { frozen = e.name; }
      const escape = await aios.spawn({ name: "x", capabilities: ["network:*"] }).then(() => "spawned", (e) => e.code);
      return { globals, imported, denied, shellOnly, frozen, escape };
    }`);
    expect(exit.status).toBe("exited");
    expect(exit.value).toEqual({ globals: [], imported: expect.stringMatching(/Error/), denied: "EPERM", shellOnly: "ENOENT", frozen: "TypeError", escape: "EPERM" });
  });

  it("an endless loop, a memory bomb, a broken module, a promise that never settles: each ends the app with a typed error; the kernel keeps serving", async () => {
    const { kernel, codeApps, run, install } = await boot();
    const id0 = await install(`export default () => 1`);
    const fine0 = () => id0;
    const loop = await run(`export default function () { for (;;) {} }`);
    expect(loop.exit).toMatchObject({ status: "failed", error: { code: "ETIMEDOUT", message: expect.stringContaining("without yielding") } });
    const bomb = await run(`export default function () { const a = []; for (;;) a.push("x".repeat(1 << 16) + a.length); }`);
    expect(bomb.exit).toMatchObject({ status: "failed", error: { code: "EQUOTA", message: expect.stringContaining("16 MB") } });
    const broken = await run(`export default function ( {`);
    expect(broken.exit).toMatchObject({ status: "failed", error: { code: "EINVAL", message: expect.stringMatching(/SyntaxError/) } });
    const noMain = await run(`export const x = 1;`);
    expect(noMain.exit).toMatchObject({ status: "failed", error: { code: "EINVAL", message: expect.stringContaining("export default") } });
    const stuck = await run(`export default function () { return new Promise(() => {}); }`);
    expect(stuck.exit).toMatchObject({ status: "failed", error: { code: "EINVAL", message: expect.stringContaining("never settled") } });
    const thrown = await run(`export default async function () { await aios.storage.read("missing.md"); }`);
    expect(thrown.exit).toMatchObject({ status: "failed", error: { code: "ENOENT" } });
    const huge = await run(`export default function () { return "x".repeat(200000); }`);
    expect(huge.exit).toMatchObject({ status: "failed", error: { code: "EQUOTA" } });
    await expect(kernel.launch(fine0(), { input: "x".repeat(1_000_001) })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("input") });
    // Still serving: an app after all of that runs.
    const fine = await run(`export default async (n) => n * 2`, 21);
    expect(fine.exit).toMatchObject({ status: "exited", value: 42 });
    expect(codeApps.count()).toBe(0);
  });

  it("a kill ends a running app at once; wait reports it", async () => {
    const { kernel, codeApps, install } = await boot();
    const id = await install(`export default async function () { for (let i = 0; ; i++) await aios.storage.write("tick.md", String(i)); }`, ["files"]);
    const proc = await kernel.launch(id);
    await new Promise((r) => setTimeout(r, 200));
    kernel.kill(proc.pid);
    expect(await kernel.wait(proc.pid)).toMatchObject({ status: "killed", error: { code: "EKILLED" } });
    expect(codeApps.count()).toBe(0);
    const ticks = Number((await kernel.filesOf(kernel.shellPid).files.read(id, "tick.md")).content);
    await new Promise((r) => setTimeout(r, 100));
    expect(Number((await kernel.filesOf(kernel.shellPid).files.read(id, "tick.md")).content)).toBe(ticks);
    await expect(kernel.wait(9999)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("hostile callers of the app runtime", () => {
  it("a flood of calls is bounded (EQUOTA past 64 in flight), a worker that posts non-SDK calls gets ENOSYS, and the kernel goes on", async () => {
    const { kernel, run } = await boot();
    const flood = await run(`export default async function () {
      const all = await Promise.allSettled(Array.from({ length: 300 }, () => aios.self()));
      return { ok: all.filter((r) => r.status === "fulfilled").length, quota: all.filter((r) => r.status === "rejected" && r.reason.code === "EQUOTA").length };
    }`);
    expect(flood.exit.status).toBe("exited");
    const counts = flood.exit.value as { ok: number; quota: number };
    expect(counts.ok + counts.quota).toBe(300);
    expect(counts.quota).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThanOrEqual(64);
    // A worker speaking the protocol itself: only the SDK's calls, as its own process only.
    const seen: unknown[] = [];
    const forged: AppWorker = {
      onmessage: null,
      onerror: null,
      postMessage: (data) => {
        seen.push(data);
        if ((data as { op: string }).op === "start") {
          queueMicrotask(() => {
            forged.onmessage?.({ data: { op: "call", id: 1, name: "access.set", args: { app: "x", capability: "calculator", decision: "allow" } } } as MessageEvent);
            forged.onmessage?.({ data: { op: "call", id: 2, name: "proc.self", args: {}, as: 1 } } as MessageEvent);
            forged.onmessage?.({ data: { op: "call", id: 3, name: "apps.install", args: {} } } as MessageEvent);
          });
        }
      },
      terminate: () => undefined,
    };
    const runner = new CodeApps({ createWorker: () => forged, dispatch: sdkDispatch(kernel) });
    const proc = kernel.spawn({ name: "forger" });
    const r = runner.run(proc.pid, undefined, "export default () => 1", null);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.filter((m) => (m as { op: string }).op === "reply")).toEqual([
      { op: "reply", id: 1, error: expect.objectContaining({ code: "ENOSYS" }) },
      { op: "reply", id: 2, error: expect.objectContaining({ code: "EPERM" }) },
      { op: "reply", id: 3, error: expect.objectContaining({ code: "ENOSYS" }) },
    ]);
    runner.stop(proc.pid, new KernelError("EKILLED", "done"));
    await expect(r.done).rejects.toMatchObject({ code: "EKILLED" });
    // The user's calls stay the user's: a process cannot install, launch, connect sites or wait for strangers.
    const other = kernel.spawn({ name: "other" });
    for (const [name, args] of [["apps.install", { source: "{}" }], ["apps.launch", { id: "code-1" }], ["sites.connect", { origin: "http://x.example", capabilities: [] }], ["sites.revoke", { origin: "http://x.example" }], ["apps.uninstall", { id: "code-1" }]] as const) {
      await expect(syscall(kernel, name, { pid: other.pid }, args)).rejects.toMatchObject({ code: "EPERM" });
    }
    await expect(syscall(kernel, "proc.wait", { pid: other.pid }, { pid: proc.pid })).rejects.toMatchObject({ code: "EPERM" });
    expect((await run(`export default () => 7`)).exit).toMatchObject({ status: "exited", value: 7 });
  });
});
