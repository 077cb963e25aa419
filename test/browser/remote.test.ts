// A third engine through the same interface: the page's kernel drives a remote OpenAI-compatible
// server — here our own kernel on Node, serving the embedded model on loopback.
import type { Server } from "node:http";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TransformersSource } from "../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { serveOpenAI } from "../../src/server/openai-http.ts";
import { launch, openApp } from "./harness.ts";

let browser: Browser;
let server: Server;
let baseUrl: string;
let nodeKernel: Kernel;

beforeAll(async () => {
  nodeKernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
  await nodeKernel.loadModel("aios-tiny");
  ({ server, baseUrl } = await serveOpenAI(nodeKernel));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

it("connects a remote OpenAI-compatible server, streams from it, and switches back", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const request = { messages: [{ role: "user" as const, content: "Tell me about operating systems." }], temperature: 0, max_tokens: 40 };
    const expected = (await nodeKernel.chat(request)).choices[0]!.message.content;
    const out = await app.page.evaluate(
      async ([url, req]) => {
        const models = await window.aios.models.connect({ baseUrl: url as string });
        const info = await window.aios.models.load(models[0]!.id);
        let text = "";
        for await (const chunk of await window.aios.llm.chat.completions.create({ ...(req as object), stream: true } as never)) {
          text += (chunk as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? "";
        }
        const back = await window.aios.models.load("aios-tiny");
        const bad = await window.aios.models.connect({ baseUrl: "not a url" }).then(() => null, (e) => (e as { code?: string }).code);
        return { ids: models.map((m) => m.id), info, text, back: back.device, bad };
      },
      [baseUrl, request] as const,
    );
    const host = new URL(baseUrl).host;
    expect(out.ids).toEqual([`${host}/aios-tiny`]);
    expect(out.info).toEqual({ engine: "remote", model: `${host}/aios-tiny`, device: "remote" });
    expect(out.text).toBe(expected);
    expect(out.back).toBe("wasm");
    expect(out.bad).toBe("EINVAL");
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("preempts remote generations in the shared kernel: rr slices with text snapshots, outputs equal their solo runs", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const prompts = ["Tell me a story about a cat.", "What is a computer?", "who are you"];
    const ask = (content: string) => ({ messages: [{ role: "user" as const, content }], temperature: 0, max_tokens: 30 });
    const solo = [];
    for (const p of prompts) solo.push((await nodeKernel.chat(ask(p))).choices[0]!.message.content);
    const out = await app.page.evaluate(
      async ([url, requests]) => {
        const models = await window.aios.models.connect({ baseUrl: url as string, continueFinalMessage: true });
        await window.aios.models.load(models[0]!.id);
        await window.aios.kernel.setPolicy({ policy: "rr", sliceTokens: 4 });
        const procs = await Promise.all((requests as unknown[]).map((_, i) => window.aios.spawn({ name: `remote-agent-${i}` })));
        const texts = await Promise.all(
          procs.map((p, i) => p.llm.chat.completions.create((requests as never[])[i]!).then((r) => (r as unknown as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content)),
        );
        const pids = new Set(procs.map((p) => p.pid));
        const history = (await window.aios.kernel.stats()).history.filter((h) => pids.has(h.pid));
        await window.aios.kernel.setPolicy({ policy: "fifo" });
        await window.aios.models.load("aios-tiny");
        return { texts, preemptions: history.map((h) => h.preemptions), slices: history.map((h) => h.slices.length) };
      },
      [baseUrl, prompts.map(ask)] as const,
    );
    expect(out.texts).toEqual(solo);
    expect(out.preemptions.every((n) => n > 0)).toBe(true);
    expect(out.slices.every((n) => n > 1)).toBe(true);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
