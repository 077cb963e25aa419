/**
 * P8: always-valid structured output. The embedded model run directly in a page (lab.html, wasm),
 * each case twice in the same run — with the grammar mask and without it — over a set of JSON
 * Schemas (nested objects, enums, arrays, bounded numbers, required and optional fields) and over
 * tool calls (the held-out routing prompts with every tool offered, and with only tools that do not
 * fit while a call is required). Validity is checked here, in Node, by the same code the kernel
 * uses (outputProblem, parseToolCalls). Also the mask's cost per token against a decode step.
 */
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import type { ChatMessage, GenerateResult, ResponseFormat, ToolSpec } from "../src/kernel/engine.ts";
import { outputProblem } from "../src/kernel/output-format.ts";
import { parseToolCalls } from "../src/kernel/tool-calls.ts";
import type { LabGenerateOptions } from "../src/lab/lab.ts";
import { isLoopback } from "../test/browser/chromium.ts";

const SCHEMAS: Array<{ name: string; schema: Record<string, unknown>; prompts: string[] }> = [
  {
    name: "person",
    schema: { type: "object", properties: { name: { type: "string", maxLength: 30 }, age: { type: "integer", minimum: 0, maximum: 120 }, email: { type: "string", maxLength: 40 } }, required: ["name", "age"], additionalProperties: false },
    prompts: ["Describe a person called Ada who is 36.", "Who are you?", "Make up a friendly neighbour."],
  },
  {
    name: "trip",
    schema: {
      type: "object",
      properties: {
        trip: { type: "object", properties: { city: { type: "string", maxLength: 24 }, days: { type: "integer", minimum: 1, maximum: 30 } }, required: ["city", "days"], additionalProperties: false },
        travelers: { type: "array", items: { type: "object", properties: { name: { type: "string", maxLength: 20 } }, required: ["name"], additionalProperties: false }, maxItems: 4 },
      },
      required: ["trip", "travelers"],
      additionalProperties: false,
    },
    prompts: ["Plan a weekend in Paris for two.", "Tell me about a trip to Tokyo.", "Where should I go on holiday?"],
  },
  {
    name: "sentiment",
    schema: { type: "object", properties: { sentiment: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number", minimum: 0, maximum: 1 } }, required: ["sentiment", "confidence"], additionalProperties: false },
    prompts: ["I love this new phone, it is great!", "The train was late again.", "It is Tuesday."],
  },
  {
    name: "scores",
    schema: { type: "object", properties: { scores: { type: "array", items: { type: "integer", minimum: 0, maximum: 100 }, minItems: 1, maxItems: 5 } }, required: ["scores"], additionalProperties: false },
    prompts: ["Give three test scores.", "What is 12 times 7?", "Score these essays."],
  },
  {
    name: "task",
    schema: { type: "object", properties: { title: { type: "string", maxLength: 40 }, tags: { type: "array", items: { type: "string", maxLength: 12 }, maxItems: 3 }, done: { type: "boolean" } }, required: ["title", "done"], additionalProperties: false },
    prompts: ["Remind me to buy milk.", "Add a note about the meeting.", "I finished the report."],
  },
  {
    name: "place",
    schema: { type: "object", properties: { lat: { type: "number", minimum: -90, maximum: 90 }, lon: { type: "number", minimum: -180, maximum: 180 }, label: { type: "string", maxLength: 30 } }, required: ["lat", "lon"], additionalProperties: false },
    prompts: ["Where am I?", "Where is the Eiffel Tower?", "Give the coordinates of Rome."],
  },
];

/** Greedy and one sampled setting: the mask matters most when the model wanders. */
const SAMPLINGS = [
  { temperature: 0, seed: 1 },
  { temperature: 0.9, seed: 7 },
];

interface Run {
  valid: boolean;
  tokens: number;
  decodeMs: number;
  grammarMs: number;
  finish: string;
}

export interface StructuredResult {
  json: { cases: number; withMask: number; withoutMask: number; finishedWithMask: number };
  tools: { attempts: { withMask: number; withoutMask: number }; valid: { withMask: number; withoutMask: number }; cases: number };
  restricted: { cases: number; validWithMask: number; validWithoutMask: number };
  maskMsPerToken: number;
  decodeMsPerToken: number;
  maskShare: number;
  examples: { withMask: string; withoutMask: string };
  /** Masked replies that were not valid: why (cut by max_tokens, or not), for the record. */
  failures: Array<{ where: string; finish: string; text: string; problem: string | null }>;
}

export async function benchStructured(browser: Browser, base: string): Promise<StructuredResult> {
  const context = await browser.newContext({ serviceWorkers: "block" });
  await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort()));
  const page = await context.newPage();
  await page.goto(`${base}lab.html`);
  await page.evaluate(() => window.lab.load("wasm"));
  await page.evaluate(() => window.lab.bootOS("wasm"));
  const tools: ToolSpec[] = await page.evaluate(async () => (await window.aios.tools.list()).map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.parameters as Record<string, unknown> } })));
  const generate = (messages: ChatMessage[], options: LabGenerateOptions): Promise<GenerateResult> => page.evaluate(([m, o]) => window.lab.generate(m, o), [messages, options] as const);
  const timing = (r: GenerateResult) => ({ tokens: r.completionTokens, decodeMs: r.totalMs - r.timeToFirstTokenMs, grammarMs: r.grammarMs ?? 0, finish: r.finishReason });

  // JSON Schemas: the same messages (the schema stated in the system prompt) with and without the mask.
  const masked: Run[] = [];
  const unmasked: Run[] = [];
  const examples = { withMask: "", withoutMask: "" };
  const failures: StructuredResult["failures"] = [];
  for (const { name, schema, prompts } of SCHEMAS) {
    const format: ResponseFormat = { type: "json_schema", name, schema, strict: true };
    for (const prompt of prompts) {
      const messages: ChatMessage[] = [
        { role: "system", content: `Reply with only a JSON object matching this JSON Schema: ${JSON.stringify(schema)}` },
        { role: "user", content: prompt },
      ];
      for (const sampling of SAMPLINGS) {
        const options = { maxTokens: 96, ...sampling, responseFormat: format };
        const [a, b] = [await generate(messages, options), await generate(messages, { ...options, unconstrained: true })];
        masked.push({ valid: a.finishReason === "stop" && outputProblem(format, a.text) === null, ...timing(a) });
        if (!masked.at(-1)!.valid) failures.push({ where: `${name}: ${prompt} (t=${sampling.temperature})`, finish: a.finishReason, text: a.text, problem: a.finishReason === "stop" ? outputProblem(format, a.text) : null });
        unmasked.push({ valid: b.finishReason === "stop" && outputProblem(format, b.text) === null, ...timing(b) });
        if (!examples.withMask) Object.assign(examples, { withMask: a.text, withoutMask: b.text });
      }
    }
  }

  // Tool calls on the held-out routing prompts, every tool offered: of the replies that start a call, how many are valid calls.
  const items = (JSON.parse(readFileSync("tools/heldout_intents.json", "utf8")) as { items: Array<{ prompt?: string; tool: string | null }> }).items.filter((it) => it.prompt && it.tool);
  const bySchema = new Map(tools.map((t) => [t.function.name, t.function.parameters ?? { type: "object" }]));
  const validCall = (text: string, offered: ToolSpec[]) => {
    const { calls } = parseToolCalls(text, offered.map((t) => t.function.name));
    const attempted = text.includes("<tool_call>");
    const valid = attempted && calls.length > 0 && calls.every((c) => outputProblem({ type: "json_schema", name: c.function.name, schema: bySchema.get(c.function.name)!, strict: true }, c.function.arguments) === null) && text.split("<tool_call>").length - 1 === calls.length;
    return { attempted, valid };
  };
  const toolRuns = { withMask: { attempts: 0, valid: 0 }, withoutMask: { attempts: 0, valid: 0 } };
  for (const it of items) {
    for (const sampling of SAMPLINGS) {
      const messages: ChatMessage[] = [{ role: "user", content: it.prompt! }];
      const a = await generate(messages, { maxTokens: 96, ...sampling, tools });
      const b = await generate(messages, { maxTokens: 96, ...sampling, tools, unconstrained: true });
      masked.push({ valid: true, ...timing(a) });
      const va = validCall(a.text, tools);
      if (va.attempted && !va.valid) failures.push({ where: `tools: ${it.prompt} (t=${sampling.temperature})`, finish: a.finishReason, text: a.text, problem: null });
      for (const [r, row] of [[a, toolRuns.withMask], [b, toolRuns.withoutMask]] as const) {
        const v = validCall(r.text, tools);
        row.attempts += v.attempted ? 1 : 0;
        row.valid += v.valid ? 1 : 0;
      }
    }
  }

  // A call required, but the intended tool is not offered (a process without that capability): the model's favourite call would be invalid.
  const restricted = { cases: 0, validWithMask: 0, validWithoutMask: 0 };
  for (const it of items) {
    const offered = tools.filter((t) => t.function.name !== it.tool).slice(0, 4);
    const messages: ChatMessage[] = [{ role: "user", content: it.prompt! }];
    const a = await generate(messages, { maxTokens: 96, tools: offered, toolChoice: "required" });
    const b = await generate(messages, { maxTokens: 96, tools: offered, toolChoice: "required", unconstrained: true });
    restricted.cases++;
    restricted.validWithMask += validCall(a.text, offered).valid ? 1 : 0;
    if (!validCall(a.text, offered).valid) failures.push({ where: `required, ${it.tool} not offered: ${it.prompt}`, finish: a.finishReason, text: a.text, problem: null });
    restricted.validWithoutMask += validCall(b.text, offered).valid ? 1 : 0;
  }
  await context.close();

  const sum = (rs: Run[], f: (r: Run) => number) => rs.reduce((n, r) => n + f(r), 0);
  const maskMsPerToken = sum(masked, (r) => r.grammarMs) / sum(masked, (r) => r.tokens);
  const decodeMsPerToken = sum(unmasked, (r) => r.decodeMs) / Math.max(1, sum(unmasked, (r) => r.tokens - 1));
  return {
    json: {
      cases: unmasked.length,
      withMask: masked.slice(0, unmasked.length).filter((r) => r.valid).length,
      withoutMask: unmasked.filter((r) => r.valid).length,
      finishedWithMask: masked.slice(0, unmasked.length).filter((r) => r.finish === "stop").length,
    },
    tools: { cases: items.length * SAMPLINGS.length, attempts: { withMask: toolRuns.withMask.attempts, withoutMask: toolRuns.withoutMask.attempts }, valid: { withMask: toolRuns.withMask.valid, withoutMask: toolRuns.withoutMask.valid } },
    restricted,
    maskMsPerToken,
    decodeMsPerToken,
    maskShare: maskMsPerToken / decodeMsPerToken,
    examples,
    failures,
  };
}

