// The identical-output invariant on the real stack (shared kernel worker, Chromium, embedded
// model): 4 processes preempted every 4 tokens — with KV-preserving switches, and with every
// switch spilled to a text snapshot — or decoded together in one batch, produce exactly what
// each produces running alone.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("preempted and batched generations equal uninterrupted ones under rr, for both snapshot kinds", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const prompts = ["Tell me a story about a cat.", "Tell me about operating systems.", "What is a computer?", "who are you"];
      const run = async (policy: object, sampling: object) => {
        await window.aios.kernel.setPolicy(policy as never);
        const procs = await Promise.all(prompts.map((_, i) => window.aios.spawn({ name: `p${i}` })));
        const replies = await Promise.all(
          procs.map((p, i) => p.llm.chat.completions.create({ messages: [{ role: "user", content: prompts[i]! }], max_tokens: 48, ...sampling })),
        );
        const pids = new Set(procs.map((p) => p.pid));
        const history = (await window.aios.kernel.stats()).history.filter((h) => pids.has(h.pid));
        const overlapping = history.every((h) => history.every((o) => h.slices[0]![0] < o.finishedAt!));
        return { texts: replies.map((r) => r.choices[0]!.message.content), preemptions: history.reduce((s, h) => s + h.preemptions, 0), spills: history.reduce((s, h) => s + h.spills, 0), overlapping };
      };
      const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
      for (const [name, sampling] of [["greedy", { temperature: 0 }], ["seeded", { temperature: 1, seed: 7 }]] as const) {
        results[`${name}-fifo`] = await run({ policy: "fifo", kvBudgetBytes: 64 << 20, maxBatch: 1 }, sampling);
        results[`${name}-kv`] = await run({ policy: "rr", sliceTokens: 4, kvBudgetBytes: 64 << 20, maxBatch: 1 }, sampling);
        results[`${name}-text`] = await run({ policy: "rr", sliceTokens: 4, kvBudgetBytes: 0, maxBatch: 1 }, sampling);
        results[`${name}-batch`] = await run({ policy: "rr", sliceTokens: 4, kvBudgetBytes: 64 << 20, maxBatch: 8 }, sampling);
      }
      return results;
    });
    for (const name of ["greedy", "seeded"]) {
      const solo = out[`${name}-fifo`]!;
      expect(solo.preemptions).toBe(0);
      expect(solo.overlapping).toBe(false);
      const batched = out[`${name}-batch`]!;
      expect(batched.texts, `${name} batched`).toEqual(solo.texts);
      expect(batched).toMatchObject({ overlapping: true, preemptions: 0 });
      for (const kind of ["kv", "text"]) {
        const preempted = out[`${name}-${kind}`]!;
        expect(preempted.texts, `${name} ${kind}`).toEqual(solo.texts);
        expect(preempted.preemptions).toBeGreaterThan(20);
        if (kind === "text") expect(preempted.spills).toBeGreaterThan(20);
        else expect(preempted.spills).toBe(0);
      }
    }
    app.assertOffline();
  } finally {
    await app.close();
  }
});

// int8: the activations of each MatMul are quantized with one scale for the whole batch
// (DynamicQuantizeLinear), so a member's numbers depend on who shares its batch. What holds:
// a batch is deterministic (the same members give the same outputs), and the outputs are the
// model's own replies; they can differ from the solo ones. The test states how many do.
it("int8 batches are deterministic; they may differ from solo runs, and the test says how many do", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      await window.aios.models.load("aios-tiny-q8");
      const prompts = ["Tell me a story about a cat.", "Tell me about operating systems.", "What is a computer?", "who are you"];
      const run = async (maxBatch: number) => {
        await window.aios.kernel.setPolicy({ policy: "rr", sliceTokens: 4, maxBatch });
        const procs = await Promise.all(prompts.map((_, i) => window.aios.spawn({ name: `q${i}` })));
        const replies = await Promise.all(procs.map((p, i) => p.llm.chat.completions.create({ messages: [{ role: "user", content: prompts[i]! }], max_tokens: 48, temperature: 0 })));
        return replies.map((r) => r.choices[0]!.message.content!);
      };
      const solo = await run(1);
      const batched = [await run(8), await run(8)];
      await window.aios.models.load("aios-tiny");
      return { solo, batched };
    });
    expect(out.batched[1]).toEqual(out.batched[0]);
    expect(out.batched[0]!.every((t) => t.length > 0)).toBe(true);
    const differ = out.solo.filter((t, i) => t !== out.batched[0]![i]).length;
    console.log(`int8: ${differ} of ${out.solo.length} batched replies differ from their solo runs`);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
