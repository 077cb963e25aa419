// Processes, quotas and the syscall table, on the kernel alone with a scripted engine.
import { describe, expect, it } from "vitest";
import "fake-indexeddb/auto";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { FileStore } from "../../../src/kernel/storage/files.ts";
import { SYSCALLS, syscall } from "../../../src/kernel/syscalls.ts";
import { source } from "./scripted-engine.ts";

const ask = { messages: [{ role: "user", content: "hi" }] };
const words = Array.from({ length: 40 }, (_, i) => `w${i} `);

async function booted(delayMs = 2) {
  const kernel = new Kernel([source(["m"], [], words, delayMs)]);
  await kernel.loadModel("m");
  return kernel;
}

describe("syscall table", () => {
  it("maps every call name to one handler and refuses unknown names with ENOSYS", async () => {
    const kernel = await booted();
    expect(Object.keys(SYSCALLS)).toEqual(expect.arrayContaining(["llm.chat", "proc.spawn", "proc.kill", "proc.ps", "models.load"]));
    for (const bad of ["nope", "__proto__", "constructor", 42, null, { toString: null }, Object.create(null)]) {
      await expect(syscall(kernel, bad, { pid: 1 })).rejects.toMatchObject({ code: "ENOSYS" });
    }
  });

  it("refuses calls from unknown or dead pids, and bad arguments, and keeps serving", async () => {
    const kernel = await booted();
    await expect(syscall(kernel, "proc.ps", { pid: 99 })).rejects.toMatchObject({ code: "ENOENT" });
    await expect(syscall(kernel, "proc.ps", { pid: "1" as never })).rejects.toMatchObject({ code: "EINVAL" });
    const p = (await syscall(kernel, "proc.spawn", { pid: 1 }, { name: "agent" })) as { pid: number };
    await syscall(kernel, "proc.exit", { pid: p.pid });
    await expect(syscall(kernel, "llm.chat", { pid: p.pid }, ask)).rejects.toMatchObject({ code: "EKILLED" });
    await expect(syscall(kernel, "proc.kill", { pid: 1 }, { pid: "x" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("pid") });
    await expect(syscall(kernel, "proc.kill", { pid: 1 }, { pid: 1 })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "proc.spawn", { pid: 1 }, { name: "" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("name") });
    await expect(syscall(kernel, "proc.spawn", { pid: 1 }, { name: "a", priority: 99 })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("priority") });
    await expect(syscall(kernel, "proc.spawn", { pid: 1 }, { name: "a", quota: { maxQueued: 0 } })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("quota.maxQueued") });
    await expect(syscall(kernel, "models.load", { pid: 1 }, { id: "x".repeat(10_000) })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(syscall(kernel, "llm.chat", { pid: 1 }, "x".repeat(100_000))).rejects.toMatchObject({ code: "EINVAL" });
    expect((await syscall(kernel, "llm.chat", { pid: 1 }, ask)) as object).toMatchObject({ object: "chat.completion" });
  });
});

describe("hostile callers of the MCP calls", () => {
  it("a process cannot connect or disconnect servers; malformed and oversized input is EINVAL before anything is fetched", async () => {
    const kernel = await booted();
    const p = (await syscall(kernel, "proc.spawn", { pid: 1 }, { name: "agent" })) as { pid: number };
    await expect(syscall(kernel, "mcp.connect", { pid: p.pid }, { url: "http://127.0.0.1:1/mcp", name: "evil" })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "mcp.disconnect", { pid: p.pid }, { name: "evil" })).rejects.toMatchObject({ code: "EPERM" });
    expect(await syscall(kernel, "mcp.list", { pid: p.pid })).toEqual([]);
    for (const args of [
      { url: "http://127.0.0.1:1/mcp", name: "Has Spaces" },
      { url: "http://127.0.0.1:1/mcp", name: "x".repeat(40) },
      { url: "x".repeat(5000), name: "big" },
      { url: "http://127.0.0.1:1/mcp", name: "hdr", headers: { a: "x".repeat(10_000) } },
      { url: "http://127.0.0.1:1/mcp", name: "extra", as: "shell" },
    ]) {
      await expect(syscall(kernel, "mcp.connect", { pid: 1 }, args)).rejects.toMatchObject({ code: "EINVAL" });
    }
    await expect(syscall(kernel, "mcp.connect", { pid: 1 }, { url: "file:///etc/passwd", name: "file" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("http") });
    expect(await syscall(kernel, "mcp.disconnect", { pid: 1 }, { name: "never" })).toBe(false);
    expect((await syscall(kernel, "llm.chat", { pid: 1 }, ask)) as object).toMatchObject({ object: "chat.completion" });
  });
});

