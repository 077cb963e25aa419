// The scheduler on the real engine and embedded model (Node): policies, preemption at token
// boundaries, KV-preserving and spilled context switches, and the identical-output invariant.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TransformersSource } from "../../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { syscall } from "../../../src/kernel/syscalls.ts";

let kernel: Kernel;
const prompts = ["Tell me a story about a cat.", "Tell me about operating systems.", "What is a computer?", "who are you"];
const ask = (content: string, max_tokens = 48) => ({ messages: [{ role: "user" as const, content }], temperature: 0, max_tokens });
const alone = new Map<string, string>();

beforeAll(async () => {
  kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
  await kernel.loadModel("aios-tiny");
  kernel.setPolicy({ policy: "fifo" });
  for (const p of prompts) alone.set(p, (await kernel.chat(ask(p))).choices[0]!.message.content!);
});

async function runAll(policy: Parameters<Kernel["setPolicy"]>[0], priority?: number) {
  kernel.setPolicy(policy);
  const procs = prompts.map((p, i) => kernel.spawn({ name: `agent-${i}`, priority: priority ?? 10 + i }));
  const results = await Promise.all(prompts.map((p, i) => kernel.chat(ask(p), { pid: procs[i]!.pid, requestId: `${JSON.stringify(policy)}-${i}` })));
  const history = kernel.getStats().history.filter((h) => h.requestId.startsWith(JSON.stringify(policy)));
  kernel.setPolicy({ policy: "fifo", kvBudgetBytes: 64 * 1024 * 1024, maxBatch: 8 });
  return { texts: results.map((r) => r.choices[0]!.message.content), history };
}

