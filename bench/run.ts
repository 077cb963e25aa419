/**
 * npm run bench: measured in headless Chromium, side by side in one run (machines are noisy, so
 * only ratios from the same run mean anything).
 *  - cold start: page load → aios.ready → first streamed token, per device (fresh browser context)
 *  - decode tokens/s of the embedded model: the engine called directly in a page (lab.html)
 *    vs through window.aios (kernel in a worker + comlink), interleaved rounds, medians.
 * Results go to the console and bench/out/results.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { preview } from "vite";
import { isLoopback, launch, proxyOf } from "../test/browser/chromium.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const DEVICES = (process.env.BENCH_DEVICES ?? "wasm,webgpu").split(",") as Array<"wasm" | "webgpu">;
const MESSAGES = [{ role: "user", content: "Tell me about operating systems." }];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function guardedPage(browser: Browser, url: string) {
  const context = await browser.newContext();
  const offsite: string[] = [];
  await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : (offsite.push(route.request().url()), route.abort())));
  const page = await context.newPage();
  await page.goto(url);
  return { page, context, offsite };
}

async function coldStart(browser: Browser, base: string, device: string) {
  const { page, context, offsite } = await guardedPage(browser, `${base}?device=${device}`);
  const t = await page.evaluate(async (messages) => {
    await window.aios.ready;
    const ready = performance.now();
    const stream = await window.aios.llm.chat.completions.create({ messages: messages as never, stream: true, temperature: 0, max_tokens: 8 });
    let first = 0;
    for await (const chunk of stream) if (!first && chunk.choices[0]?.delta.content) first = performance.now();
    return { ready, first };
  }, MESSAGES);
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  return { readyMs: t.ready, firstTokenMs: t.first };
}

async function decode(browser: Browser, base: string, device: "wasm" | "webgpu") {
  const { page, context, offsite } = await guardedPage(browser, `${base}lab.html`);
  await page.evaluate((d) => Promise.all([window.lab.load(d), window.lab.bootOS(d)]), device);
  const direct: number[] = [];
  const kernel: number[] = [];
  let tokens = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const d = await page.evaluate(([m, n]) => window.lab.generate(m as never, { maxTokens: n as number }), [MESSAGES, MAX_TOKENS] as const);
    direct.push(((d.completionTokens - 1) * 1000) / (d.totalMs - d.timeToFirstTokenMs));
    const k = await page.evaluate(async ([m, n]) => {
      const stream = await window.aios.llm.chat.completions.create({ messages: m as never, max_tokens: n as number, temperature: 0, stream: true, stream_options: { include_usage: true } });
      let first = 0;
      let completion = 0;
      for await (const chunk of stream) {
        if (!first && chunk.choices[0]?.delta.content) first = performance.now();
        if (chunk.usage) completion = chunk.usage.completion_tokens;
      }
      return { completion, ms: performance.now() - first };
    }, [MESSAGES, MAX_TOKENS] as const);
    kernel.push(((k.completion - 1) * 1000) / k.ms);
    tokens = d.completionTokens;
    if (k.completion !== d.completionTokens) throw new Error(`greedy token counts differ: direct ${d.completionTokens}, aios ${k.completion}`);
  }
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  return { tokens, direct: median(direct), kernel: median(kernel), ratio: median(kernel.map((k, i) => k / direct[i]!)) };
}

const server = await preview({ preview: { host: "127.0.0.1", port: 0 }, logLevel: "warn" });
const base = server.resolvedUrls!.local[0]!;
const browser = await launch();
const results: Record<string, unknown> = { date: new Date().toISOString(), rounds: ROUNDS, maxTokens: MAX_TOKENS };
try {
  console.log(`AIOS bench — headless Chromium ${browser.version()}, ${ROUNDS} interleaved rounds, up to ${MAX_TOKENS} tokens\n`);
  console.log("cold start (fresh context): page load → aios.ready → first token");
  for (const device of DEVICES) {
    const c = await coldStart(browser, base, device);
    results[`cold_${device}`] = c;
    console.log(`  ${device.padEnd(7)} ready ${c.readyMs.toFixed(0).padStart(6)} ms   first token ${c.firstTokenMs.toFixed(0).padStart(6)} ms`);
  }
  console.log("\ndecode tokens/s, embedded model (aios-tiny fp32): engine direct in page vs window.aios (worker + kernel + comlink)");
  for (const device of DEVICES) {
    const d = await decode(browser, base, device);
    results[`decode_${device}`] = d;
    console.log(`  ${device.padEnd(7)} direct ${d.direct.toFixed(1).padStart(7)} tok/s   aios ${d.kernel.toFixed(1).padStart(7)} tok/s   ratio aios/direct ${d.ratio.toFixed(3)}   (${d.tokens} tokens)`);
  }
  const leaked = proxyOf(browser)!.attempts;
  if (leaked.length) throw new Error(`requests tried to leave the machine: ${leaked.join(", ")}`);
  mkdirSync("bench/out", { recursive: true });
  writeFileSync("bench/out/results.json", JSON.stringify(results, null, 2));
  console.log("\nwritten to bench/out/results.json");
} finally {
  await browser.close();
  await server.close();
}