describe("hostile callers of the people-in-the-loop calls", () => {
  it("only the user writes the human block, rates another app's answers, pauses or steers what is not a process's own", async () => {
    const kernel = await booted();
    kernel.mountFiles(await FileStore.open({ name: `syscalls-people-${Math.random()}` }));
    const p = (await syscall(kernel, "proc.spawn", { pid: 1 }, { name: "agent" })) as { pid: number };
    const other = (await syscall(kernel, "proc.spawn", { pid: 1 }, { name: "other" })) as { pid: number };
    const child = (await syscall(kernel, "proc.spawn", { pid: p.pid }, { name: "kid" })) as { pid: number };
    // The human block: the user's alone, through memory.human.* (a process cannot use blocks.set, storage or import to reach it).
    await expect(syscall(kernel, "memory.blocks.set", { pid: p.pid }, { label: "human", value: "Name: Mallory" })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "storage.write", { pid: p.pid }, { path: ".memory/blocks/human.json", content: { value: "x", limit: 10 } })).rejects.toMatchObject({ code: "EPERM" });
    for (const call of ["memory.human.get", "memory.human.set", "memory.human.add"] as const) {
      await expect(syscall(kernel, call, { pid: p.pid }, { namespace: "agent", value: "x", fact: "x" } as never)).rejects.toMatchObject({ code: expect.stringMatching(/EPERM|EINVAL/) });
    }
    expect(await syscall(kernel, "memory.human.add", { pid: 1 }, { namespace: "agent", fact: "Name: Ada" })).toEqual({ value: "- Name: Ada", limit: 2000 });
    expect(await syscall(kernel, "memory.blocks.get", { pid: p.pid }, {})).toEqual([{ label: "human", value: "- Name: Ada", limit: 2000 }]);
    expect(await syscall(kernel, "memory.human.set", { pid: 1 }, { namespace: "agent", value: "" })).toEqual({ value: "", limit: 2000 });
    expect(await syscall(kernel, "memory.blocks.get", { pid: p.pid }, {})).toEqual([]);
    await expect(syscall(kernel, "memory.human.add", { pid: 1 }, { namespace: "agent", fact: "x".repeat(301) })).rejects.toMatchObject({ code: "EINVAL" });
    // Feedback: a process rates its own answers (not the user's words); another app's namespace is the user's.
    const own = (await syscall(kernel, "memory.feedback", { pid: p.pid }, { question: "q", answer: "a", rating: "up" })) as { byUser: boolean };
    expect(own.byUser).toBe(false);
    await expect(syscall(kernel, "memory.feedback", { pid: p.pid }, { question: "q", answer: "a", rating: "up", namespace: "other" })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "memory.feedback", { pid: p.pid }, { question: "q", answer: "a", rating: "meh" })).rejects.toMatchObject({ code: "EINVAL" });
    expect(((await syscall(kernel, "memory.feedback", { pid: 1 }, { question: "q", answer: "a", rating: "down", correction: "b", namespace: "agent" })) as { byUser: boolean }).byUser).toBe(true);
    expect(await syscall(kernel, "memory.feedback.list", { pid: p.pid }, {})).toHaveLength(2);
    // Pause and steer: the user, or an ancestor; never oneself, a sibling, or the shell.
    await expect(syscall(kernel, "proc.pause", { pid: p.pid }, { pid: p.pid })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "proc.pause", { pid: p.pid }, { pid: other.pid })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "proc.pause", { pid: child.pid }, { pid: p.pid })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "proc.pause", { pid: 1 }, { pid: 1 })).rejects.toMatchObject({ code: "EPERM" });
    expect(await syscall(kernel, "proc.pause", { pid: p.pid }, { pid: child.pid })).toMatchObject({ paused: true, pausedBy: child.pid });
    await expect(syscall(kernel, "proc.resume", { pid: child.pid }, { pid: child.pid })).rejects.toMatchObject({ code: "EPERM" });
    await expect(syscall(kernel, "proc.steer", { pid: p.pid }, { pid: child.pid, note: "x" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("not waiting") });
    await expect(syscall(kernel, "proc.steer", { pid: p.pid }, { pid: child.pid, note: "x".repeat(5000) })).rejects.toMatchObject({ code: "EINVAL" });
    expect(await syscall(kernel, "proc.resume", { pid: 1 }, { pid: child.pid })).not.toHaveProperty("paused");
    await expect(syscall(kernel, "proc.resume", { pid: 1 }, { pid: child.pid })).rejects.toMatchObject({ code: "EINVAL" });
    // A paused process's requests wait; the others' go on; a kill frees it.
    await syscall(kernel, "proc.pause", { pid: 1 }, { pid: p.pid });
    const held = syscall(kernel, "llm.chat", { pid: p.pid }, ask);
    expect((await syscall(kernel, "llm.chat", { pid: other.pid }, ask)) as object).toMatchObject({ object: "chat.completion" });
    await syscall(kernel, "proc.kill", { pid: 1 }, { pid: p.pid });
    await expect(held).rejects.toMatchObject({ code: "EKILLED" });
  });
});