describe("scheduler", () => {
  it("fifo runs each request whole, in arrival order", async () => {
    const { texts, history } = await runAll({ policy: "fifo", maxBatch: 1 });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.map((h) => h.slices.length)).toEqual([1, 1, 1, 1]);
    expect(history.every((h) => h.preemptions === 0)).toBe(true);
    for (let i = 1; i < history.length; i++) expect(history[i]!.slices[0]![0]).toBeGreaterThanOrEqual(history[i - 1]!.slices[0]![1]);
  });

  it("rr interleaves slices of 4 tokens with KV-preserving switches; every output equals its solo run", async () => {
    const { texts, history } = await runAll({ policy: "rr", sliceTokens: 4, maxBatch: 1 });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.every((h) => h.preemptions > 0)).toBe(true);
    expect(history.every((h) => h.spills === 0)).toBe(true);
    // Everyone has started before anyone finishes: the first token comes early for all.
    const firstFinish = Math.min(...history.map((h) => h.finishedAt!));
    expect(history.every((h) => h.firstTokenAt! < firstFinish)).toBe(true);
  });

  it("with no KV budget every switch spills to a text snapshot, and outputs are still identical", async () => {
    const { texts, history } = await runAll({ policy: "rr", sliceTokens: 5, kvBudgetBytes: 0, maxBatch: 1 });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.some((h) => h.spills > 0)).toBe(true);
  });

  it("priority runs the highest first, preempting at a token boundary, and aging prevents starvation", async () => {
    kernel.setPolicy({ policy: "priority", sliceTokens: 2, agingSlices: 1000 });
    const low = kernel.spawn({ name: "low", priority: 1 });
    const high = kernel.spawn({ name: "high", priority: 30 });
    // high arrives once low is decoding: it takes over at the next token boundary.
    let highDone: Promise<unknown> | undefined;
    const lowDone = kernel.chat({ ...ask(prompts[0]!, 40), stream: true }, {
      pid: low.pid,
      requestId: "prio-low",
      onChunk: (c) => {
        if (c.choices[0]?.delta.content) highDone ??= kernel.chat(ask(prompts[1]!, 40), { pid: high.pid, requestId: "prio-high" });
      },
    });
    await lowDone;
    await highDone;
    const stats = kernel.getStats().history;
    const l = stats.find((h) => h.requestId === "prio-low")!;
    const h = stats.find((s) => s.requestId === "prio-high")!;
    expect(h.finishedAt!).toBeLessThan(l.finishedAt!);
    expect(l.preemptions).toBeGreaterThan(0);
    expect((await lowDone).choices[0]!.message.content).toBe((await kernel.chat(ask(prompts[0]!, 40))).choices[0]!.message.content);

    // With aging (one level per slice passed over), the low job (1) overtakes the high ones (30)
    // after ~29 of their slices, long before they finish (2 x 20 slices, one at a time).
    kernel.setPolicy({ policy: "priority", sliceTokens: 2, agingSlices: 1, maxBatch: 1 });
    const low2 = kernel.chat(ask(prompts[2]!, 30), { pid: low.pid, requestId: "aging-low" });
    const highs = [0, 1].map((i) => kernel.chat(ask(prompts[1]!, 40), { pid: high.pid, requestId: `aging-high-${i}` }));
    await Promise.all([low2, ...highs]);
    const history = kernel.getStats().history;
    const lowStats = history.find((s) => s.requestId === "aging-low")!;
    const highEnd = Math.max(...history.filter((s) => s.requestId.startsWith("aging-high")).map((s) => s.finishedAt!));
    expect(lowStats.slices.filter(([start]) => start < highEnd).length).toBeGreaterThan(0);
    kernel.setPolicy({ policy: "fifo", maxBatch: 8 });
  });

  it("batches: the processes decode together under fifo, rr and priority, every output equal to its solo run", async () => {
    for (const policy of [{ policy: "fifo" as const }, { policy: "rr" as const, sliceTokens: 4 }, { policy: "priority" as const, sliceTokens: 4, agingSlices: 1000 }]) {
      // Under priority all four are made equal here, so that one batch holds them.
      const { texts, history } = await runAll({ ...policy, maxBatch: 8 }, policy.policy === "priority" ? 20 : undefined);
      expect(texts, policy.policy).toEqual(prompts.map((p) => alone.get(p)));
      // One batch: everyone starts before anyone finishes, and nobody is preempted.
      const firstFinish = Math.min(...history.map((h) => h.finishedAt!));
      expect(history.every((h) => h.slices[0]![0] < firstFinish && h.preemptions === 0), policy.policy).toBe(true);
    }
    expect(kernel.getStats().policy.maxBatch).toBe(8);
  });

  it("a batch of 2 rotates 4 processes (members spilled and re-prefilled); outputs are still identical", async () => {
    const { texts, history } = await runAll({ policy: "rr", sliceTokens: 3, maxBatch: 2, kvBudgetBytes: 0 });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.some((h) => h.spills > 0) && history.every((h) => h.preemptions > 0)).toBe(true);
  });

  it("under priority a batch holds the highest level only: the low process waits for the high ones", async () => {
    kernel.setPolicy({ policy: "priority", sliceTokens: 4, agingSlices: 100_000, maxBatch: 8 });
    const low = kernel.spawn({ name: "low", priority: 1 });
    const highs = [0, 1].map((i) => kernel.spawn({ name: `high-${i}`, priority: 30 }));
    const done = [low, ...highs].map((p, i) => kernel.chat(ask(prompts[i]!, 32), { pid: p.pid, requestId: `batch-prio-${i}` }));
    const texts = (await Promise.all(done)).map((r) => r.choices[0]!.message.content);
    expect(texts).toEqual(prompts.slice(0, 3).map((p) => alone.get(p)!.slice(0, texts[prompts.indexOf(p)]!.length)));
    const history = kernel.getStats().history;
    const [l, h0, h1] = [0, 1, 2].map((i) => history.find((s) => s.requestId === `batch-prio-${i}`)!);
    // The two highs share slices; the low one's first token comes after both are done.
    expect(h0!.slices.some(([a]) => h1!.slices.some(([b]) => a === b))).toBe(true);
    expect(l!.firstTokenAt!).toBeGreaterThan(Math.max(h0!.finishedAt!, h1!.finishedAt!));
    kernel.setPolicy({ policy: "fifo" });
  });

  it("fair share is per process: 12 requests of one agent do not delay another agent's first token", async () => {
    for (const maxBatch of [1, 4]) {
      kernel.setPolicy({ policy: "rr", sliceTokens: 4, maxBatch });
      const busy = kernel.spawn({ name: "busy" });
      const other = kernel.spawn({ name: "other" });
      const many = Array.from({ length: 12 }, (_, i) => kernel.chat(ask(prompts[i % 4]!, 24), { pid: busy.pid, requestId: `share-${maxBatch}-busy-${i}` }));
      // The other agent asks once the busy one is decoding.
      await new Promise((r) => setTimeout(r, 30));
      const one = kernel.chat(ask(prompts[3]!, 24), { pid: other.pid, requestId: `share-${maxBatch}-other` });
      await Promise.all([...many, one]);
      const history = kernel.getStats().history.filter((h) => h.requestId.startsWith(`share-${maxBatch}-`));
      const mine = history.find((h) => h.requestId.endsWith("other"))!;
      const busySlices = history.filter((h) => h !== mine).flatMap((h) => h.slices.map(([start]) => start));
      const before = new Set(busySlices.filter((start) => start < mine.slices[0]![0] && start > mine.queuedAt)).size;
      // After it arrives, at most one slice of the busy agent runs before its own (one at a time),
      // or it joins the very next batch; the old per-request rotation ran up to 12.
      expect(before, `maxBatch ${maxBatch}`).toBeLessThanOrEqual(1);
      expect(mine.finishedAt!).toBeLessThan(Math.max(...history.map((h) => h.finishedAt!)));
      kernel.kill(busy.pid);
      kernel.kill(other.pid);
    }
    kernel.setPolicy({ policy: "fifo", maxBatch: 8 });
  });

  it("a killed process leaves the batch at a token boundary; the others finish unchanged", async () => {
    kernel.setPolicy({ policy: "rr", sliceTokens: 4, maxBatch: 8 });
    const procs = prompts.map((_, i) => kernel.spawn({ name: `kill-${i}` }));
    let killed = false;
    const runs = prompts.map((p, i) =>
      kernel.chat({ ...ask(p), stream: true }, {
        pid: procs[i]!.pid,
        requestId: `kill-${i}`,
        onChunk: (c) => {
          if (i === 0 && c.choices[0]?.delta.content && !killed) {
            killed = true;
            kernel.kill(procs[0]!.pid);
          }
        },
      }),
    );
    const settled = await Promise.allSettled(runs);
    expect(settled[0]).toMatchObject({ status: "rejected", reason: { code: "EKILLED" } });
    expect(settled.slice(1).map((r) => (r.status === "fulfilled" ? r.value.choices[0]!.message.content : r.reason))).toEqual(prompts.slice(1).map((p) => alone.get(p)));
    kernel.setPolicy({ policy: "fifo" });
  });

  it("hostile callers: an agent cannot change the policy; bad maxBatch values are EINVAL; a flood of one agent neither freezes the kernel nor delays another", async () => {
    const agent = kernel.spawn({ name: "hostile" });
    // Identity is the caller's pid (its port), never a field: an agent asking for a batch of 64 is refused.
    await expect(syscall(kernel, "kernel.setPolicy", { pid: agent.pid }, { maxBatch: 64 })).rejects.toMatchObject({ code: "EPERM" });
    for (const maxBatch of [0, -1, 65, 1.5, "8", null, 2 ** 53]) {
      await expect(syscall(kernel, "kernel.setPolicy", { pid: kernel.shellPid }, { maxBatch })).rejects.toMatchObject({ code: "EINVAL" });
    }
    expect(kernel.getStats().policy.maxBatch).toBe(8);

    kernel.setPolicy({ policy: "rr", sliceTokens: 4, maxBatch: 8 });
    const other = kernel.spawn({ name: "other" });
    const flood = Array.from({ length: 60 }, (_, i) => kernel.chat(ask(prompts[i % 4]!, 6), { pid: agent.pid, requestId: `flood-${i}` }).then(() => "ok", (e: { code?: string }) => e.code));
    await new Promise((r) => setTimeout(r, 20));
    const mine = kernel.chat(ask(prompts[3]!, 12), { pid: other.pid, requestId: "flood-other" });
    // The kernel keeps answering plain calls while the flood decodes.
    expect(kernel.ps().some((p) => p.pid === agent.pid)).toBe(true);
    expect((await mine).choices[0]!.message.content).toBe(alone.get(prompts[3]!)!.slice(0, (await mine).choices[0]!.message.content!.length));
    const outcomes = await Promise.all(flood);
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    const history = kernel.getStats().history;
    const o = history.find((h) => h.requestId === "flood-other")!;
    const floodSlices = history.filter((h) => h.requestId.startsWith("flood-") && h !== o).flatMap((h) => h.slices.map(([start]) => start));
    // After it arrives, at most a slice of the flood runs before it joins; not the 60 requests queued before it.
    expect(new Set(floodSlices.filter((start) => start > o.queuedAt && start < o.slices[0]![0])).size).toBeLessThanOrEqual(1);
    kernel.kill(agent.pid);
    kernel.kill(other.pid);
    kernel.setPolicy({ policy: "fifo" });
  });

  it("setPolicy validates its input", () => {
    expect(() => kernel.setPolicy({ policy: "lottery" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => kernel.setPolicy({ sliceTokens: 0 })).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringContaining("sliceTokens") }));
    expect(() => kernel.setPolicy(null)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(kernel.getStats().policy.policy).toBe("fifo");
  });
});
