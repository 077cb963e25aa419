/**
 * npm run bench, the devices sections:
 *  - devices: OCR per camera frame (a fake camera showing printed text) — the model's load (cold
 *    call − warm call), a warm frame on its own in a page (lab.html), and camera.read end to end
 *    through window.aios (consent allowed; getUserMedia, one frame, stream stopped, OCR, kernel).
 *  - intents: the embedded model's tool routing on the held-out paraphrases of
 *    tools/heldout_intents.json, through the kernel exactly as a process meets it (all tools
 *    offered, greedy): per intent, the right call (name and arguments), the answer after the
 *    tool's result, and no call when no tool is offered.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { isLoopback, launch, launchWithArgs, proxyOf } from "../test/browser/chromium.ts";
import { fakeCameraArgs, makeFakeCameraFile } from "../test/browser/fake-camera.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function guarded(browser: Browser, url: string): Promise<{ page: Page; close(): Promise<void>; offsite: string[] }> {
  const context = await browser.newContext({ serviceWorkers: "block" }); // routes do not see a service worker's answers
  const offsite: string[] = [];
  await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : (offsite.push(route.request().url()), route.abort())));
  const page = await context.newPage();
  await page.goto(url);
  return { page, offsite, close: () => context.close() };
}

export async function benchOcr(base: string, frames = 5) {
  const dir = await mkdtemp(join(tmpdir(), "aios-bench-camera-"));
  const painter = await launch();
  const file = await makeFakeCameraFile(painter, ["OPEN 9 TO 5 DAILY", "Room 214"], join(dir, "camera.mjpeg")).finally(() => painter.close());
  const browser = await launchWithArgs(fakeCameraArgs(file));
  try {
    const lab = await guarded(browser, `${base}lab.html`);
    const inPage = await lab.page.evaluate(async (frames) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const Capture = (globalThis as unknown as { ImageCapture: new (t: MediaStreamTrack) => { grabFrame(): Promise<ImageBitmap> } }).ImageCapture;
      const frame = await new Capture(stream.getVideoTracks()[0]!).grabFrame();
      for (const t of stream.getTracks()) t.stop();
      const cold = await window.lab.ocr(frame);
      const warm: number[] = [];
      for (let i = 0; i < frames; i++) warm.push((await window.lab.ocr(frame)).ms);
      return { coldMs: cold.ms, warm, text: cold.text, confidence: cold.confidence, size: [frame.width, frame.height] };
    }, frames);
    await lab.close();
    const os = await guarded(browser, `${base}?device=wasm`);
    const viaKernel = await os.page.evaluate(async (frames) => {
      await window.aios.ready;
      const app = `bench-camera-${Date.now()}`;
      await window.aios.access.set(app, "camera", "allow");
      const p = await window.aios.spawn({ name: app, capabilities: ["camera"] });
      const times: number[] = [];
      for (let i = -1; i < frames; i++) {
        const t = performance.now();
        await p.tools.call("camera.read");
        if (i >= 0) times.push(performance.now() - t);
      }
      await p.exit();
      return { times, live: window.aios.devices.liveCameraTracks() };
    }, frames);
    await os.close();
    const offsite = [...lab.offsite, ...os.offsite, ...proxyOf(browser)!.attempts];
    if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
    const warm = median(inPage.warm);
    return { frame: inPage.size, text: inPage.text, confidence: inPage.confidence, coldMs: inPage.coldMs, warmMs: warm, modelLoadMs: inPage.coldMs - warm, cameraReadMs: median(viaKernel.times), liveTracksAfter: viaKernel.live };
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Item {
  intent: string;
  prompt?: string;
  messages?: Array<{ role: string; content: string }>;
  tool: string | null;
  args: Record<string, unknown> | null;
  result: unknown;
  answer_contains: string;
}

export interface IntentRow {
  intent: string;
  n: number;
  route: number;
  answer: number | null;
  notool: number;
}

export async function benchIntents(browser: Browser, base: string, path = "tools/heldout_intents.json") {
  const items = (JSON.parse(readFileSync(path, "utf8")) as { items: Item[] }).items;
  const g = await guarded(browser, `${base}?device=wasm`);
  // tsx (esbuild) wraps the named helpers below in __name(); the page has no such function.
  await g.page.evaluate("globalThis.__name = (f) => f");
  const outcomes = await g.page.evaluate(async (items) => {
    await window.aios.ready;
    const tools = (await window.aios.tools.list()).map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.parameters as Record<string, unknown> } }));
    /** The held-out file writes calls as the model does (<tool_call> text, tool turns without ids): OpenAI messages here. */
    const openai = (messages: Array<{ role: string; content: string }>) => {
      let n = 0;
      return messages.map((m) => {
        const call = m.role === "assistant" && /^<tool_call>([\s\S]*)<\/tool_call>$/.exec(m.content);
        if (call) {
          const c = JSON.parse(call[1]!) as { name: string; arguments: unknown };
          return { role: "assistant", content: null, tool_calls: [{ id: `call_${++n}`, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }] };
        }
        if (m.role === "tool") return { role: "tool", tool_call_id: `call_${n}`, content: m.content };
        return m;
      });
    };
    const sameJson = (a: unknown, b: unknown): boolean => {
      if (a === b) return true;
      if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
    };
    const ask = async (messages: unknown[], withTools: boolean) => {
      const r = await window.aios.llm.chat.completions.create({ messages: messages as never, ...(withTools ? { tools } : {}), temperature: 0, max_tokens: 96 });
      return r.choices[0]!.message;
    };
    const out: Array<{ intent: string; route: boolean; answer: boolean | null; notool: boolean }> = [];
    for (const it of items) {
      const messages = openai(it.messages ?? [{ role: "user", content: it.prompt! }]);
      const routed = await ask(messages, true);
      const call = routed.tool_calls?.[0];
      let route: boolean;
      if (it.tool) route = !!call && call.function.name === it.tool && sameJson(JSON.parse(call.function.arguments || "{}"), it.args ?? {});
      else route = !call && (routed.content ?? "").includes(it.answer_contains);
      let answer: boolean | null = null;
      if (it.tool) {
        const resultText = typeof it.result === "string" ? it.result : JSON.stringify(it.result);
        const after = await ask([...messages, { role: "assistant", content: null, tool_calls: [{ id: "call_x", type: "function", function: { name: it.tool, arguments: JSON.stringify(it.args ?? {}) } }] }, { role: "tool", tool_call_id: "call_x", content: resultText }], true);
        answer = !after.tool_calls?.length && (after.content ?? "").includes(it.answer_contains);
      }
      const plain = await ask(messages, false);
      const notool = !plain.tool_calls?.length && !(plain.content ?? "").includes("<tool_call>") && (it.tool ? true : (plain.content ?? "").includes(it.answer_contains));
      out.push({ intent: it.intent, route, answer, notool });
    }
    return out;
  }, items);
  await g.close();
  if (g.offsite.length) throw new Error(`requests left the machine: ${g.offsite.join(", ")}`);
  const rows = new Map<string, IntentRow & { answers: number }>();
  for (const o of outcomes) {
    const row = rows.get(o.intent) ?? { intent: o.intent, n: 0, route: 0, answer: null, notool: 0, answers: 0 };
    row.n++;
    row.route += o.route ? 1 : 0;
    row.notool += o.notool ? 1 : 0;
    if (o.answer !== null) {
      row.answers++;
      row.answer = (row.answer ?? 0) + (o.answer ? 1 : 0);
    }
    rows.set(o.intent, row);
  }
  const table: IntentRow[] = [...rows.values()].map((r) => ({ intent: r.intent, n: r.n, route: r.route / r.n, answer: r.answer === null ? null : r.answer / r.answers, notool: r.notool / r.n }));
  const all = outcomes.length;
  const totals = { n: all, route: outcomes.filter((o) => o.route).length / all, answer: outcomes.filter((o) => o.answer).length / outcomes.filter((o) => o.answer !== null).length, notool: outcomes.filter((o) => o.notool).length / all };
  return { table, totals };
}

export function printIntents(r: Awaited<ReturnType<typeof benchIntents>>): void {
  const pct = (x: number | null) => (x === null ? "   –" : `${(x * 100).toFixed(0).padStart(3)}%`);
  console.log(`  ${"intent".padEnd(16)} ${"n".padStart(3)}  route  answer  no-tool`);
  for (const row of r.table) console.log(`  ${row.intent.padEnd(16)} ${String(row.n).padStart(3)}   ${pct(row.route)}   ${pct(row.answer)}    ${pct(row.notool)}`);
  console.log(`  ${"all".padEnd(16)} ${String(r.totals.n).padStart(3)}   ${pct(r.totals.route)}   ${pct(r.totals.answer)}    ${pct(r.totals.notool)}`);
}
