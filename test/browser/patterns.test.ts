// Patterns of agents on the real stack: an ensemble of five in Chromium, decoded together by the
// kernel's scheduler on the embedded model, merged by weighted vote.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("an ensemble of 5 answers in one batched decode and the vote picks the majority", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const agent = await window.aios.spawn({ name: "asker" });
      const members = [0, 0.8, 1.2, 0.5, 1.5].map((temperature, i) => ({ temperature, seed: i + 1 }));
      const single = performance.now();
      await agent.llm.chat.completions.create({ messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 40, temperature: 0 });
      const singleMs = performance.now() - single;
      const r = await agent.agents.ensemble({ question: "What is the capital of France?", members, budget: { tokens: 200 } });
      const stats = await window.aios.kernel.stats();
      return { r, largest: stats.batches.largest, singleMs };
    });
    expect(out.r.answer).toMatch(/Paris/);
    expect(out.r.members.map((m) => m.status)).toEqual(["answered", "answered", "answered", "answered", "answered"]);
    expect(out.largest).toBeGreaterThan(1);
    console.log(`ensemble of 5: ${out.r.ms} ms, ${out.r.tokens} tokens (one member alone: ${out.singleMs.toFixed(0)} ms); votes ${JSON.stringify(out.r.votes.map((v) => [v.answer, v.weight]))}; largest batch ${out.largest}`);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
