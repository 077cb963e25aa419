// The identical-output invariant on the real stack (shared kernel worker, Chromium, embedded
// model): 4 processes preempted every 4 tokens — with KV-preserving switches, and with every
// switch spilled to a text snapshot — produce exactly what each produces running alone.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("preempted generations equal uninterrupted ones under rr, for both snapshot kinds", async () => {
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
        return { texts: replies.map((r) => r.choices[0]!.message.content), preemptions: history.reduce((s, h) => s + h.preemptions, 0), spills: history.reduce((s, h) => s + h.spills, 0) };
      };
      const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
      for (const [name, sampling] of [["greedy", { temperature: 0 }], ["seeded", { temperature: 1, seed: 7 }]] as const) {
        results[`${name}-fifo`] = await run({ policy: "fifo", kvBudgetBytes: 64 << 20 }, sampling);
        results[`${name}-kv`] = await run({ policy: "rr", sliceTokens: 4, kvBudgetBytes: 64 << 20 }, sampling);
        results[`${name}-text`] = await run({ policy: "rr", sliceTokens: 4, kvBudgetBytes: 0 }, sampling);
      }
      return results;
    });
    for (const name of ["greedy", "seeded"]) {
      const solo = out[`${name}-fifo`]!;
      expect(solo.preemptions).toBe(0);
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
