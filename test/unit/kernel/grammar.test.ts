// Grammar-constrained decoding with XGrammar on the embedded model's real vocabulary (its byte-level
// BPE tokenizer): whatever the logits say, masked decoding only ever produces output its format
// accepts; a constraint rebuilt from the tokens so far is the same constraint (resume after a spill).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_MODELS } from "../../../src/kernel/engines/transformers-source.ts";
import { loadTransformersEngine, type TransformersEngine } from "../../../src/kernel/engines/transformers.ts";
import { GrammarVocabulary, type Constraint, type OutputFormat } from "../../../src/kernel/grammar.ts";
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
    expect(constraint.accept(best)).toBe(true);
    if (best === EOS) return { ids, text: engine.decode(ids), ended: true };
    ids.push(best);
  }
  return { ids, text: engine.decode(ids), ended: false };
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
    expect(constraint.accept(banned)).toBe(false);
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
      await expect(vocabulary.compile({ type: "json_schema", schema })).rejects.toMatchObject({ code: "EINVAL" });
    }
    const local = await vocabulary.compile({ type: "json_schema", schema: { $defs: { n: { type: "integer", minimum: 1, maximum: 3 } }, type: "object", properties: { n: { $ref: "#/$defs/n" } }, required: ["n"] } });
    const c = await local.constraintAfter([]);
    const { text, ended } = await decodeRandom(c, 5);
    if (ended) expect([1, 2, 3]).toContain((JSON.parse(text) as { n: number }).n);
    c.dispose();
    local.dispose();
  });
});
