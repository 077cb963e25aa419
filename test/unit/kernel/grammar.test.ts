// Grammar-constrained decoding with XGrammar on the embedded model's real vocabulary (its byte-level
// BPE tokenizer): whatever the logits say, masked decoding only ever produces output its format
// accepts; a constraint rebuilt from the tokens so far is the same constraint (resume after a spill).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_MODELS } from "../../../src/kernel/engines/transformers-source.ts";
import { loadTransformersEngine, type TransformersEngine } from "../../../src/kernel/engines/transformers.ts";
import { GrammarVocabulary, type CompiledFormat, type Constraint } from "../../../src/kernel/grammar.ts";
import type { ToolSpec } from "../../../src/kernel/engine.ts";
import { outputFormatFor, outputProblem, type JsonSchema, type OutputFormat } from "../../../src/kernel/output-format.ts";
import { parseToolCalls } from "../../../src/kernel/tool-calls.ts";
import { createRng } from "../../../src/kernel/sampling.ts";

const EOS = 2;
let engine: TransformersEngine;
let vocabulary: GrammarVocabulary;

beforeAll(async () => {
  engine = await loadTransformersEngine("aios-tiny", EMBEDDED_MODELS[0]!, { modelBaseUrl: resolve("public/models") + "/", device: "cpu" }, () => {});
  const { model } = JSON.parse(readFileSync("public/models/aios-tiny/tokenizer.json", "utf8")) as { model: { vocab: Record<string, number> } };
  const tokens = Object.entries(model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([token]) => token);
  vocabulary = await GrammarVocabulary.create(tokens, "byte_level", [EOS]);
});
afterAll(async () => engine?.unload());

/** Decodes under `constraint` with random logits (a model that "wants" anything): greedy over the mask. */
async function decodeRandom(constraint: Constraint, seed: number, limit = 400): Promise<{ ids: number[]; text: string; ended: boolean }> {
  const rng = createRng(seed);
  const ids: number[] = [];
  const logits = new Float32Array(vocabulary.size);
  while (ids.length < limit) {
    for (let i = 0; i < logits.length; i++) logits[i] = rng() * 10;
    // Random logits favour long strings forever; give the end a fair chance so outputs finish.
    logits[EOS] = 5;
    await constraint.mask(logits);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    expect(logits[best]).toBeGreaterThan(-Infinity);
    expect(await constraint.accept(best)).toBe(true);
    if (best === EOS) return { ids, text: engine.decode(ids), ended: true };
    ids.push(best);
  }
  return { ids, text: engine.decode(ids), ended: false };
}

/** The embedded tokenizer's ids for `text` (no special tokens). */
const tokens = (text: string) => Array.from((engine as unknown as { tokenizer: { encode(t: string, o: object): number[] } }).tokenizer.encode(text, { add_special_tokens: false }));

/** Whether `compiled` accepts `text` as a whole output (its tokens, then the end token). */
async function admits(compiled: CompiledFormat, text: string): Promise<boolean> {
  return compiled.constraintAfter(tokens(text)).then(
    async (c) => {
      const ended = await c.accept(EOS);
      c.dispose();
      return ended;
    },
    () => false,
  );
}

const PERSON: OutputFormat = {
  type: "json_schema",
  schema: {
    type: "object",
    properties: {
      name: { type: "string", maxLength: 12 },
      age: { type: "integer", minimum: 0, maximum: 120 },
      mood: { enum: ["happy", "sad", "calm"] },
      tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 },
      home: { type: "object", properties: { city: { type: "string", maxLength: 10 }, floor: { type: "integer", minimum: -2, maximum: 50 } }, required: ["city"], additionalProperties: false },
    },
    required: ["name", "age", "mood"],
    additionalProperties: false,
  },
};

