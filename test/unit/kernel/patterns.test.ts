// Patterns of agents: the ensemble's weighted vote, and through the kernel on the embedded model —
// five members decoded together as the caller's children, budgets that stop it cleanly.
import "fake-indexeddb/auto";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TransformersSource } from "../../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { normalizeAnswer, vote } from "../../../src/kernel/patterns.ts";

describe("vote", () => {
  it("merges answers by weight, ignoring case, spacing and final punctuation; a tie goes to the first given", () => {
    expect(normalizeAnswer("  The capital is  Paris. ")).toBe("the capital is paris");
    const votes = vote([
      { pid: 1, answer: "Paris.", weight: 1 },
      { pid: 2, answer: "Lyon", weight: 1.5 },
      { pid: 3, answer: "paris", weight: 1 },
      { pid: 4, answer: null, weight: 5 },
      { pid: 5, answer: "  ", weight: 5 },
    ]);
    expect(votes).toEqual([
      { answer: "Paris.", weight: 2, members: [1, 3] },
      { answer: "Lyon", weight: 1.5, members: [2] },
    ]);
    expect(vote([{ pid: 1, answer: "a", weight: 1 }, { pid: 2, answer: "b", weight: 1 }])[0]!.answer).toBe("a");
    expect(vote([])).toEqual([]);
  });
});

describe("ensemble, through the kernel on the embedded model", () => {
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
    await kernel.loadModel("aios-tiny");
  });

  it("five members answer in parallel, decoded together; the vote picks the majority; the members end with the call", async () => {
    const agent = kernel.spawn({ name: "asker" });
    const members = [0, 0.8, 1.2, 0.5, 1.5].map((temperature, i) => ({ temperature, seed: i + 1, weight: i === 0 ? 2 : 1 }));
    const r = await kernel.ensemble(agent.pid, { question: "What is the capital of France?", members, budget: { tokens: 200 } });
    expect(r.members).toHaveLength(5);
    expect(r.members.every((m) => m.status === "answered" && m.tokens <= 40)).toBe(true);
    expect(r.answer).toMatch(/Paris/);
    expect(r.votes[0]!.weight).toBeGreaterThanOrEqual(2);
    expect(r.tokens).toBe(r.members.reduce((a, m) => a + m.tokens, 0));
    // The members were the caller's children (its app), and none is left running.
    const ps = kernel.ps();
    for (const m of r.members) expect(ps.find((p) => p.pid === m.pid)).toMatchObject({ app: "asker", state: "done" });
    expect(kernel.getStats().batches.largest).toBeGreaterThan(1);
  }, 60_000);

  it("a wall-time budget stops the members still running and votes over what came in, without an error", async () => {
    const agent = kernel.spawn({ name: "hurried" });
    const r = await kernel.ensemble(agent.pid, { question: "Tell me a story about a cat.", members: [{ temperature: 1, seed: 1 }, { temperature: 1, seed: 2 }, { temperature: 1, seed: 3 }], budget: { tokens: 1500, wallMs: 30 } });
    expect(r.stopped).toBe("wall time");
    expect(r.members.some((m) => m.status === "stopped")).toBe(true);
    expect(r.ms).toBeLessThan(5000);
    expect(kernel.ps().filter((p) => p.app === "hurried" && p.state !== "done").map((p) => p.name)).toEqual(["hurried"]);
    await expect(kernel.ensemble(agent.pid, { question: "x", members: [] })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.ensemble(agent.pid, { question: "x", members: Array.from({ length: 9 }, () => ({})) })).rejects.toMatchObject({ code: "EINVAL" });
  }, 60_000);
});