export function printStructured(r: StructuredResult): void {
  const pct = (a: number, b: number) => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)}%`);
  console.log(`  JSON Schemas (${SCHEMAS.length} schemas x 3 prompts x greedy/sampled = ${r.json.cases} replies): valid with the mask ${r.json.withMask}/${r.json.cases} (${pct(r.json.withMask, r.json.cases)}), without ${r.json.withoutMask}/${r.json.cases} (${pct(r.json.withoutMask, r.json.cases)})`);
  console.log(`    with the mask, of the ${r.json.finishedWithMask} replies that ended by themselves within 96 tokens: ${r.json.withMask} valid (${pct(r.json.withMask, r.json.finishedWithMask)}); the rest were cut by max_tokens mid-output`);
  console.log(`  tool calls, held-out prompts, every tool offered (${r.tools.cases} replies): valid calls with the mask ${r.tools.valid.withMask}/${r.tools.attempts.withMask} attempted (${pct(r.tools.valid.withMask, r.tools.attempts.withMask)}), without ${r.tools.valid.withoutMask}/${r.tools.attempts.withoutMask} (${pct(r.tools.valid.withoutMask, r.tools.attempts.withoutMask)})`);
  console.log(`  a call required, the intended tool not offered (${r.restricted.cases} replies): a valid call of an offered tool with the mask ${r.restricted.validWithMask}/${r.restricted.cases} (${pct(r.restricted.validWithMask, r.restricted.cases)}), without ${r.restricted.validWithoutMask}/${r.restricted.cases} (${pct(r.restricted.validWithoutMask, r.restricted.cases)})`);
  console.log(`  the mask costs ${r.maskMsPerToken.toFixed(3)} ms per token; a decode step without it ${r.decodeMsPerToken.toFixed(2)} ms (mask = ${(100 * r.maskShare).toFixed(1)}% of a step)`);
  const cut = r.failures.filter((f) => f.finish === "length").length;
  console.log(`  masked replies not valid: ${r.failures.length}, of which ${cut} cut by max_tokens (96) mid-output; the others:`);
  for (const f of r.failures.filter((f) => f.finish !== "length").slice(0, 5)) console.log(`    ${f.where} [${f.finish}] ${f.problem ?? ""}: ${JSON.stringify(f.text.slice(0, 160))}`);
  console.log(`  e.g. with the mask: ${JSON.stringify(r.examples.withMask.slice(0, 100))}; without: ${JSON.stringify(r.examples.withoutMask.slice(0, 100))}`);
}
