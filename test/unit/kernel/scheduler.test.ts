// The scheduler on the real engine and embedded model (Node): policies, preemption at token
// boundaries, KV-preserving and spilled context switches, and the identical-output invariant.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TransformersSource } from "../../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";

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

async function runAll(policy: Parameters<Kernel["setPolicy"]>[0]) {
  kernel.setPolicy(policy);
  const procs = prompts.map((p, i) => kernel.spawn({ name: `agent-${i}`, priority: 10 + i }));
  const results = await Promise.all(prompts.map((p, i) => kernel.chat(ask(p), { pid: procs[i]!.pid, requestId: `${JSON.stringify(policy)}-${i}` })));
  const history = kernel.getStats().history.filter((h) => h.requestId.startsWith(JSON.stringify(policy)));
  kernel.setPolicy({ policy: "fifo", kvBudgetBytes: 64 * 1024 * 1024 });
  return { texts: results.map((r) => r.choices[0]!.message.content), history };
}

describe("scheduler", () => {
  it("fifo runs each request whole, in arrival order", async () => {
    const { texts, history } = await runAll({ policy: "fifo" });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.map((h) => h.slices.length)).toEqual([1, 1, 1, 1]);
    expect(history.every((h) => h.preemptions === 0)).toBe(true);
    for (let i = 1; i < history.length; i++) expect(history[i]!.slices[0]![0]).toBeGreaterThanOrEqual(history[i - 1]!.slices[0]![1]);
  });

  it("rr interleaves slices of 4 tokens with KV-preserving switches; every output equals its solo run", async () => {
    const { texts, history } = await runAll({ policy: "rr", sliceTokens: 4 });
    expect(texts).toEqual(prompts.map((p) => alone.get(p)));
    expect(history.every((h) => h.preemptions > 0)).toBe(true);
    expect(history.every((h) => h.spills === 0)).toBe(true);
    // Everyone has started before anyone finishes: the first token comes early for all.
    const firstFinish = Math.min(...history.map((h) => h.finishedAt!));
    expect(history.every((h) => h.firstTokenAt! < firstFinish)).toBe(true);
  });

  it("with no KV budget every switch spills to a text snapshot, and outputs are still identical", async () => {
    const { texts, history } = await runAll({ policy: "rr", sliceTokens: 5, kvBudgetBytes: 0 });
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
    // after ~29 of their slices, long before they finish (2 x 20 slices).
    kernel.setPolicy({ policy: "priority", sliceTokens: 2, agingSlices: 1 });
    const low2 = kernel.chat(ask(prompts[2]!, 30), { pid: low.pid, requestId: "aging-low" });
    const highs = [0, 1].map((i) => kernel.chat(ask(prompts[1]!, 40), { pid: high.pid, requestId: `aging-high-${i}` }));
    await Promise.all([low2, ...highs]);
    const history = kernel.getStats().history;
    const lowStats = history.find((s) => s.requestId === "aging-low")!;
    const highEnd = Math.max(...history.filter((s) => s.requestId.startsWith("aging-high")).map((s) => s.finishedAt!));
    expect(lowStats.slices.filter(([start]) => start < highEnd).length).toBeGreaterThan(0);
    kernel.setPolicy({ policy: "fifo" });
  });

  it("setPolicy validates its input", () => {
    expect(() => kernel.setPolicy({ policy: "lottery" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => kernel.setPolicy({ sliceTokens: 0 })).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringContaining("sliceTokens") }));
    expect(() => kernel.setPolicy(null)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(kernel.getStats().policy.policy).toBe("fifo");
  });
});
