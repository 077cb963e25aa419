// The OS boots in a real headless Chromium with zero downloads, and the JS engine reproduces the
// torch reference greedy ids exactly on both devices (via lab.html, which exposes raw ids).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const reference = JSON.parse(readFileSync("test/fixtures/reference-greedy.json", "utf8")) as {
  max_new_tokens: number;
  eos_token_id: number;
  cases: Array<{ name: string; messages: Array<{ role: string; content: string }>; prompt_ids: number[]; output_ids: number[] }>;
};

const browser = useBrowser();

it("by default picks wasm over a software WebGPU adapter (SwiftShader), and says so", async () => {
  const app = await openApp(browser(), "");
  try {
    const info = await app.page.evaluate(() => window.aios.kernel.info());
    expect(info.gpu).toMatchObject({ webgpu: true, software: true, shaderF16: false });
    expect(info.device).toBe("wasm");
    app.assertOffline();
  } finally {
    await app.close();
  }
});

describe.each(["webgpu", "wasm"] as const)("on %s", (device) => {
  it("boots the kernel on the embedded model without any download", async () => {
    const app = await openApp(browser(), `?device=${device}`);
    try {
      const ready = await app.page.evaluate(() => window.aios.ready);
      expect(ready).toEqual({ engine: "transformers", model: "aios-tiny", device, bootMs: expect.objectContaining({ total: expect.any(Number), model: expect.any(Number) }) });
      expect(ready.bootMs!.total).toBeGreaterThanOrEqual(ready.bootMs!.model);
      const info = await app.page.evaluate(() => window.aios.kernel.info());
      expect(info.gpu.webgpu).toBe(true);
      app.assertOffline();
      expect(app.errors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("reproduces the torch reference greedy token ids exactly (fp32)", async () => {
    const app = await openApp(browser(), "lab.html", { waitReady: false });
    try {
      await app.page.evaluate((d) => window.lab.load(d), device);
      for (const c of reference.cases) {
        const prompt = await app.page.evaluate((m) => window.lab.encodeChat(m as never), c.messages);
        expect(prompt, c.name).toEqual(c.prompt_ids);
        const r = await app.page.evaluate(([m, n]) => window.lab.generate(m as never, { maxTokens: n as number }), [c.messages, reference.max_new_tokens] as const);
        const endsWithEos = c.output_ids.at(-1) === reference.eos_token_id;
        expect(r.tokenIds, c.name).toEqual(endsWithEos ? c.output_ids.slice(0, -1) : c.output_ids);
        expect(r.finishReason, c.name).toBe(endsWithEos ? "stop" : "length");
      }
      app.assertOffline();
    } finally {
      await app.close();
    }
  });
});
