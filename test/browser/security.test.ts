// The kernel's boundary through the real stack (real SharedWorker, real ports, real Chromium):
// identity comes from the port a call arrives on, never from a message; the ports accept only
// declared calls (raw comlink CONSTRUCT / SET / GET refused); the user's calls are the shell's
// alone; inputs that used to wedge the shared kernel now answer (or fail typed) while another tab
// keeps working; the kernel's own files, the shell's name and the token quota hold.
import { readdirSync } from "node:fs";
import { expect, inject, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

/** The built SharedWorker bundle: a page may open a second connection to the same kernel with it. */
function kernelWorkerUrl(): string {
  const file = readdirSync("dist/assets").find((f) => /^kernel\.shared-worker-.*\.js$/.test(f));
  if (!file) throw new Error("no kernel.shared-worker bundle in dist/assets");
  return `/assets/${file}`;
}

it("ports accept only declared calls; identity comes from the port, not from the message", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async (workerUrl) => {
      type Reply = { type?: string; value?: unknown; name?: string };
      let next = 0;
      /** Sends one raw comlink message and waits for its reply (or 3 s of silence). */
      function raw(port: MessagePort, message: Record<string, unknown>): Promise<Reply | "silence"> {
        const id = `raw-${++next}`;
        return new Promise((resolve) => {
          const timer = setTimeout(() => resolve("silence"), 3000);
          port.addEventListener("message", function listen(event: MessageEvent) {
            if ((event.data as { id?: string })?.id !== id) return;
            clearTimeout(timer);
            port.removeEventListener("message", listen);
            resolve(event.data as Reply);
          });
          port.start();
          port.postMessage({ ...message, id });
        });
      }
      const errorOf = (r: Reply | "silence") => (r === "silence" ? "silence" : r.type === "HANDLER" && r.name === "throw" ? ((r.value as { value?: { code?: string; message?: string } }).value ?? {}) : { ok: r.value });

      const shared = new SharedWorker(workerUrl, { type: "module", name: "aios-kernel" });
      const port = shared.port;
      const construct = errorOf(await raw(port, { type: "CONSTRUCT", path: ["constructor", "constructor"], argumentList: [{ type: "RAW", value: "return 1" }] }));
      const setProto = errorOf(await raw(port, { type: "SET", path: ["__proto__", "maxQueued"], value: { type: "RAW", value: 0 } }));
      const setSyscall = errorOf(await raw(port, { type: "SET", path: ["call"], value: { type: "RAW", value: null } }));
      const get = errorOf(await raw(port, { type: "GET", path: ["call"] }));
      const deepApply = errorOf(await raw(port, { type: "APPLY", path: ["call", "constructor"], argumentList: [] }));
      const endpoint = errorOf(await raw(port, { type: "ENDPOINT" }));

      // A process's own port: calls act as that process, whatever the message says.
      const victim = await window.aios.spawn({ name: "victim" });
      await victim.storage.write("secret.md", "the victim's secret");
      await window.aios.storage.write("shell-secret.md", "the user's secret");
      const agent = await window.aios.spawn({ name: "agent" });
      const call = (name: string, args: unknown) => raw(agent.port, { type: "APPLY", path: ["call"], argumentList: [{ type: "RAW", value: name }, { type: "RAW", value: args }] });
      const readOther = errorOf(await call("storage.read", { path: "secret.md", namespace: "victim" }));
      const readShell = errorOf(await call("storage.read", { path: "shell-secret.md", namespace: "shell" }));
      const pidField = errorOf(await call("storage.read", { path: "secret.md", pid: victim.pid }));
      const killOther = errorOf(await call("proc.kill", { pid: victim.pid }));
      const killShell = errorOf(await call("proc.kill", { pid: 1 }));
      const exportAll = errorOf(await call("storage.namespaces", {}));
      const connect = errorOf(await call("models.connect", { baseUrl: "http://127.0.0.1:9/v1" }));
      const load = errorOf(await call("models.load", { id: "aios-tiny-q8" }));
      const del = errorOf(await call("models.delete", { id: "aios-tiny" }));
      const policy = errorOf(await call("kernel.setPolicy", { policy: "rr" }));
      const grant = errorOf(await call("access.set", { app: "agent", capability: "network:*", decision: "allow" }));
      const answer = errorOf(await call("access.consent.answer", { id: "consent-1", answer: "always" }));
      const unknown = errorOf(await call("no.such.call", {}));
      const psAsAgent = errorOf(await call("proc.ps", {})) as { ok?: Array<{ pid: number }> };
      const statsAsAgent = errorOf(await call("kernel.stats", {})) as { ok?: { history: Array<{ pid: number }> } };
      // Through the same port: still the agent (its own namespace, its own file).
      const own = errorOf(await call("storage.write", { path: "mine.md", content: "ok" }));

      // The kernel keeps serving everyone.
      const reply = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], max_tokens: 8, temperature: 0 });
      const victimStill = (await victim.storage.read("secret.md")).content;
      const ps = await window.aios.kernel.ps();
      return { construct, setProto, setSyscall, get, deepApply, endpoint, readOther, readShell, pidField, killOther, killShell, exportAll, connect, load, del, policy, grant, answer, unknown, psAsAgent: psAsAgent.ok?.map((p) => p.pid), agentPid: agent.pid, statsPids: [...new Set(statsAsAgent.ok?.history.map((h) => h.pid))], own, reply: reply.object, victimStill, victimState: ps.find((p) => p.pid === victim.pid)?.state };
    }, kernelWorkerUrl());

    for (const refused of [out.construct, out.setProto, out.setSyscall, out.get, out.deepApply, out.endpoint]) {
      expect(refused).toMatchObject({ code: "EPERM", message: expect.stringContaining("refused by the kernel") });
    }
    expect(out.readOther).toMatchObject({ code: "EPERM", message: expect.stringContaining("namespace victim") });
    expect(out.readShell).toMatchObject({ code: "EPERM" });
    expect(out.pidField).toMatchObject({ code: "EINVAL", message: expect.stringContaining("pid: unknown field") });
    expect(out.killOther).toMatchObject({ code: "EPERM" });
    expect(out.killShell).toMatchObject({ code: "EPERM" });
    for (const userOnly of [out.exportAll, out.connect, out.load, out.del, out.policy, out.grant, out.answer]) {
      expect(userOnly).toMatchObject({ code: "EPERM", message: expect.stringContaining("the user's alone") });
    }
    expect(out.unknown).toMatchObject({ code: "ENOSYS" });
    expect(out.psAsAgent).toEqual([out.agentPid]);
    expect(out.statsPids.every((pid) => pid === out.agentPid)).toBe(true);
    expect(out.own).toMatchObject({ ok: { path: "mine.md", version: 1 } });
    expect(out.reply).toBe("chat.completion");
    expect(out.victimStill).toBe("the victim's secret");
    expect(out.victimState).toBe("ready");
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("inputs that used to wedge the kernel answer or fail typed, while another tab keeps working", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const other = await app.context.newPage();
  await other.goto(new URL("?device=wasm", inject("baseUrl")).href);
  await other.evaluate(() => window.aios.ready);
  try {
    const started = Date.now();
    const wedges = app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) =>
        Promise.race([p.then(() => "ok", (e) => `${(e as { code?: string }).code}: ${(e as Error).message}`), new Promise((r) => setTimeout(() => r("HUNG"), 60_000))]);
      const small = await window.aios.spawn({ name: "w1", memory: { contextTokens: 256, system: "s".repeat(1000) } });
      const big = await window.aios.spawn({ name: "w2", memory: { contextTokens: 256, system: "s".repeat(20_000) } });
      const block = await window.aios.spawn({ name: "w3", memory: { contextTokens: 256 } });
      await block.memory.blocks.set("persona", "b".repeat(100_000), { limit: 100_000 });
      return { small: await codeOf(small.chat("hi")), big: await codeOf(big.chat("hi")), block: await codeOf(block.chat("hi")) };
    });
    // Meanwhile another tab is served.
    const meanwhile = await other.evaluate(() => window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], max_tokens: 8, temperature: 0 }));
    const out = await wedges;
    expect(meanwhile.object).toBe("chat.completion");
    for (const result of [out.small, out.big, out.block]) expect(result).toMatch(/^EINVAL: memory: the system prompt/);
    expect(Date.now() - started).toBeLessThan(60_000);

    const more = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e as { code?: string }).code ?? `uncoded ${(e as Error).name}`);
      const squat = await codeOf(window.aios.spawn({ name: "shell" }));
      const squatCase = await codeOf(window.aios.spawn({ name: "Shell " }));
      const p = await window.aios.spawn({ name: "notebook" });
      await p.chat("Hello");
      const forge = await codeOf(p.storage.write(".memory/conversation.json", "forged"));
      const forgeRemove = await codeOf(p.storage.remove(".memory/conversation.json"));
      const forgeRollback = await codeOf(p.storage.rollback(".memory/conversation.json", 1));
      const exported = await (await window.aios.spawn({ name: "notebook" })).storage.export();
      const importMemory = await codeOf(p.storage.import(exported));
      const readOwnMemory = await codeOf(p.storage.read(".memory/conversation.json"));
      const stillChats = await codeOf(p.chat("Hello again"));
      const badBase64 = await codeOf(
        p.storage.import(JSON.stringify({ format: "aios-files", formatVersion: 1, files: [{ ns: "notebook", path: "a.bin", createdAt: 1, versions: [{ version: 1, type: "blob", base64: "A", createdAt: 1, meta: {} }] }] })),
      );
      const huge = "x".repeat(33 * 1024 * 1024);
      const bigImport = await codeOf(p.storage.import(JSON.stringify({ format: "aios-files", formatVersion: 1, files: [{ ns: "notebook", path: "big.txt", createdAt: 1, versions: [{ version: 1, type: "text", content: huge, createdAt: 1, meta: {} }] }] })));
      const nullOptions = await codeOf(window.aios.storage.read("nothing-here.md", null as never));
      const nullList = await codeOf(window.aios.storage.list(undefined, null as never));
      return { squat, squatCase, forge, forgeRemove, forgeRollback, importMemory, readOwnMemory, stillChats, badBase64, bigImport, nullOptions, nullList };
    });
    expect(more).toEqual({ squat: "EINVAL", squatCase: "EINVAL", forge: "EPERM", forgeRemove: "EPERM", forgeRollback: "EPERM", importMemory: "EPERM", readOwnMemory: "ok", stillChats: "ok", badBase64: "EINVAL", bigImport: "EQUOTA", nullOptions: "ENOENT", nullList: "ok" });
    app.assertOffline();
  } finally {
    await other.close();
    await app.close();
  }
});