describe("GrammarVocabulary (XGrammar) on aios-tiny's vocabulary", () => {
  it("every masked decode of a JSON Schema is valid JSON that matches the schema", async () => {
    const compiled = await vocabulary.compile(PERSON);
    let finished = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const constraint = await compiled.constraintAfter([]);
      const { text, ended } = await decodeRandom(constraint, seed);
      expect(constraint.done).toBe(ended);
      constraint.dispose();
      if (!ended) continue; // ran out of tokens inside a string: a prefix of valid output, checked below
      finished++;
      const value = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(value).sort()).toEqual(expect.arrayContaining(["age", "mood", "name"]));
      for (const key of Object.keys(value)) expect(["name", "age", "mood", "tags", "home"]).toContain(key);
      expect(typeof value.name).toBe("string");
      // JSON Schema lengths count characters (code points), not UTF-16 units.
      expect([...(value.name as string)].length).toBeLessThanOrEqual(12);
      expect(Number.isInteger(value.age)).toBe(true);
      expect(value.age).toBeGreaterThanOrEqual(0);
      expect(value.age).toBeLessThanOrEqual(120);
      expect(["happy", "sad", "calm"]).toContain(value.mood);
      if ("tags" in value) {
        expect((value.tags as string[]).length).toBeLessThanOrEqual(3);
        for (const tag of value.tags as string[]) expect([...tag].length).toBeLessThanOrEqual(6);
      }
      if ("home" in value) expect(typeof (value.home as { city: unknown }).city).toBe("string");
    }
    expect(finished).toBeGreaterThanOrEqual(10);
    compiled.dispose();
  });

  it("json_object gives a JSON object", async () => {
    const compiled = await vocabulary.compile({ type: "json_object" });
    for (let seed = 1; seed <= 5; seed++) {
      const constraint = await compiled.constraintAfter([]);
      const { text, ended } = await decodeRandom(constraint, seed * 7);
      constraint.dispose();
      if (ended) expect(typeof JSON.parse(text)).toBe("object");
    }
    compiled.dispose();
  });

  it("a constraint rebuilt from the tokens so far masks exactly like the one that produced them", async () => {
    const compiled = await vocabulary.compile(PERSON);
    const first = await compiled.constraintAfter([]);
    const { ids } = await decodeRandom(first, 3, 15);
    const resumed = await compiled.constraintAfter(ids);
    const a = new Float32Array(vocabulary.size).fill(1);
    const b = new Float32Array(vocabulary.size).fill(1);
    await first.mask(a);
    await resumed.mask(b);
    expect([...b]).toEqual([...a]);
    expect(a.some((x) => x === -Infinity) && a.some((x) => x === 1)).toBe(true);
    first.dispose();
    resumed.dispose();
    // Tokens the format never allowed cannot be replayed into it.
    await expect(compiled.constraintAfter(engine.encodeChat([{ role: "user", content: "hi" }]).slice(-3))).rejects.toMatchObject({ code: "EINVAL" });
    compiled.dispose();
  });

  it("refuses a token the mask excluded", async () => {
    const compiled = await vocabulary.compile(PERSON);
    const constraint = await compiled.constraintAfter([]);
    const logits = new Float32Array(vocabulary.size).fill(0);
    await constraint.mask(logits);
    const banned = logits.findIndex((x) => x === -Infinity);
    expect(await constraint.accept(banned)).toBe(false);
    constraint.dispose();
    compiled.dispose();
  });
});

describe("schemas XGrammar's converter would abort on", () => {
  it("are refused before they reach it, and compiling goes on working", async () => {
    let deep: object = { type: "integer" };
    for (let i = 0; i < 100; i++) deep = { type: "object", properties: { a: deep } };
    const hostile = [
      { type: "object", properties: { a: { $ref: "#/nowhere" } } },
      { properties: { a: { $ref: "http://example.com/s.json" } } },
      { properties: { a: { $ref: 42 } } },
      { properties: { a: { $ref: "#/properties/a/type" } } }, // points at a string, not a schema
      [1, 2] as unknown as object,
      deep,
    ];
    for (const schema of hostile) {
      await expect(vocabulary.compile({ type: "json_schema", schema: schema as JsonSchema })).rejects.toMatchObject({ code: "EINVAL" });
    }
    const local = await vocabulary.compile({ type: "json_schema", schema: { $defs: { n: { type: "integer", minimum: 1, maximum: 3 } }, type: "object", properties: { n: { $ref: "#/$defs/n" } }, required: ["n"] } });
    const c = await local.constraintAfter([]);
    const { text, ended } = await decodeRandom(c, 5);
    if (ended) expect([1, 2, 3]).toContain((JSON.parse(text) as { n: number }).n);
    c.dispose();
    local.dispose();
  });
});

