/**
 * In-page part of `npm run bench`'s tool figures, side by side in one page:
 *  - the access check's cost: AccessManager.check + its audit entry, with the in-memory store and
 *    with the IndexedDB store, vs a bare call of the same driver;
 *  - the js sandbox: a worker's cold start (new Worker + QuickJS load + first call), a warm call,
 *    and the same snippet inline (QuickJS in this thread), so the worker's overhead per call shows.
 * The kernel's own time per tool-loop step is measured through window.aios by bench/run.ts.
 */
import { IndexedDBAccessStore } from "../kernel/access-db.ts";
import { AccessManager, MemoryAccessStore } from "../kernel/access.ts";
import type { Process } from "../kernel/process.ts";
import { calculatorTool } from "../kernel/tools/calculator.ts";
import { inlineSandbox, workerSandbox } from "../kernel/tools/sandbox.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const limits = { timeoutMs: 1000, memoryBytes: 32 * 1024 * 1024, maxOutputChars: 16_000 };

function process(): Process {
  return { pid: 7, name: "bench", app: "bench-tools", capabilities: ["calculator"], done: false, priority: 20, quota: {}, memory: {}, toolRules: [], promptTokens: 0, completionTokens: 0, countedTokens: 0, requests: 0, toolCalls: 0, startedAt: 0, label: { untrusted: [], private: [], ownFiles: [], said: [] } };
}

async function accessCost(n: number) {
  const ctx = { pid: 7, app: "bench-tools", signal: new AbortController().signal, files: null as never, network: {} };
  const args = { expression: "12*7" };
  await calculatorTool.run(args, ctx); // loads mathjs
  const bare: number[] = [];
  const memory: number[] = [];
  const indexed: number[] = [];
  const name = `bench-access-${Date.now()}`;
  const managers = { memory: new AccessManager(new MemoryAccessStore()), indexed: new AccessManager(await IndexedDBAccessStore.open(name)) };
  const proc = process();
  const checked = async (access: AccessManager) => {
    const t = performance.now();
    const check = await access.check(proc, { tool: "calculator", capability: "calculator", summary: "calculate 12*7", args });
    const result = await calculatorTool.run(args, ctx);
    await check.done({ resultBytes: JSON.stringify(result).length, ms: 0 });
    return performance.now() - t;
  };
  // Timers in a page are coarse (0.1 ms): each sample times a batch of calls.
  const BATCH = 20;
  // The audit entries are written off the call's path, in batches: a sample includes writing them.
  const batch = async (one: () => Promise<unknown>, access?: AccessManager) => {
    const t = performance.now();
    for (let j = 0; j < BATCH; j++) await one();
    await access?.flushed();
    return (performance.now() - t) / BATCH;
  };
  for (let i = -2; i < n / BATCH; i++) {
    const b = await batch(() => calculatorTool.run(args, ctx));
    const m = await batch(() => checked(managers.memory), managers.memory);
    const x = await batch(() => checked(managers.indexed), managers.indexed);
    if (i < 0) continue;
    bare.push(b);
    memory.push(m);
    indexed.push(x);
  }
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = resolve;
  });
  return {
    calls: n,
    bareMs: median(bare),
    checkedMemoryMs: median(memory),
    checkedIndexedDBMs: median(indexed),
    /** What the access manager adds per call (the check, the digest, the audit entry). */
    accessMemoryMs: median(memory.map((m, i) => m - bare[i]!)),
    accessIndexedDBMs: median(indexed.map((x, i) => x - bare[i]!)),
  };
}

async function sandboxCost(n: number) {
  const signal = new AbortController().signal;
  const coldStarts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const runner = workerSandbox();
    const t = performance.now();
    await runner("1+1", limits, signal);
    coldStarts.push(performance.now() - t);
  }
  const worker = workerSandbox();
  const inline = inlineSandbox();
  await worker("1+1", limits, signal);
  await inline("1+1", limits, signal);
  const warmWorker: number[] = [];
  const warmInline: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await worker("[1,2,3].map(x => x * 2)", limits, signal);
    warmWorker.push(performance.now() - t);
    t = performance.now();
    await inline("[1,2,3].map(x => x * 2)", limits, signal);
    warmInline.push(performance.now() - t);
  }
  return { isolation: worker.isolation ?? "worker", coldStartMs: median(coldStarts), warmWorkerMs: median(warmWorker), warmInlineMs: median(warmInline), workerOverheadMs: median(warmWorker.map((w, i) => w - warmInline[i]!)) };
}

async function run(config: { accessCalls: number; sandboxCalls: number }) {
  return { access: await accessCost(config.accessCalls), sandbox: await sandboxCost(config.sandboxCalls) };
}

declare global {
  interface Window {
    toolsBench: { run: typeof run };
  }
}
window.toolsBench = { run };
