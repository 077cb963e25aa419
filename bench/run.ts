/**
 * npm run bench: measured in headless Chromium, side by side in one run (machines are noisy, so
 * only ratios from the same run mean anything).
 *  - cold start: page load → aios.ready → first streamed token, per device (fresh browser context,
 *    median of BENCH_COLD_ROUNDS, interleaved with another revision's build when BENCH_BASELINE=<rev>);
 *    and a second visit after a browser restart on the same profile, with the service worker and
 *    without it (the HTTP cache only)
 *  - decode tokens/s of the embedded model: the engine called directly in a page (lab.html)
 *    vs through window.aios (kernel in a worker + comlink), interleaved rounds, medians.
 *  - P1: decode tokens/s through the kernel ÷ Transformers.js's own generate() on the same model
 *  - P2: 8 processes × 64 tokens at once, one at a time, under fifo / rr 4 / rr 16 / priority:
 *    throughput, p50/p95 time to first token, preemptions; and the cost of a context switch
 *  - P3: 4 and 8 processes × 64 tokens, batched (continuous batching) vs one at a time:
 *    aggregate tokens/s, p95 time to first token, the memory the batch took
 *  - P8: structured output: validity of JSON Schema replies and tool calls with and without the
 *    grammar mask, and the mask's cost per token (bench/structured.ts)
 *  - devices: OCR per camera frame (model load, warm frame, camera.read end to end); intents: the
 *    embedded model's tool routing on held-out paraphrases (bench/devices.ts)
 * Results go to the console, bench/out/results.json and bench/out/scheduler.svg.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { preview } from "vite";
import { isLoopback, launch, launchWithProfile, proxyOf } from "../test/browser/chromium.ts";
import { buildBaseline } from "./baseline.ts";
import { bytesBeforeReady, printBytesBeforeReady } from "./bytes.ts";
import { benchIntents, benchOcr, printIntents } from "./devices.ts";
import { benchStructured, printStructured } from "./structured.ts";
import { benchVectors } from "./vectors.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const DEVICES = (process.env.BENCH_DEVICES ?? "wasm,webgpu").split(",") as Array<"wasm" | "webgpu">;
/** BENCH_ONLY=p1,p2 runs some sections: cold, decode, p1, p2, p3, p4, p8, storage, memory, tools, apps, devices, intents. */
const ONLY = new Set((process.env.BENCH_ONLY ?? "cold,decode,p1,p2,p3,p4,p8,storage,memory,tools,apps,devices,intents").split(","));
const MESSAGES = [{ role: "user", content: "Tell me about operating systems." }];
/** Cold starts per device (each in a fresh context); the median is reported. */
const COLD_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 5);
/** The device P3 (continuous batching) runs on: wasm unless BENCH_P3_DEVICE=webgpu. */
const P3_DEVICE = (process.env.BENCH_P3_DEVICE ?? "wasm") as "wasm" | "webgpu";

/** The run with the median time to ready. */
function medianRun<T extends { readyMs: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.readyMs - b.readyMs)[Math.floor(runs.length / 2)]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function guardedPage(browser: Browser, url: string) {
  const context = await browser.newContext({ serviceWorkers: "block" }); // routes do not see a service worker's answers
  const offsite: string[] = [];
  await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : (offsite.push(route.request().url()), route.abort())));
  const page = await context.newPage();
  await page.goto(url);
  return { page, context, offsite };
}

/** Milliseconds from the page's time origin to aios.ready and to the first streamed token; whether a service worker controls it. */
function readyAndFirstToken(page: Page) {
  return page.evaluate(async (messages) => {
    const { bootMs } = await window.aios.ready;
    const ready = performance.now();
    const stream = await window.aios.llm.chat.completions.create({ messages: messages as never, stream: true, temperature: 0, max_tokens: 8 });
    let first = 0;
    for await (const chunk of stream) if (!first && chunk.choices[0]?.delta.content) first = performance.now();
    return { ready, first, bootMs, controlled: Boolean(navigator.serviceWorker?.controller) };
  }, MESSAGES);
}

async function coldStart(browser: Browser, base: string, device: string) {
  const { page, context, offsite } = await guardedPage(browser, `${base}?device=${device}`);
  const t = await readyAndFirstToken(page);
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  return { readyMs: t.ready, firstTokenMs: t.first, bootMs: t.bootMs };
}

/**
 * A second visit: one visit on a fresh profile (the service worker, when allowed, installs and
 * stores everything), the browser closed and started again on that profile, then the same
 * measure as coldStart. Only the non-loopback guard proxy watches (routes do not see a service worker).
 */
