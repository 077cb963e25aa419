// The access manager alone: defaults, the user's decisions, consent prompts (once, always, deny,
// no listener, a tab closing, a timeout, a killed caller), the audit log and its bound.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { IndexedDBAccessStore } from "../../../src/kernel/access-db.ts";
import { AccessManager, MemoryAccessStore, defaultDecision, type ConsentEvent } from "../../../src/kernel/access.ts";
import type { Process } from "../../../src/kernel/process.ts";

function proc(pid: number, app: string, capabilities: string[], owner?: string): Process {
  return { pid, name: app, app, capabilities, owner, done: false, priority: 20, quota: {}, memory: {}, toolRules: [], promptTokens: 0, completionTokens: 0, countedTokens: 0, requests: 0, toolCalls: 0, startedAt: 0, label: { untrusted: [], private: [], ownFiles: [], said: [] } };
}
const call = (capability: string) => ({ tool: "fetch", capability, summary: `GET http://${capability.slice(8)}/x`, args: { url: `http://${capability.slice(8)}/x` } });

describe("defaults", () => {
  it("harmless and own-resource tools are allowed when declared; the network asks; the undeclared is denied", () => {
    expect(["calculator", "clock", "units", "files", "js"].map((c) => defaultDecision(c, true))).toEqual(["allow", "allow", "allow", "allow", "allow"]);
    expect(defaultDecision("network:example.com", true)).toBe("ask");
    // A device is asked for, even where its family shares a name with a harmless one (files:io is not files).
    expect(["files:io", "geolocation", "camera", "clipboard:read", "notify", "speak"].map((c) => defaultDecision(c, true))).toEqual(["ask", "ask", "ask", "ask", "ask", "ask"]);
    expect(defaultDecision("geolocation", true)).toBe("ask");
    expect(defaultDecision("calculator", false)).toBe("deny");
  });
});