it("quotas hold under concurrency; one agent cannot fill the process table; a process sees only its own", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const q = await window.aios.spawn({ name: "thrifty", quota: { maxCompletionTokens: 100 } });
      const ask = { messages: [{ role: "user" as const, content: "Tell me about operating systems." }], max_tokens: 256, temperature: 1, seed: 3 };
      const settled = await Promise.allSettled(Array.from({ length: 20 }, () => q.llm.chat.completions.create(ask)));
      const spent = (await q.info()).completionTokens;
      const refused = settled.filter((s) => s.status === "rejected").map((s) => (s as PromiseRejectedResult).reason.code);

      // A process spawning children: bounded per parent; its children are its own to see and end.
      const parent = await window.aios.spawn({ name: "spawner", capabilities: ["calculator"] });
      // A child never gets more than its parent.
      const widen = await parent.spawn({ name: "greedy", capabilities: ["network:*"] }).then(() => "ok", (e) => (e as { code?: string }).code);
      const children: number[] = [];
      let childError = "";
      for (let i = 0; i < 70; i++) {
        try {
          children.push((await parent.spawn({ name: `child-${i}` })).pid);
        } catch (e) {
          childError = (e as { code?: string }).code ?? "";
          break;
        }
      }
      const seen = (await parent.ps()).map((p) => p.pid);
      const child = (await parent.ps()).find((p) => p.pid === children[0]);
      const killChild = await parent.kill(children[0]!).then((p) => p.state, (e) => (e as { code?: string }).code);
      const sibling = await window.aios.spawn({ name: "sibling" });
      const killSibling = await parent.kill(sibling.pid).then(() => "ok", (e) => (e as { code?: string }).code);
      // The shell can still spawn after all of that.
      const shellSpawn = await window.aios.spawn({ name: "after" }).then(() => "ok", (e) => (e as { code?: string }).code);
      return { spent, refused, childCount: children.length, childError, widen, seen, parentPid: parent.pid, childApp: child?.app, childParent: child?.parent, killChild, killSibling, shellSpawn };
    });
    expect(out.spent).toBeLessThanOrEqual(100);
    expect(out.spent).toBeGreaterThan(0);
    expect(out.refused.length).toBeGreaterThan(0);
    expect(new Set(out.refused)).toEqual(new Set(["EQUOTA"]));
    expect(out.childCount).toBe(64);
    expect(out.childError).toBe("EQUOTA");
    expect(out.widen).toBe("EPERM");
    expect(out.seen).toHaveLength(65);
    expect(out.seen).toContain(out.parentPid);
    expect(out.childApp).toBe("spawner");
    expect(out.childParent).toBe(out.parentPid);
    expect(out.killChild).toBe("done");
    expect(out.killSibling).toBe("EPERM");
    expect(out.shellSpawn).toBe("ok");
    app.assertOffline();
  } finally {
    await app.close();
  }
});