describe("processes", () => {
  it("ps lists processes with state, priority, owner and tokens used", async () => {
    const kernel = await booted();
    const a = kernel.spawn({ name: "writer", priority: 30 }, { owner: "tab-1" });
    const pending = kernel.chat(ask, { pid: a.pid });
    await new Promise((r) => setTimeout(r, 5));
    expect(kernel.ps().find((p) => p.pid === a.pid)).toMatchObject({ name: "writer", state: "running", priority: 30, owner: "tab-1" });
    await pending;
    const after = kernel.ps();
    expect(after.map((p) => p.name)).toEqual(["shell", "writer"]);
    expect(after[1]).toMatchObject({ state: "ready", completionTokens: 40, requests: 1 });
  });

  it("kill ends a process: its running and queued requests reject with EKILLED, others go on", async () => {
    const kernel = await booted();
    const victim = kernel.spawn({ name: "victim" });
    const other = kernel.spawn({ name: "other" });
    const running = kernel.chat(ask, { pid: victim.pid });
    const queued = kernel.chat(ask, { pid: victim.pid });
    const bystander = kernel.chat(ask, { pid: other.pid });
    await new Promise((r) => setTimeout(r, 10));
    expect(kernel.kill(victim.pid).state).toBe("done");
    await expect(running).rejects.toMatchObject({ code: "EKILLED" });
    await expect(queued).rejects.toMatchObject({ code: "EKILLED" });
    expect((await bystander).choices[0]!.finish_reason).toBe("stop");
    expect(kernel.ps().find((p) => p.pid === victim.pid)!.state).toBe("done");
    expect(() => kernel.kill(victim.pid)).toThrow(expect.objectContaining({ code: "EKILLED" }));
  });
});

describe("quotas", () => {
  it("a runaway spawner is stopped with EQUOTA, and ended processes do not pile up in ps", async () => {
    const kernel = await booted();
    for (let i = 0; i < 200; i++) kernel.kill(kernel.spawn({ name: `short-${i}` }).pid);
    expect(kernel.ps().length).toBeLessThanOrEqual(65);
    expect(() => {
      for (let i = 0; i < 2000; i++) kernel.spawn({ name: `leak-${i}` });
    }).toThrow(expect.objectContaining({ code: "EQUOTA", message: expect.stringContaining("live processes") }));
    expect((await kernel.chat(ask)).choices[0]!.finish_reason).toBe("stop");
  });

  it("maxCompletionTokens clamps the last request and then refuses with EQUOTA naming the quota", async () => {
    const kernel = await booted();
    const p = kernel.spawn({ name: "budget", quota: { maxCompletionTokens: 50 } });
    expect((await kernel.chat(ask, { pid: p.pid })).usage.completion_tokens).toBe(40);
    const cut = await kernel.chat(ask, { pid: p.pid });
    expect(cut.usage.completion_tokens).toBe(10);
    expect(cut.choices[0]!.finish_reason).toBe("length");
    await expect(kernel.chat(ask, { pid: p.pid })).rejects.toMatchObject({ code: "EQUOTA", message: expect.stringContaining("maxCompletionTokens") });
    expect((await kernel.chat(ask)).choices[0]!.finish_reason).toBe("stop");
  });

  it("maxQueued stops a runaway loop of requests while other processes keep their share", async () => {
    const kernel = await booted();
    const loop = kernel.spawn({ name: "runaway", quota: { maxQueued: 2 } });
    const calls = Array.from({ length: 6 }, () => kernel.chat(ask, { pid: loop.pid }));
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "EQUOTA", message: expect.stringContaining("maxQueued") });
    }
    expect((await kernel.chat(ask)).choices[0]!.finish_reason).toBe("stop");
  });

  it("maxRequestMs rejects a request that runs too long, queueing included", async () => {
    const kernel = await booted(5);
    const p = kernel.spawn({ name: "slow", quota: { maxRequestMs: 60 } });
    await expect(kernel.chat(ask, { pid: p.pid })).rejects.toMatchObject({ code: "EQUOTA", message: expect.stringContaining("maxRequestMs") });
    expect((await kernel.chat(ask)).choices[0]!.finish_reason).toBe("stop");
    expect(kernel.ps().find((x) => x.pid === p.pid)!.state).toBe("ready");
  });
});
