// Tools through the real stack (window.aios → shared kernel worker → tool drivers; the js sandbox
// in its own worker; fetch and web.read against a server this test starts on loopback): every
// tool called as a process, the access manager's EPERM for what was not declared, the sandbox
// killing an endless loop and a memory bomb with no reach to the DOM, network or storage, and the
// offline guard catching a granted fetch to a non-loopback host.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";
import { useTestSite } from "./test-site.ts";
import { startMcpServer } from "../fixtures/mcp-server.ts";

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
        memory: await codeOf(p.tools.call("files.write", { path: ".memory/conversation.json", content: "forged" })),
        badArgs: await codeOf(p.tools.call("files.write", { path: "a.md" })),
        // (Writes first: after a read, a write needs the person's approval for that call — labels.ts.)
        read: await codeOf(p.tools.call("files.read", { path: "notes/buy-milk.md" })),
        search: await codeOf(p.tools.call("files.search", { query: "milk" })),
        list: await codeOf(p.tools.call("files.list", {})),
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
    expect(out.read).toEqual({ ok: { path: "notes/buy-milk.md", version: 1, content: "I must buy milk." } });
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
        // No tab is asked here (the shell's dialog is tested in shell-tools.test.ts): the user grants.
        await window.aios.access.set("reader", `network:${host}`, "allow");
        await window.aios.access.set("reader", "network:example.com", "allow");
        // Each call from a fresh process of the app: a process that has read a response holds
        // untrusted content, and its next fetch (consequential) needs an approval of its own.
        const fresh = () => window.aios.spawn({ name: "reader", capabilities: [`network:${host}`, "network:example.com"] });
        const call = async (name: string, args: Record<string, unknown>) => codeOf((await fresh()).tools.call(name, args));
        const out = {
          get: await call("fetch", { url: `${origin}/api/status` }),
          post: await call("fetch", { url: `${origin}/echo`, method: "POST", body: "hello" }),
          missing: await call("fetch", { url: `${origin}/nothing` }),
          page: await call("web.read", { url: `${origin}/kyoto.html` }),
          pageMissing: await call("web.read", { url: `${origin}/nothing` }),
          cors: await call("fetch", { url: `${origin}/no-cors` }),
          file: await call("fetch", { url: "file:///etc/passwd" }),
          otherHost: await call("fetch", { url: "http://127.0.0.2:1/x" }),
          offsite: await call("fetch", { url: "http://example.com/" }),
          again: null as unknown,
          reason: "" as string | undefined,
        };
        // The same process fetching again after reading a page: the kernel asks the person about this one call.
        const p = await fresh();
        await p.tools.call("web.read", { url: `${origin}/kyoto.html` });
        const second = codeOf(p.tools.call("fetch", { url: `${origin}/echo`, method: "POST", body: "what the page said" }));
        let asked: Awaited<ReturnType<typeof window.aios.access.pending>>[number] | undefined;
        while (!(asked = (await window.aios.access.pending()).find((r) => r.pid === p.pid))) await new Promise((r) => setTimeout(r, 50));
        out.reason = asked.reason;
        await window.aios.access.answer(asked.id, "deny");
        out.again = await second;
        return out;
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
    expect(out.reason).toContain("follows content from web.read");
    expect(out.again).toMatchObject({ code: "EPERM", message: expect.stringContaining("did not approve") });
    // The guard saw the one request that tried to leave, and nothing else.
    expect(app.offsite().every((url) => url.includes("example.com"))).toBe(true);
    expect(app.offsite().length).toBeGreaterThan(0);
  } finally {
    await app.close();
  }
});

it("an MCP server's tools through the kernel's worker: connected by the user, called by a process that declared mcp:<name>, gone on disconnect", async () => {
  const server = await startMcpServer();
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async (url) => {
      const info = await window.aios.mcp.connect({ url, name: "test" });
      await window.aios.access.set("mcp-user", "mcp:test", "allow");
      const user = await window.aios.spawn({ name: "mcp-user", capabilities: ["mcp:test"] });
      const sum = await user.tools.call("mcp.test.add", { a: 2, b: 40 });
      // (A process that read a result needs an approval for its next consequential call: a fresh one calls fail.)
      const other = await window.aios.spawn({ name: "mcp-user", capabilities: ["mcp:test"] });
      const failed = await other.tools.call("mcp.test.fail", {}).then(
        () => null,
        (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
      );
      const listed = (await window.aios.tools.list()).filter((t) => t.name.startsWith("mcp.")).map((t) => `${t.name}:${t.kind}:${t.capability}`);
      const stranger = await window.aios.spawn({ name: "stranger", capabilities: ["calculator"] });
      const refused = await stranger.tools.call("mcp.test.add", { a: 1, b: 1 }).then(
        () => null,
        (e: { code?: string }) => e.code,
      );
      const disconnected = await window.aios.mcp.disconnect("test");
      const after = (await window.aios.tools.list()).filter((t) => t.name.startsWith("mcp.")).length;
      return { info, sum, failed, listed, refused, disconnected, after, servers: await window.aios.mcp.list() };
    }, server.url);
    expect(out.info.server).toEqual({ name: "aios-test-mcp", version: "1.0.0" });
    expect(out.sum).toEqual({ sum: 42 });
    expect(out.failed).toMatchObject({ code: "EIO", message: expect.stringContaining("the database is on fire") });
    expect(out.listed).toContain("mcp.test.add:mcp:mcp:test");
    expect(out.refused).toBe("EPERM");
    expect([out.disconnected, out.after, out.servers]).toEqual([true, 0, []]);
    expect(server.calls).toEqual(["add", "fail"]);
    app.assertOffline();
  } finally {
    await app.close();
    await server.close();
  }
});

it("the Permissions window connects an MCP server, lists it and disconnects it (screenshot)", async () => {
  const server = await startMcpServer();
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.getByRole("button", { name: "Permissions" }).click();
    const perms = page.getByRole("dialog", { name: "Permissions" });
    await perms.getByRole("textbox", { name: "MCP server name" }).fill("demo");
    await perms.getByRole("textbox", { name: "MCP server address" }).fill(server.url);
    await perms.getByRole("button", { name: "Connect", exact: true }).click();
    const table = perms.getByRole("table", { name: "MCP servers" });
    await expect.poll(() => table.locator("tbody tr").count(), { timeout: 15_000 }).toBe(1);
    expect(await table.textContent()).toContain("aios-test-mcp 1.0.0");
    expect(await perms.getByRole("status").textContent()).toContain("mcp:demo");
    expect((await page.evaluate(() => window.aios.tools.list())).filter((t) => t.name.startsWith("mcp.demo.")).length).toBe(7);
    await table.scrollIntoViewIfNeeded();
    await shoot(page, "permissions-mcp");
    await perms.getByRole("button", { name: "Disconnect demo" }).click();
    await expect.poll(() => page.evaluate(() => window.aios.mcp.list())).toEqual([]);
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
    await server.close();
  }
});