describe("tool calls as a structural tag", () => {
  const tools: ToolSpec[] = [
    { type: "function", function: { name: "calculator", parameters: { type: "object", properties: { expression: { type: "string", maxLength: 20 } }, required: ["expression"] } } },
    { type: "function", function: { name: "notes.add", parameters: { type: "object", properties: { title: { type: "string", maxLength: 8 }, stars: { type: "integer", minimum: 1, maximum: 5 } }, required: ["title", "stars"] } } },
  ];
  const EVIL = /"name": "(?!calculator"|notes\.add")/;

  it("whatever the logits, a call names an offered tool and its arguments match that tool's schema", async () => {
    // (One call per reply: with random logits, free text after a call would rarely end.)
    const format = outputFormatFor({ tools, toolChoice: "required", parallelToolCalls: false })!;
    const compiled = await vocabulary.compile(format);
    let calls = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const constraint = await compiled.constraintAfter([]);
      const { text, ended } = await decodeRandom(constraint, seed * 13, 300);
      constraint.dispose();
      expect(text.startsWith("<tool_call>{\"name\": ")).toBe(true);
      expect(text).not.toMatch(EVIL);
      if (!ended) continue;
      const parsed = parseToolCalls(text, ["calculator", "notes.add"]);
      expect(parsed.calls.length).toBeGreaterThanOrEqual(1);
      for (const call of parsed.calls) {
        const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
        if (call.function.name === "calculator") expect([...(args.expression as string)].length).toBeLessThanOrEqual(20);
        else {
          expect(Object.keys(args).sort()).toEqual(["stars", "title"]);
          expect([1, 2, 3, 4, 5]).toContain(args.stars);
        }
        calls++;
      }
    }
    expect(calls).toBeGreaterThanOrEqual(5);
    compiled.dispose();
  });

  it("'auto' allows plain text, and text that starts a call must finish a valid one", async () => {
    const compiled = await vocabulary.compile(outputFormatFor({ tools, toolChoice: "auto", parallelToolCalls: false })!);
    const constraint = await compiled.constraintAfter([]);
    const plain = await compiled.constraintAfter(tokens("The answer is 4."));
    expect(await plain.accept(EOS)).toBe(true);
    expect(plain.done).toBe(true);
    await expect(compiled.constraintAfter(tokens('<tool_call>{"name": "shell.exec", "arguments": {}}</tool_call>'))).rejects.toMatchObject({ code: "EINVAL" });
    const one = await compiled.constraintAfter(tokens('<tool_call>{"name": "notes.add", "arguments": {"title": "x", "stars": 2}}</tool_call>'));
    // parallel_tool_calls: false — after one call only the end may follow.
    const logits = new Float32Array(vocabulary.size).fill(1);
    await one.mask(logits);
    expect([...logits.keys()].filter((i) => logits[i] !== -Infinity)).toEqual([EOS]);
    for (const c of [constraint, plain, one]) c.dispose();
    compiled.dispose();
  });
});