async function secondVisit(base: string, device: string, serviceWorkers: "allow" | "block") {
  const dir = await mkdtemp(join(tmpdir(), "aios-bench-visit-"));
  try {
    const url = `${base}?device=${device}`;
    const first = await launchWithProfile(dir, { serviceWorkers });
    const visit = first.context.pages()[0] ?? (await first.context.newPage());
    await visit.goto(url);
    await visit.evaluate(() => window.aios.ready);
    if (serviceWorkers === "allow") await visit.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await first.context.close();
    const second = await launchWithProfile(dir, { serviceWorkers });
    const page = second.context.pages()[0] ?? (await second.context.newPage());
    await page.goto(url);
    const t = await readyAndFirstToken(page);
    await second.context.close();
    const offsite = [...first.attempts, ...second.attempts];
    if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
    if (t.controlled !== (serviceWorkers === "allow")) throw new Error(`second visit: service worker control ${t.controlled}, expected ${serviceWorkers}`);
    return { readyMs: t.ready, firstTokenMs: t.first };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function decode(browser: Browser, base: string, device: "wasm" | "webgpu") {
  const { page, context, offsite } = await guardedPage(browser, `${base}lab.html`);
  await page.evaluate((d) => Promise.all([window.lab.load(d), window.lab.bootOS(d)]), device);
  const direct: number[] = [];
  const kernel: number[] = [];
  let tokens = 0;
  for (let round = -1; round < ROUNDS; round++) {
    const d = await page.evaluate(([m, n]) => window.lab.generate(m as never, { maxTokens: n as number }), [MESSAGES, MAX_TOKENS] as const);
    if (round >= 0) direct.push(((d.completionTokens - 1) * 1000) / (d.totalMs - d.timeToFirstTokenMs));
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
    if (round >= 0) kernel.push(((k.completion - 1) * 1000) / k.ms);
    tokens = d.completionTokens;
    if (k.completion !== d.completionTokens) throw new Error(`greedy token counts differ: direct ${d.completionTokens}, aios ${k.completion}`);
  }
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  return { tokens, direct: median(direct), kernel: median(kernel), ratio: median(kernel) / median(direct) };
}

/** End-to-end tokens/s (prefill + decode) of the same greedy request, so no streamer buffering skews it. */
async function p1(browser: Browser, base: string, device: "wasm" | "webgpu") {
  const { page, context } = await guardedPage(browser, `${base}lab.html`);
  await page.evaluate((d) => Promise.all([window.lab.load(d), window.lab.bootOS(d)]), device);
  const library: number[] = [];
  const kernel: number[] = [];
  const runLibrary = () => page.evaluate(([m, n, d]) => window.lab.generateWithLibrary(m as never, n as number, d as "wasm"), [MESSAGES, MAX_TOKENS, device] as const);
  const runKernel = () =>
    page.evaluate(async ([m, n]) => {
      const started = performance.now();
      const r = await window.aios.llm.chat.completions.create({ messages: m as never, max_tokens: n as number, temperature: 0 });
      return { completionTokens: r.usage.completion_tokens, totalMs: performance.now() - started };
    }, [MESSAGES, MAX_TOKENS] as const);
  // Two warm-up rounds, then ABBA order so drift on a noisy machine hits both sides alike.
  for (let round = -2; round < ROUNDS; round++) {
    const [l, k] = round % 2 === 0 ? [await runLibrary(), await runKernel()] : (([b, a]) => [a, b])([await runKernel(), await runLibrary()]);
    if (l.completionTokens !== k.completionTokens) throw new Error(`P1: greedy token counts differ: generate() ${l.completionTokens}, aios ${k.completionTokens}`);
    if (round < 0) continue;
    library.push((l.completionTokens * 1000) / l.totalMs);
    kernel.push((k.completionTokens * 1000) / k.totalMs);
    if (process.env.BENCH_VERBOSE) console.log(`    round ${round}: generate() ${library.at(-1)!.toFixed(1)}, aios ${kernel.at(-1)!.toFixed(1)} tok/s`);
  }
  await context.close();
  // The ratio is the median of per-round ratios: each pair ran back to back, so slow spells of a
  // noisy machine cancel within a pair.
  return { library: median(library), kernel: median(kernel), ratio: median(kernel.map((k, i) => k / library[i]!)) };
}

// One at a time (maxBatch 1): what each policy does to preemption; P3 measures batching.
const POLICIES = [
  { label: "warm-up", config: { policy: "fifo", maxBatch: 1 } },
  { label: "fifo", config: { policy: "fifo", maxBatch: 1 } },
  { label: "rr/4", config: { policy: "rr", sliceTokens: 4, maxBatch: 1 } },
  { label: "rr/16", config: { policy: "rr", sliceTokens: 16, maxBatch: 1 } },
  { label: "priority/4", config: { policy: "priority", sliceTokens: 4, agingSlices: 8, maxBatch: 1 } },
  { label: "rr/4 text", config: { policy: "rr", sliceTokens: 4, kvBudgetBytes: 0, maxBatch: 1 } },
] as const;

// Prompts the embedded model answers at length (greedy: each runs the whole 64 tokens), cycled.
const P3_PROMPTS = ["Tell me a story about a cat.", "Tell me about operating systems.", "Write a poem about the sea.", "Tell me a story about a fox."];

/**
 * P3: n processes ask 64 tokens each at once, with maxBatch 1 (one at a time, fifo) and maxBatch n
 * (continuous batching, rr/16), alternating, 3 rounds each; medians, and the ratio of medians.
 */
async function p3(browser: Browser, base: string) {
  const { page, context } = await guardedPage(browser, `${base}?device=${P3_DEVICE}`);
  await page.evaluate(() => window.aios.ready);
  const once = (n: number, config: object) =>
    page.evaluate(
      async ([n, cfg, prompts]) => {
        await window.aios.kernel.setPolicy(cfg as never);
        const procs = await Promise.all(Array.from({ length: n }, (_, i) => window.aios.spawn({ name: `p3-${i}` })));
        const started = performance.now();
        const results = await Promise.all(procs.map((p, i) => p.llm.chat.completions.create({ messages: [{ role: "user", content: prompts[i % prompts.length]! }], max_tokens: 64, temperature: 0 })));
        const wall = performance.now() - started;
        const ids = new Set(procs.map((p) => p.pid));
        const stats = await window.aios.kernel.stats();
        const ttft = stats.history.filter((h) => ids.has(h.pid)).map((h) => h.firstTokenAt! - h.queuedAt).sort((a, b) => a - b);
        await Promise.all(procs.map((p) => p.exit()));
        return { tokens: results.reduce((s, r) => s + r.usage.completion_tokens, 0), wall, p95: ttft[Math.ceil(0.95 * ttft.length) - 1]!, texts: results.map((r) => r.choices[0]!.message.content), peakBytes: stats.batches.peakBytes };
      },
      [n, config, P3_PROMPTS] as const,
    );
  await once(4, { policy: "fifo", maxBatch: 4 }); // warm-up
  const rows = [];
  for (const n of [4, 8]) {
    const alone: Awaited<ReturnType<typeof once>>[] = [];
    const batched: Awaited<ReturnType<typeof once>>[] = [];
    for (let round = 0; round < 3; round++) {
      alone.push(await once(n, { policy: "fifo", maxBatch: 1 }));
      batched.push(await once(n, { policy: "rr", sliceTokens: 16, maxBatch: n }));
    }
    for (const b of batched) if (JSON.stringify(b.texts) !== JSON.stringify(alone[0]!.texts)) throw new Error(`P3: batched outputs of ${n} differ from one at a time`);
    const tps = (r: { tokens: number; wall: number }) => (r.tokens * 1000) / r.wall;
    const a = median(alone.map(tps));
    const b = median(batched.map(tps));
    rows.push({ agents: n, tokens: alone[0]!.tokens, aloneTps: a, batchedTps: b, ratio: b / a, aloneP95: median(alone.map((r) => r.p95)), batchedP95: median(batched.map((r) => r.p95)), peakBatchBytes: batched.at(-1)!.peakBytes });
  }
  await context.close();
  // One decode call, engine direct in a page: what a batched step costs against a single one.
  const lab = await guardedPage(browser, `${base}lab.html`);
  await lab.page.evaluate((d) => window.lab.load(d), P3_DEVICE);
  const calls = await lab.page.evaluate(() => window.lab.decodeCallMs([1, 4, 8], 100, 25));
  await lab.context.close();
  return { rows, calls };
}

async function p2(browser: Browser, base: string) {
  const { page, context } = await guardedPage(browser, `${base}?device=wasm`);
  await page.evaluate(() => window.aios.ready);
  const rows = [];
  for (const { label, config } of POLICIES) {
    const r = await page.evaluate(async (cfg) => {
      await window.aios.kernel.setPolicy({ kvBudgetBytes: 64 * 1024 * 1024, ...cfg } as never);
      const procs = await Promise.all(Array.from({ length: 8 }, (_, i) => window.aios.spawn({ name: `bench-${i}`, priority: 10 + i })));
      const started = performance.now();
      const results = await Promise.all(
        procs.map((p) => p.llm.chat.completions.create({ messages: [{ role: "user", content: "Tell me a story about a cat." }], max_tokens: 64, temperature: 0 })),
      );
      const wall = performance.now() - started;
      const ids = new Set(procs.map((p) => p.pid));
      const history = (await window.aios.kernel.stats()).history.filter((h) => ids.has(h.pid));
      await Promise.all(procs.map((p) => p.exit()));
      return {
        tokens: results.reduce((sum, x) => sum + x.usage.completion_tokens, 0),
        wall,
        ttft: history.map((h) => h.firstTokenAt! - h.queuedAt),
        preemptions: history.reduce((sum, h) => sum + h.preemptions, 0),
        spills: history.reduce((sum, h) => sum + h.spills, 0),
        texts: results.map((x) => x.choices[0]!.message.content),
      };
    }, config);
    const sorted = [...r.ttft].sort((a, b) => a - b);
    const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    rows.push({ label, throughput: (r.tokens * 1000) / r.wall, wallMs: r.wall, p50: pct(0.5), p95: pct(0.95), preemptions: r.preemptions, spills: r.spills, texts: r.texts });
  }
  await context.close();
  rows.shift(); // the warm-up
  const fifo = rows[0]!;
  for (const row of rows) if (JSON.stringify(row.texts) !== JSON.stringify(fifo.texts)) throw new Error(`${row.label}: outputs differ from fifo`);
  const kv = rows.find((r) => r.label === "rr/4")!;
  const text = rows.find((r) => r.label === "rr/4 text")!;
  return {
    rows: rows.map(({ texts: _texts, ...row }) => row),
    switchMs: { kv: (kv.wallMs - fifo.wallMs) / Math.max(1, kv.preemptions), text: (text.wallMs - fifo.wallMs) / Math.max(1, text.preemptions) },
  };
}

/** The file system in the page's IndexedDB: small writes with lexical indexing, then searches. */
async function storage(browser: Browser, base: string) {
  const { page, context } = await guardedPage(browser, `${base}lab.html`);
  const r = await page.evaluate(() => window.storageBench.run({ docs: 10_000, queries: 50 }));
  await context.close();
  return r;
}

/** The memory manager's own cost per chat call (LLM calls excluded), over 100 turns on 512 tokens. */
async function memory(browser: Browser, base: string) {
  const { page, context } = await guardedPage(browser, `${base}?device=wasm`);
  const r = await page.evaluate(async () => {
    await window.aios.ready;
    const p = await window.aios.spawn({ name: `bench-memory-${Date.now()}`, memory: { contextTokens: 512, replyTokens: 16 } });
    const chatter = ["Tell me about operating systems.", "What is a computer?", "Tell me a story about a cat.", "What is 12*7?", "who are you"];
    const rows = [];
    for (let turn = 0; turn < 100; turn++) {
      const started = performance.now();
      const reply = await p.chat(`${chatter[turn % chatter.length]} (turn ${turn})`);
      rows.push({ overheadMs: reply.context.overheadMs, totalMs: performance.now() - started, paged: reply.context.pagedOut });
    }
    await p.exit();
    return rows;
  });
  await context.close();
  const last = r.slice(-10).map((x) => x.overheadMs);
  const all = r.map((x) => x.overheadMs);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { medianOverheadMs: median(all), medianOverheadLast10Ms: median(last), overheadShare: sum(all) / sum(r.map((x) => x.totalMs)), pagingCalls: r.filter((x) => x.paged > 0).length };
}

/**
 * Tools: the access check's cost and the js sandbox's start and call overhead (in a page, side by
 * side), a tool call through window.aios (worker, ports, validation, access, audit) vs the same
 * driver called bare, and the kernel's own time per tool-loop step (model and tool excluded).
 */
async function tools(browser: Browser, base: string) {
  const lab = await guardedPage(browser, `${base}lab.html`);
  const inPage = await lab.page.evaluate(() => window.toolsBench.run({ accessCalls: 200, sandboxCalls: 30 }));
  await lab.context.close();
  const { page, context, offsite } = await guardedPage(browser, `${base}?device=wasm`);
  const viaKernel = await page.evaluate(async () => {
    await window.aios.ready;
    const p = await window.aios.spawn({ name: `bench-tools-${Date.now()}`, capabilities: ["calculator"] });
    const calls: number[] = [];
    const noops: number[] = [];
    for (let i = -10; i < 100; i++) {
      let t = performance.now();
      await p.tools.call("calculator", { expression: "12*7" });
      if (i >= 0) calls.push(performance.now() - t);
      t = performance.now();
      await p.info();
      if (i >= 0) noops.push(performance.now() - t);
    }
    await p.exit();
    const steps: number[] = [];
    const plain: number[] = [];
    let toolTurns = 0;
    for (let i = 0; i < 12; i++) {
      const agent = await window.aios.spawn({ name: `bench-loop-${Date.now()}-${i}`, capabilities: ["calculator"] });
      const withTool = await agent.chat("What is 12 times 7?");
      const without = await agent.chat("Hello");
      await agent.exit();
      if (i < 2) continue;
      if (withTool.context.steps >= 2) {
        toolTurns++;
        steps.push(withTool.context.overheadMs / withTool.context.steps);
      }
      plain.push(without.context.overheadMs);
    }
    return { calls, noops, steps, plain, toolTurns, turns: 10 };
  });
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  const orNull = (xs: number[]) => (xs.length ? median(xs) : null);
  return { ...inPage, viaKernel: { callMs: orNull(viaKernel.calls), syscallMs: orNull(viaKernel.noops), stepMs: orNull(viaKernel.steps), plainTurnMs: orNull(viaKernel.plain), toolTurns: viaKernel.toolTurns, turns: viaKernel.turns } };
}

/**
 * Apps (issue 12), side by side in one page: installing a manifest; launching an NL app vs spawning
 * a plain process; a code app's sandbox start (launch → its result, an app that returns at once);
 * an SDK call from inside the sandbox vs the same system call from the page as a process.
 */
async function apps(browser: Browser, base: string) {
  const { page, context, offsite } = await guardedPage(browser, `${base}?device=wasm`);
  // tsx (esbuild) wraps the named helpers below in __name(); the page has no such function.
  await page.evaluate("globalThis.__name = (f) => f");
  const r = await page.evaluate(async () => {
    await window.aios.ready;
    const stamp = Date.now();
    const manifest = (id: string, extra: { kind: "nl"; instructions: string } | { kind: "code"; entry: string }) => ({ manifestVersion: 1 as const, id, name: id, version: "1.0.0", description: "bench", capabilities: [] as string[], ui: "headless" as const, ...extra });
    const install: number[] = [];
    const launch: number[] = [];
    const spawn: number[] = [];
    for (let i = 0; i < 12; i++) {
      let t = performance.now();
      await window.aios.apps.install(manifest(`bench-nl-${stamp}-${i}`, { kind: "nl", instructions: "You are a helpful assistant." }));
      install.push(performance.now() - t);
      t = performance.now();
      const a = await window.aios.apps.launch(`bench-nl-${stamp}-${i}`);
      launch.push(performance.now() - t);
      t = performance.now();
      const b = await window.aios.spawn({ name: `bench-spawn-${stamp}-${i}` });
      spawn.push(performance.now() - t);
      await a.exit();
      await b.exit();
    }
    const code = (id: string, entry: string) => window.aios.apps.install(manifest(id, { kind: "code", entry }));
    await code(`bench-code-${stamp}`, "export default async function (k) { for (let i = 0; i < k; i++) await aios.self(); return k; }");
    const run = async (k: number) => {
      const t = performance.now();
      const p = await window.aios.apps.launch(`bench-code-${stamp}`, k);
      await p.output;
      const exit = await window.aios.kernel.wait(p.pid);
      return { ms: performance.now() - t, startMs: exit.startMs ?? 0 };
    };
    const starts: number[] = [];
    const empties: number[] = [];
    const fulls: number[] = [];
    const K = 200;
    for (let i = 0; i < 6; i++) {
      const empty = await run(0);
      const full = await run(K);
      if (i === 0) continue;
      starts.push(empty.startMs);
      empties.push(empty.ms);
      fulls.push(full.ms);
    }
    const direct = await window.aios.spawn({ name: `bench-direct-${stamp}` });
    const directs: number[] = [];
    for (let i = 0; i < K + 20; i++) {
      const t = performance.now();
      await direct.info();
      if (i >= 20) directs.push(performance.now() - t);
    }
    await direct.exit();
    for (let i = 0; i < 12; i++) await window.aios.apps.uninstall(`bench-nl-${stamp}-${i}`, { keepData: false });
    await window.aios.apps.uninstall(`bench-code-${stamp}`, { keepData: false });
    return { install, launch, spawn, starts, empties, fulls, directs, K };
  });
  await context.close();
  if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
  const sdkCallMs = (median(r.fulls) - median(r.empties)) / r.K;
  const directMs = median(r.directs);
  return { installMs: median(r.install), launchMs: median(r.launch), spawnMs: median(r.spawn), sandboxStartMs: median(r.starts), codeLaunchToResultMs: median(r.empties), sdkCallMs, directCallMs: directMs, sdkOverRatio: sdkCallMs / directMs };
}

function schedulerSvg(rows: Array<{ label: string; throughput: number; p95: number; p50: number }>): string {
  const w = 640;
  const h = 60 + rows.length * 44;
  const maxT = Math.max(...rows.map((r) => r.throughput));
  const maxL = Math.max(...rows.map((r) => r.p95));
  const bars = rows
    .map((r, i) => {
      const y = 40 + i * 44;
      return `<text x="8" y="${y + 14}">${r.label}</text>
<rect x="110" y="${y}" width="${(r.throughput / maxT) * 190}" height="16" fill="#59c2ff"/><text x="${116 + (r.throughput / maxT) * 190}" y="${y + 13}">${r.throughput.toFixed(0)} tok/s</text>
<rect x="430" y="${y}" width="${(r.p95 / maxL) * 130}" height="16" fill="#ffb454"/><text x="${436 + (r.p95 / maxL) * 130}" y="${y + 13}">${r.p95.toFixed(0)} ms</text>
<rect x="430" y="${y + 18}" width="${(r.p50 / maxL) * 130}" height="8" fill="#ffb45488"/>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="monospace" font-size="12" style="background:#fff">
<text x="8" y="20" font-size="14">P2: 8 processes × 64 tokens — throughput (blue) and TTFT p95/p50 (orange)</text>
${bars}
</svg>`;
}

const server = await preview({ preview: { host: "127.0.0.1", port: 0 }, logLevel: "warn" });
const base = server.resolvedUrls!.local[0]!;
// BENCH_BASELINE=<git rev>: the cold start of that revision's build too, interleaved (bench/baseline.ts).
const baseline = process.env.BENCH_BASELINE && ONLY.has("cold") ? await buildBaseline(process.env.BENCH_BASELINE) : null;
const baselineServer = baseline ? await preview({ build: { outDir: baseline.outDir }, preview: { host: "127.0.0.1", port: 0 }, logLevel: "warn" }) : null;
const baselineBase = baselineServer?.resolvedUrls!.local[0];
const browser = await launch();
const results: Record<string, unknown> = { date: new Date().toISOString(), rounds: ROUNDS, maxTokens: MAX_TOKENS };
try {
  mkdirSync("bench/out", { recursive: true });
  console.log(`AIOS bench — headless Chromium ${browser.version()}, ${ROUNDS} interleaved rounds, up to ${MAX_TOKENS} tokens`);
  {
    const { page, context } = await guardedPage(browser, `${base}lab.html`);
    const adapter = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, shaderF16: a.features.has("shader-f16") } : null;
    });
    await context.close();
    results.webgpuAdapter = adapter;
    console.log(`WebGPU adapter: ${adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description} (shader-f16: ${adapter.shaderF16})` : "none"}\n`);
  }
  if (ONLY.has("cold")) {
    console.log(`cold start (fresh context each time): page load → aios.ready → first token, median of ${COLD_ROUNDS}` + (baseline ? `, interleaved with ${baseline.rev} (BENCH_BASELINE)` : ""));
  }
  for (const device of ONLY.has("cold") ? DEVICES : []) {
    const runs: Array<Awaited<ReturnType<typeof coldStart>>> = [];
    const before: Array<Awaited<ReturnType<typeof coldStart>>> = [];
    for (let round = 0; round < COLD_ROUNDS; round++) {
      runs.push(await coldStart(browser, base, device));
      if (baselineBase) before.push(await coldStart(browser, baselineBase, device));
    }
    const c = medianRun(runs);
    results[`cold_${device}`] = { ...c, runs: runs.map((r) => [Math.round(r.readyMs), Math.round(r.firstTokenMs)]) };
    const b = c.bootMs!;
    console.log(`  ${device.padEnd(7)} ready ${c.readyMs.toFixed(0).padStart(6)} ms   first token ${c.firstTokenMs.toFixed(0).padStart(6)} ms   (in the kernel worker: start to boot ${b.workerToBoot.toFixed(0)} ms, GPU probe ${b.gpu.toFixed(0)} ms, model ${b.model.toFixed(0)} ms, stores ${b.stores.toFixed(0)} ms alongside, boot ${b.total.toFixed(0)} ms)`);
    console.log(`          ready in each run: ${runs.map((r) => r.readyMs.toFixed(0)).join(", ")} ms`);
    if (baseline && before.length) {
      const o = medianRun(before);
      results[`cold_${device}_baseline`] = { rev: baseline.rev, ...o, runs: before.map((r) => [Math.round(r.readyMs), Math.round(r.firstTokenMs)]) };
      console.log(`  ${baseline.rev.padEnd(7)} ready ${o.readyMs.toFixed(0).padStart(6)} ms   first token ${o.firstTokenMs.toFixed(0).padStart(6)} ms   (baseline; this build's ready ÷ baseline's ${(c.readyMs / o.readyMs).toFixed(2)}, first token ${(c.firstTokenMs / o.firstTokenMs).toFixed(2)})`);
      console.log(`          ready in each run: ${before.map((r) => r.readyMs.toFixed(0)).join(", ")} ms`);
    }
  }
  if (ONLY.has("cold")) {
    const [http, sw] = [await secondVisit(base, "wasm", "block"), await secondVisit(base, "wasm", "allow")];
    results.second_visit_wasm = { httpCache: http, serviceWorker: sw };
    console.log(`  second visit after a browser restart, wasm: HTTP cache only ready ${http.readyMs.toFixed(0)} ms / first token ${http.firstTokenMs.toFixed(0)} ms; ` +
      `service worker ready ${sw.readyMs.toFixed(0)} ms / first token ${sw.firstTokenMs.toFixed(0)} ms (ratio ${(sw.readyMs / http.readyMs).toFixed(2)})`);
  }
  if (ONLY.has("cold")) {
    const bytes = await bytesBeforeReady(browser, "wasm");
    results.bytes_before_ready_wasm = bytes;
    printBytesBeforeReady(bytes);
  }
  if (ONLY.has("decode")) console.log("\ndecode tokens/s, embedded model (aios-tiny fp32): engine direct in page vs window.aios (worker + kernel + comlink)");
  for (const device of ONLY.has("decode") ? DEVICES : []) {
    const d = await decode(browser, base, device);
    results[`decode_${device}`] = d;
    console.log(`  ${device.padEnd(7)} direct ${d.direct.toFixed(1).padStart(7)} tok/s   aios ${d.kernel.toFixed(1).padStart(7)} tok/s   ratio aios/direct ${d.ratio.toFixed(3)}   (${d.tokens} tokens)`);
  }
  if (ONLY.has("p1")) console.log("\nP1: tokens/s end to end, window.aios (kernel + scheduler + comlink, in a worker) vs Transformers.js generate() (in a worker)");
  for (const device of ONLY.has("p1") ? DEVICES : []) {
    const r = await p1(browser, base, device);
    results[`p1_${device}`] = r;
    console.log(`  ${device.padEnd(7)} generate() ${r.library.toFixed(1).padStart(7)} tok/s   aios ${r.kernel.toFixed(1).padStart(7)} tok/s   ratio ${r.ratio.toFixed(3)}`);
  }
  if (ONLY.has("p2")) {
    console.log("\nP2: 8 processes x 64 tokens at once (wasm), identical outputs under every policy");
    const sched = await p2(browser, base);
    results.p2 = sched;
    console.log("  policy        tok/s   TTFT p50   TTFT p95   preemptions  spills");
    for (const r of sched.rows) {
      console.log(`  ${r.label.padEnd(11)} ${r.throughput.toFixed(1).padStart(7)} ${r.p50.toFixed(0).padStart(8)} ms ${r.p95.toFixed(0).padStart(8)} ms ${String(r.preemptions).padStart(10)} ${String(r.spills).padStart(7)}`);
    }
    const fifoRow = sched.rows[0]!;
    for (const r of sched.rows.slice(1)) {
      console.log(`  ${r.label.padEnd(11)} vs fifo: p95 TTFT x${(r.p95 / fifoRow.p95).toFixed(2)}, throughput x${(r.throughput / fifoRow.throughput).toFixed(3)}`);
    }
    console.log(`  context switch cost: KV-preserving ${sched.switchMs.kv.toFixed(2)} ms, text (re-prefill) ${sched.switchMs.text.toFixed(2)} ms`);
    writeFileSync("bench/out/scheduler.svg", schedulerSvg(sched.rows));
  }
  if (ONLY.has("p3")) {
    console.log(`\nP3: n processes x 64 tokens at once (${P3_DEVICE}): continuous batching vs one at a time, same outputs`);
    console.log("  (tokens decoded in all: one row's 'tokens'; each agent runs its whole 64)");
    const { rows, calls } = await p3(browser, base);
    results.p3 = { rows, decodeCallMs: calls };
    console.log("  agents   one at a time tok/s   batched tok/s   ratio   TTFT p95 one at a time / batched   largest batch memory");
    for (const r of rows) {
      console.log(`  ${String(r.agents).padStart(6)} (${r.tokens} tokens) ${r.aloneTps.toFixed(1).padStart(21)} ${r.batchedTps.toFixed(1).padStart(15)} ${r.ratio.toFixed(2).padStart(7)}x ${r.aloneP95.toFixed(0).padStart(14)} ms / ${r.batchedP95.toFixed(0)} ms ${(r.peakBatchBytes / 1048576).toFixed(2).padStart(16)} MB`);
    }
    console.log(`  one decode call over 100 cached tokens (engine direct): batch 1 ${calls[1]!.toFixed(2)} ms, batch 4 ${calls[4]!.toFixed(2)} ms (x${(calls[4]! / calls[1]!).toFixed(2)}), batch 8 ${calls[8]!.toFixed(2)} ms (x${(calls[8]! / calls[1]!).toFixed(2)})`);
  }
  if (ONLY.has("p4")) {
    console.log("\nP4: top-10 vector search over 384-d clustered unit vectors, 50 queries (same data, same page)");
    const { page, context } = await guardedPage(browser, `${base}lab.html`);
    const r = await benchVectors(page);
    await context.close();
    results.p4 = r;
    const ms = (x: number | null) => (x === null ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(0));
    console.log(`  ${"engine".padEnd(52)}   size   build ms  median ms   p95 ms recall@10`);
    for (const row of r.rows) {
      console.log(`  ${row.engine.padEnd(52)} ${String(row.size).padStart(6)} ${ms(row.buildMs).padStart(10)} ${ms(row.medianMs).padStart(10)} ${ms(row.p95Ms).padStart(8)} ${row.recallAt10 === null ? "–" : row.recallAt10.toFixed(3)}${row.note ? `   (${row.note})` : ""}`);
    }
    const int8 = r.rows.find((x) => x.engine.startsWith("ours int8") && x.size === 100_000);
    const orama = r.rows.find((x) => x.engine.startsWith("orama") && x.size === 100_000);
    if (int8?.medianMs && orama?.medianMs) console.log(`  at 100k: ours int8 ${(orama.medianMs / int8.medianMs).toFixed(1)}x faster than Orama`);
  }
  if (ONLY.has("p8")) {
    console.log("\nP8: structured output on the embedded model (wasm, engine in the page), each case with and without the grammar mask");
    const r = await benchStructured(browser, base);
    results.p8 = r;
    printStructured(r);
  }
  if (ONLY.has("storage")) {
    console.log("\nStorage: 10k small documents (20-50 words) written one by one with lexical indexing, then 50 lexical top-10 searches (page IndexedDB)");
    const r = await storage(browser, base);
    results.storage = r;
    console.log(`  ${r.writesPerSecond.toFixed(0)} writes/s   search at ${r.docs} docs: cold median ${r.coldMedianMs.toFixed(2)} ms, p95 ${r.coldP95Ms.toFixed(2)} ms; warm median ${r.searchMedianMs.toFixed(2)} ms, p95 ${r.searchP95Ms.toFixed(2)} ms`);
  }
  if (ONLY.has("memory")) {
    console.log("\nMemory manager: 100 turns on a 512-token window (wasm), its own time per chat call, LLM calls excluded");
    const r = await memory(browser, base);
    results.memory = r;
    console.log(`  overhead median ${r.medianOverheadMs.toFixed(1)} ms (last 10 turns ${r.medianOverheadLast10Ms.toFixed(1)} ms), ${(r.overheadShare * 100).toFixed(1)}% of chat time; ${r.pagingCalls} calls paged`);
  }
  if (ONLY.has("tools")) {
    console.log("\nTools: access checks, the js sandbox, a tool call through the kernel, the tool loop (wasm)");
    const r = await tools(browser, base);
    results.tools = r;
    const { access, sandbox, viaKernel } = r;
    const f = (x: number | null, d = 3) => (x === null ? "–" : x.toFixed(d));
    console.log(`  access check + audit entry: ${f(access.accessMemoryMs)} ms (memory store), ${f(access.accessIndexedDBMs)} ms (IndexedDB store); the bare calculator call ${f(access.bareMs)} ms`);
    console.log(`  js sandbox (${sandbox.isolation}): cold start ${f(sandbox.coldStartMs, 1)} ms; warm call ${f(sandbox.warmWorkerMs, 2)} ms in a worker vs ${f(sandbox.warmInlineMs, 2)} ms inline (worker overhead ${f(sandbox.workerOverheadMs, 2)} ms)`);
    console.log(`  calculator through window.aios as a process: ${f(viaKernel.callMs, 2)} ms per call vs ${f(access.bareMs)} ms bare; a no-op system call (proc.self) ${f(viaKernel.syscallMs, 2)} ms`);
    console.log(`  tool loop: the kernel's own time per step ${f(viaKernel.stepMs, 1)} ms (model and tool excluded; ${viaKernel.toolTurns}/${viaKernel.turns} turns called the tool); a turn without tools ${f(viaKernel.plainTurnMs, 1)} ms`);
  }
  if (ONLY.has("apps")) {
    console.log("\nApps: install, launch, a code app's sandbox, an SDK call (wasm)");
    const r = await apps(browser, base);
    results.apps = r;
    console.log(`  install a manifest ${r.installMs.toFixed(1)} ms; launch an NL app ${r.launchMs.toFixed(1)} ms vs spawn a plain process ${r.spawnMs.toFixed(1)} ms (${(r.launchMs / r.spawnMs).toFixed(2)}×)`);
    console.log(`  code app: sandbox start ${r.sandboxStartMs.toFixed(0)} ms (worker + QuickJS), launch → result ${r.codeLaunchToResultMs.toFixed(0)} ms`);
    console.log(`  a system call from inside the sandbox (SDK) ${r.sdkCallMs.toFixed(2)} ms vs from the page as a process ${r.directCallMs.toFixed(2)} ms (${r.sdkOverRatio.toFixed(2)}×)`);
  }
  if (ONLY.has("devices")) {
    console.log("\nDevices: OCR of a 640x480 camera frame with two printed lines (tesseract.js, eng best_int, in the tab)");
    const r = await benchOcr(base);
    results.devices = r;
    console.log(`  model load ${r.modelLoadMs.toFixed(0)} ms (cold call ${r.coldMs.toFixed(0)} ms − warm); a warm frame ${r.warmMs.toFixed(0)} ms in a page; camera.read through window.aios ${r.cameraReadMs.toFixed(0)} ms (getUserMedia + frame + OCR + kernel; ratio to OCR alone ${(r.cameraReadMs / r.warmMs).toFixed(2)})`);
    console.log(`  read ${JSON.stringify(r.text)} at confidence ${r.confidence}; camera tracks live after the calls: ${r.liveTracksAfter}`);
  }
  if (ONLY.has("intents")) {
    console.log("\nIntents: the embedded model's routing on held-out paraphrases (tools/heldout_intents.json), through the kernel, greedy, every tool offered");
    const r = await benchIntents(browser, base);
    results.intents = r;
    printIntents(r);
  }
  const leaked = proxyOf(browser)!.attempts;
  if (leaked.length) throw new Error(`requests tried to leave the machine: ${leaked.join(", ")}`);
  writeFileSync("bench/out/results.json", JSON.stringify(results, null, 2));
  console.log("\nwritten to bench/out/results.json and bench/out/scheduler.svg");
} finally {
  await browser.close();
  await server.close();
  await baselineServer?.close();
  await baseline?.dispose();
}