describe("AccessManager", () => {
  it("denies an undeclared capability and audits it", async () => {
    const access = new AccessManager();
    await expect(access.check(proc(2, "a", []), call("network:h:1"))).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("did not declare network:h:1") });
    const { entries } = await access.audit();
    expect(entries).toMatchObject([{ pid: 2, app: "a", tool: "fetch", capability: "network:h:1", decision: "deny", by: "policy", error: "EPERM" }]);
    expect(entries[0]!.argsDigest).toMatch(/^[0-9a-f]{16}$/);
  });

  it("asks when no decision is set: no tab → EPERM saying consent is needed", async () => {
    const access = new AccessManager();
    await expect(access.check(proc(2, "a", ["network:*"]), call("network:h:1"))).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("consent is needed") });
  });

  it("once, always and deny, as a user answers them", async () => {
    const access = new AccessManager();
    const events: ConsentEvent[] = [];
    access.listen("tab-a", (e) => {
      events.push(e);
      if (e.type !== "ask") return;
      const answer = events.filter((x) => x.type === "ask").length === 1 ? "once" : events.filter((x) => x.type === "ask").length === 2 ? "always" : "deny";
      queueMicrotask(() => access.answer(e.request.id, answer));
    });
    const p = proc(2, "reader", ["network:h:1", "network:other:2"], "tab-a");
    const once = await access.check(p, call("network:h:1"));
    expect(once.by).toBe("user-once");
    await once.done({ resultBytes: 5 });
    const always = await access.check(p, call("network:h:1"));
    expect(always.by).toBe("user-always");
    await new Promise((r) => setTimeout(r, 10));
    expect(access.decisionFor(p, "network:h:1")).toEqual({ decision: "allow", source: "user" });
    expect((await access.check(p, call("network:h:1"))).by).toBe("policy");
    await expect(access.check(p, call("network:other:2"))).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("denied") });
    // Denied once: the same process is not asked again.
    const asks = events.filter((e) => e.type === "ask").length;
    await expect(access.check(p, call("network:other:2"))).rejects.toMatchObject({ code: "EPERM" });
    expect(events.filter((e) => e.type === "ask").length).toBe(asks);
    expect(events.filter((e) => e.type === "settled").length).toBe(3);
    const { entries } = await access.audit({ app: "reader" });
    expect(entries.filter((e) => e.tool === "fetch").map((e) => `${e.decision}/${e.by}`)).toEqual(["allow/user-once", "deny/user-deny", "deny/user-deny"]);
    const list = await access.list([p]);
    expect(list).toContainEqual({ app: "reader", capability: "network:h:1", decision: "allow", source: "user", declared: true });
    expect(list).toContainEqual({ app: "reader", capability: "network:other:2", decision: "ask", source: "default", declared: true });
    // Revoked: asked again.
    await access.set("reader", "network:h:1", null);
    expect(access.decisionFor(p, "network:h:1").decision).toBe("ask");
  });

  it("every open tab shows a prompt and any may answer it; a pending prompt blocks no other process; the others are told it is settled", async () => {
    const access = new AccessManager();
    const seenA: string[] = [];
    const seenB: string[] = [];
    access.listen("tab-a", (e) => seenA.push(e.type));
    const p = proc(2, "a", ["network:*", "calculator"], "tab-a");
    const asking = access.check(p, call("network:h:1"));
    while (access.pendingRequests().length === 0) await new Promise((r) => setTimeout(r, 1));
    // Meanwhile another process's harmless call goes through at once.
    await expect(access.check(proc(3, "b", ["calculator"]), call("calculator"))).resolves.toMatchObject({ by: "policy" });
    // A tab opened now shows the waiting prompt and answers it.
    access.listen("tab-b", (e) => seenB.push(e.type));
    expect(seenB).toEqual(["ask"]);
    access.answer(access.pendingRequests()[0]!.id, "once");
    await expect(asking).resolves.toMatchObject({ by: "user-once" });
    expect(seenA).toEqual(["ask", "settled"]);
    expect(seenB).toEqual(["ask", "settled"]);
    // The asking tab closing leaves the prompt up in the other tab.
    const again = access.check(p, call("network:h:2"));
    while (access.pendingRequests().length === 0) await new Promise((r) => setTimeout(r, 1));
    access.dropOwner("tab-a");
    expect(access.pendingRequests()).toHaveLength(1);
    access.answer(access.pendingRequests()[0]!.id, "deny");
    await expect(again).rejects.toMatchObject({ code: "EPERM" });
  });

  it("a prompt fails when its tab closes, times out, or its caller is killed", async () => {
    const access = new AccessManager();
    access.consentTimeoutMs = 100;
    const stop = access.listen("tab-a", () => {});
    const p = proc(2, "a", ["network:*"], "tab-a");
    const closing = access.check(p, call("network:h:1"));
    // The prompt is up (on a loaded machine the check's digest may take longer than a timer tick).
    while (access.pendingRequests().length === 0) await new Promise((r) => setTimeout(r, 1));
    access.dropOwner("tab-a");
    await expect(closing).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("closed") });
    access.listen("tab-b", () => {});
    await expect(access.check(p, call("network:h:1"))).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("within") });
    const controller = new AbortController();
    const killed = access.check(p, call("network:h:1"), controller.signal);
    controller.abort();
    await expect(killed).rejects.toMatchObject({ code: "EPERM" });
    expect(access.pendingRequests()).toEqual([]);
    stop();
  });

  it("decisions and the audit log persist in IndexedDB; the log is bounded with a count", async () => {
    const store = await IndexedDBAccessStore.open("access-test", 100);
    const access = new AccessManager(store);
    await access.set("notes", "network:example.com", "deny");
    for (let i = 0; i < 150; i++) await store.appendAudit([{ at: i, pid: 3, app: "notes", tool: "calculator", capability: "calculator", argsDigest: "", summary: `#${i}`, decision: "allow", by: "policy" }]);
    const again = new AccessManager(await IndexedDBAccessStore.open("access-test", 100));
    await again.ready();
    expect(again.decisionFor(proc(3, "notes", []), "network:example.com")).toEqual({ decision: "deny", source: "user" });
    const { entries, dropped } = await again.audit();
    expect(entries.length).toBe(100);
    expect(dropped).toBe(51);
    expect(entries.at(-1)!.summary).toBe("#149");
    const memory = new MemoryAccessStore(10);
    for (let i = 0; i < 15; i++) await memory.appendAudit([{ at: i, pid: 1, app: "x", tool: "t", capability: "c", argsDigest: "", summary: "", decision: "allow", by: "policy" }]);
    expect((await memory.readAudit()).dropped).toBe(5);
  });
});