describe("when XGrammar stops anyway", () => {
  it("that instance is replaced, live constraints replay their tokens into the new one, and compiling goes on", async () => {
    const compiled = await vocabulary.compile(PERSON);
    const before = await compiled.constraintAfter([]);
    const { ids } = await decodeRandom(before, 9, 12);
    const restarts = vocabulary.restarts;
    // Only the unchecked path can reach XGrammar with a schema it stops on.
    await expect(vocabulary.compileUnchecked({ type: "json_schema", schema: { type: "foo" } })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/restarted/) });
    expect(vocabulary.restarts).toBe(restarts + 1);
    const fresh = await compiled.constraintAfter(ids);
    const a = new Float32Array(vocabulary.size).fill(1);
    const b = new Float32Array(vocabulary.size).fill(1);
    await before.mask(a);
    await fresh.mask(b);
    expect([...a]).toEqual([...b]);
    expect(a.filter((x) => x === 1).length).toBeGreaterThan(0);
    const { text, ended } = await decodeRandom(before, 10);
    if (ended) expect(typeof JSON.parse(engine.decode(ids) + text)).toBe("object");
    before.dispose();
    fresh.dispose();
    compiled.dispose();
  });
});

describe("schemas the check lets through", () => {
  /** A random schema from the subset checkOutputSchema accepts (seeded, so a failure reproduces). */
  function randomSchema(rng: () => number, depth: number, defs: boolean): Record<string, unknown> {
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    const kind = depth >= 3 ? pick(["string", "integer", "number", "boolean", "enum", "null"]) : pick(["string", "integer", "number", "boolean", "enum", "object", "object", "array", "anyOf", "ref", "multi"]);
    switch (kind) {
      case "string": {
        const s: Record<string, unknown> = { type: "string" };
        if (rng() < 0.4) s.maxLength = int(1, 30);
        if (rng() < 0.3) s.minLength = int(0, (s.maxLength as number | undefined) ?? 5);
        if (rng() < 0.25) s.pattern = pick(["^[a-z]+$", "^[A-Z]{2,4}-\\d{1,3}$", "^(yes|no)$", "[0-9a-f]{8}", "^\\w+@\\w+\\.com$"]);
        if (rng() < 0.2) s.format = pick(["date", "email", "uri"]);
        return s;
      }
      case "integer":
      case "number": {
        const s: Record<string, unknown> = { type: kind };
        const lo = int(-1000, 1000);
        if (rng() < 0.5) s[rng() < 0.5 ? "minimum" : "exclusiveMinimum"] = lo;
        if (rng() < 0.5) s[rng() < 0.5 ? "maximum" : "exclusiveMaximum"] = lo + int(2, 5000);
        return s;
      }
      case "boolean":
      case "null":
        return { type: kind };
      case "enum":
        return { enum: Array.from({ length: int(1, 5) }, (_, i) => pick([`v${i}`, i, i % 2 === 0, null])) };
      case "object": {
        const properties: Record<string, unknown> = {};
        const names = Array.from({ length: int(0, 4) }, (_, i) => `p${i}_${int(0, 9)}`);
        for (const n of names) properties[n] = randomSchema(rng, depth + 1, defs);
        const s: Record<string, unknown> = { type: "object", properties, required: [...new Set(names.filter(() => rng() < 0.6))] };
        if (rng() < 0.5) s.additionalProperties = rng() < 0.7 ? false : randomSchema(rng, depth + 1, defs);
        return s;
      }
      case "array": {
        const s: Record<string, unknown> = { type: "array", items: randomSchema(rng, depth + 1, defs) };
        if (rng() < 0.5) s.maxItems = int(1, 6);
        if (rng() < 0.3) s.minItems = int(0, (s.maxItems as number | undefined) ?? 3);
        if (rng() < 0.2) s.prefixItems = [randomSchema(rng, depth + 1, defs)];
        return s;
      }
      case "anyOf":
        return { [rng() < 0.5 ? "anyOf" : "oneOf"]: Array.from({ length: int(1, 3) }, () => randomSchema(rng, depth + 1, defs)) };
      case "ref":
        return defs ? { $ref: "#/$defs/item" } : { type: "string" };
      default:
        return { type: [pick(["string", "integer"]), "null"] };
    }
  }

  it("compile without XGrammar stopping (150 random schemas), and masked decodes of them match them", async () => {
    const rng = createRng(2026);
    const restarts = vocabulary.restarts;
    for (let i = 0; i < 150; i++) {
      const schema = randomSchema(rng, 0, true);
      const root = schema.type === "object" ? schema : { type: "object", properties: { value: schema }, required: ["value"] };
      const full = { ...root, $defs: { item: randomSchema(rng, 2, false) } };
      const compiled = await vocabulary.compile({ type: "json_schema", schema: full });
      if (i % 10 === 0) {
        const c = await compiled.constraintAfter([]);
        const { text, ended } = await decodeRandom(c, i, 500);
        c.dispose();
        // An unbounded "number" may take any exponent (valid JSON; beyond a double's range it parses as Infinity).
        if (ended && !/"type":"number"(?![^{}]*imum)/.test(JSON.stringify(full))) expect(outputProblem({ type: "json_schema", name: `random${i}`, schema: full, strict: true }, text), `${JSON.stringify(full)}\n${JSON.stringify(text)}`).toBeNull();
      }
      compiled.dispose();
    }
    expect(vocabulary.restarts).toBe(restarts);
  });
});

