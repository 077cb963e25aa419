// Tools through the real stack (window.aios → shared kernel worker → tool drivers; the js sandbox
// in its own worker; fetch and web.read against a server this test starts on loopback): every
// tool called as a process, the access manager's EPERM for what was not declared, the sandbox
// killing an endless loop and a memory bomb with no reach to the DOM, network or storage, and the
// offline guard catching a granted fetch to a non-loopback host.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";
import { useTestSite } from "./test-site.ts";

const browser = useBrowser();
const site = useTestSite();

it("lists every tool with its schema, capability and kind", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const tools = await app.page.evaluate(() => window.aios.tools.list());
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    const library = tools.filter((t) => t.kind === "library").map((t) => t.name).sort();
    expect(library).toEqual(["calculator", "clock", "fetch", "files.list", "files.read", "files.search", "files.write", "js", "units", "web.read"]);
    // The devices (served by tabs) are listed too; devices.test.ts covers them.
    expect(tools.filter((t) => t.kind === "device").map((t) => t.name).sort()).toEqual(["camera.read", "camera.snapshot", "clipboard.read", "clipboard.write", "files.export", "files.import", "geolocation", "notify", "speak"]);
    expect(byName.calculator).toMatchObject({ capability: "calculator", kind: "library", parameters: { type: "object", properties: { expression: { type: "string" } } } });
    expect(byName.fetch!.capability).toBe("network:<host>");
    expect(byName["web.read"]!.capability).toBe("network:<host>");
    expect(byName["files.write"]!.capability).toBe("files");
    for (const t of tools) expect(t.description.length).toBeGreaterThan(10);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("library tools run as the calling process; the undeclared is EPERM", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
      const p = await window.aios.spawn({ name: "helper", capabilities: ["calculator", "units", "clock", "files"] });
      return {
        calc: await codeOf(p.tools.call("calculator", { expression: "12*7" })),
        calcBad: await codeOf(p.tools.call("calculator", { expression: "12*" })),
        calcEscape: await codeOf(p.tools.call("calculator", { expression: 'import({x: 1})' })),
        units: await codeOf(p.tools.call("units", { value: 5, from: "km", to: "mi" })),
        clock: await codeOf(p.tools.call("clock", { timeZone: "Asia/Tokyo" })),
        clockBad: await codeOf(p.tools.call("clock", { timeZone: "Mars/Olympus" })),
        write: await codeOf(p.tools.call("files.write", { path: "notes/buy-milk.md", content: "I must buy milk." })),
        read: await codeOf(p.tools.call("files.read", { path: "notes/buy-milk.md" })),
        search: await codeOf(p.tools.call("files.search", { query: "milk" })),
        list: await codeOf(p.tools.call("files.list", {})),
        memory: await codeOf(p.tools.call("files.write", { path: ".memory/conversation.json", content: "forged" })),
        badArgs: await codeOf(p.tools.call("files.write", { path: "a.md" })),
        js: await codeOf(p.tools.call("js", { code: "1+2" })),
        fetch: await codeOf(p.tools.call("fetch", { url: "http://127.0.0.1:9/x" })),
        unknown: await codeOf(p.tools.call("teleport", {})),
        // The file is the app's own, read through the storage API too.
        stored: (await p.storage.read("notes/buy-milk.md")).content,
      };
    });
    expect(out.calc).toEqual({ ok: 84 });
    expect(out.calcBad).toMatchObject({ code: "EINVAL", message: expect.stringContaining("expression") });
    expect(out.calcEscape).toMatchObject({ code: "EINVAL" });
    expect(out.units).toEqual({ ok: { value: 3.10686, unit: "mi" } });
    expect(out.clock).toMatchObject({ ok: { timeZone: "Asia/Tokyo", utcOffset: "+09:00" } });
    expect((out.clock as { ok: { date: string; time: string } }).ok.date).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(out.clockBad).toMatchObject({ code: "EINVAL", message: expect.stringContaining("timeZone") });
    expect(out.write).toEqual({ ok: { path: "notes/buy-milk.md", version: 1 } });
    expect(out.read).toEqual({ ok: { path: "notes/buy-milk.md", content: "I must buy milk." } });
    expect(out.search).toMatchObject({ ok: [{ path: "notes/buy-milk.md" }] });
    expect(out.list).toMatchObject({ ok: [{ path: "notes/buy-milk.md" }] });
    expect(out.memory).toMatchObject({ code: "EPERM" });
    expect(out.badArgs).toMatchObject({ code: "EINVAL", message: expect.stringContaining("content") });
    expect(out.js).toMatchObject({ code: "EPERM", message: expect.stringContaining("did not declare js") });
    expect(out.fetch).toMatchObject({ code: "EPERM", message: expect.stringContaining("network:127.0.0.1:9") });
    expect(out.unknown).toMatchObject({ code: "ENOENT" });
    expect(out.stored).toBe("I must buy milk.");
    const audit = await app.page.evaluate(() => window.aios.access.audit({ app: "helper" }));
    expect(audit.entries.map((e) => `${e.tool}:${e.decision}`)).toContain("fetch:deny");
    expect(audit.entries.find((e) => e.tool === "calculator" && e.decision === "allow")).toMatchObject({ by: "policy", resultBytes: 2 });
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("the js sandbox kills an endless loop and a memory bomb, reaches nothing, and the kernel keeps serving", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
      const p = await window.aios.spawn({ name: "coder", capabilities: ["js"] });
      const value = await codeOf(p.tools.call("js", { code: "[1,2,3].map(x => x * 2)" }));
      const logs = await codeOf(p.tools.call("js", { code: "console.log('hi'); 40 + 2" }));
      const reach = await codeOf(p.tools.call("js", { code: "[typeof document, typeof window, typeof fetch, typeof XMLHttpRequest, typeof indexedDB, typeof localStorage, typeof WebSocket, typeof importScripts, typeof postMessage, typeof setTimeout].join(',')" }));
      const started = performance.now();
      const loop = codeOf(p.tools.call("js", { code: "while (true) {}", timeoutMs: 500 }));
      // While the loop spins, the kernel answers.
      const meanwhile = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], max_tokens: 4, temperature: 0 });
      const looped = await loop;
      const loopMs = performance.now() - started;
      // A built-in the interpreter never interrupts: only terminating its worker ends it.
      const wedgeStarted = performance.now();
      const wedge = await codeOf(p.tools.call("js", { code: "new Array(2 ** 31).indexOf(1)", timeoutMs: 300 }));
      const wedgeMs = performance.now() - wedgeStarted;
      const bomb = await codeOf(p.tools.call("js", { code: "let a = []; while (true) a.push(new Array(1e6).fill(1));", timeoutMs: 5000 }));
      const strings = await codeOf(p.tools.call("js", { code: "let s = 'x'; while (true) s += s;", timeoutMs: 5000 }));
      const syntax = await codeOf(p.tools.call("js", { code: "let = ;" }));
      const after = await codeOf(p.tools.call("js", { code: "6 * 7" }));
      return { value, logs, reach, looped, loopMs, meanwhile: meanwhile.object, wedge, wedgeMs, bomb, strings, syntax, after };
    });
    expect(out.value).toEqual({ ok: { value: [2, 4, 6] } });
    expect(out.logs).toEqual({ ok: { value: 42, logs: ["hi"] } });
    expect(out.reach).toEqual({ ok: { value: Array(10).fill("undefined").join(",") } });
    expect(out.looped).toMatchObject({ code: "ETIMEDOUT" });
    expect(out.loopMs).toBeLessThan(5000);
    expect(out.meanwhile).toBe("chat.completion");
    expect(out.wedge).toMatchObject({ code: "ETIMEDOUT" });
    expect(out.wedgeMs).toBeLessThan(5000);
    expect(["EQUOTA", "ETIMEDOUT"]).toContain((out.bomb as { code: string }).code);
    expect(["EQUOTA", "ETIMEDOUT"]).toContain((out.strings as { code: string }).code);
    expect(out.syntax).toMatchObject({ code: "EINVAL", message: expect.stringContaining("SyntaxError") });
    expect(out.after).toEqual({ ok: { value: 42 } });
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("fetch and web.read reach a granted loopback host only; the offline guard catches everything else", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const origin = site();
    const host = new URL(origin).host;
    const out = await app.page.evaluate(
      async ({ origin, host }) => {
        const codeOf = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
        const p = await window.aios.spawn({ name: "reader", capabilities: [`network:${host}`, "network:example.com"] });
        // No tab is asked here (the shell's dialog is tested in shell-tools.test.ts): the user grants.
        await window.aios.access.set("reader", `network:${host}`, "allow");
        await window.aios.access.set("reader", "network:example.com", "allow");
        return {
          get: await codeOf(p.tools.call("fetch", { url: `${origin}/api/status` })),
          post: await codeOf(p.tools.call("fetch", { url: `${origin}/echo`, method: "POST", body: "hello" })),
          missing: await codeOf(p.tools.call("fetch", { url: `${origin}/nothing` })),
          page: await codeOf(p.tools.call("web.read", { url: `${origin}/kyoto.html` })),
          pageMissing: await codeOf(p.tools.call("web.read", { url: `${origin}/nothing` })),
          cors: await codeOf(p.tools.call("fetch", { url: `${origin}/no-cors` })),
          file: await codeOf(p.tools.call("fetch", { url: "file:///etc/passwd" })),
          otherHost: await codeOf(p.tools.call("fetch", { url: "http://127.0.0.2:1/x" })),
          offsite: await codeOf(p.tools.call("fetch", { url: "http://example.com/" })),
        };
      },
      { origin, host },
    );
    expect(out.get).toMatchObject({ ok: { status: 200, contentType: "application/json", body: '{"ok":true}' } });
    expect(out.post).toMatchObject({ ok: { status: 200, body: "got hello" } });
    expect(out.missing).toMatchObject({ ok: { status: 404 } });
    expect(out.page).toMatchObject({ ok: { title: "Kyoto in autumn", text: expect.stringContaining("Maple leaves turn red in November") } });
    expect((out.page as { ok: { text: string } }).ok.text).not.toContain("Home | About");
    expect(out.pageMissing).toMatchObject({ code: "EIO", message: expect.stringContaining("404") });
    expect(out.cors).toMatchObject({ code: "EIO", message: expect.stringContaining("CORS") });
    expect(out.file).toMatchObject({ code: "EINVAL" });
    expect(out.otherHost).toMatchObject({ code: "EPERM" });
    expect(out.offsite).toMatchObject({ code: "EIO" });
    // The guard saw the one request that tried to leave, and nothing else.
    expect(app.offsite().every((url) => url.includes("example.com"))).toBe(true);
    expect(app.offsite().length).toBeGreaterThan(0);
  } finally {
    await app.close();
  }
});