describe("bounded non-integer numbers (our range grammar: XGrammar's is wrong for them)", () => {
  const NUMBERS = ["0", "1", "1.0", "1.9", "1.000001", "0.5", "0.4", "0.25", "0.2500", "0.2501", "0.24999", "0.75", "0.7500001", "-0.5", "-1", "-2.5", "-2.51", "-0.49", "2.5", "2.6", "3", "3.0", "10", "10.05", "10.049", "10.0501", "12.5", "89.99", "90", "90.5", "-90", "-90.1", "99", "100", "179.9999", "180", "180.0001", "-180", "-179.5", "1e2", "01", "1.", ".5"];
  const RANGES = [
    { minimum: 0, maximum: 1 },
    { minimum: -90, maximum: 90 },
    { exclusiveMinimum: 0, exclusiveMaximum: 1 },
    { minimum: 0.5, maximum: 2.5 },
    { maximum: 1 },
    { minimum: 0 },
    { minimum: 0.25, exclusiveMaximum: 0.75 },
    { exclusiveMinimum: -180, maximum: 180 },
    { minimum: -2.5, maximum: -0.5 },
    { minimum: 10.05 },
    { minimum: 3, maximum: 3 },
  ];
  const inRange = (text: string, r: Partial<Record<string, number>>) => {
    if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) return false;
    const v = Number(text);
    return (r.minimum === undefined || v >= r.minimum) && (r.exclusiveMinimum === undefined || v > r.exclusiveMinimum) && (r.maximum === undefined || v <= r.maximum) && (r.exclusiveMaximum === undefined || v < r.exclusiveMaximum);
  };

  it("admit exactly the numbers in range, for every kind of bound", async () => {
    for (const range of RANGES) {
      const compiled = await vocabulary.compile({ type: "json_schema", schema: { type: "object", properties: { x: { type: "number", ...range } }, required: ["x"] } });
      for (const n of NUMBERS) {
        const admitted = await admits(compiled, `{\n  "x": ${n}\n}`);
        expect(admitted, `${n} in ${JSON.stringify(range)}`).toBe(inRange(n, range));
      }
      compiled.dispose();
    }
  });

  it("also inside tool arguments, and next to other types", async () => {
    const tools: ToolSpec[] = [{ type: "function", function: { name: "rate", parameters: { type: "object", properties: { score: { type: ["number", "null"], minimum: 0, maximum: 1 } }, required: ["score"] } } }];
    const compiled = await vocabulary.compile(outputFormatFor({ tools, toolChoice: "required", parallelToolCalls: false })!);
    const call = (v: string) => `<tool_call>{"name": "rate", "arguments": {"score": ${v}}}</tool_call>`;
    for (const [v, ok] of [["0.5", true], ["null", true], ["1.9", false], ["1", true], ["-0.1", false]] as const) {
      expect(await admits(compiled, call(v)), v).toBe(ok);
    }
    compiled.dispose();
  });
});
