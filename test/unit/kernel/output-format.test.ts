// The JSON Schema subset constrained output accepts, the grammar a request's tools and
// response_format become, and the check of a finished reply.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TransformersSource } from "../../../src/kernel/engines/transformers-source.ts";
import type { DeviceHosts } from "../../../src/kernel/devices.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { deviceTools } from "../../../src/kernel/tools/devices.ts";
import { libraryTools } from "../../../src/kernel/tools/library.ts";
import { checkOutputSchema, grammarSchema, outputFormatFor, outputProblem, SCHEMA_LIMITS } from "../../../src/kernel/output-format.ts";

/** Each of these stopped XGrammar's WebAssembly module when compiled (found by trying them, 2026-11-29). */
export const SCHEMAS_XGRAMMAR_STOPS_ON: unknown[] = [
  { type: "foo" },
  { type: "string", pattern: "(" },
  { type: "integer", minimum: "x" },
  { enum: [] },
  { type: "array", minItems: 5, maxItems: 2 },
  { anyOf: [] },
  { type: "object", properties: { a: { type: "integer", minimum: 5, maximum: 1 } }, required: ["a"] },
  { type: "object", properties: 5 },
  { type: "string", minLength: -1 },
  { type: "string", maxLength: 1e12 },
  { type: "object", patternProperties: { "(": {} } },
  { type: "integer", minimum: Infinity },
  { type: "array", minItems: 100000 },
  { type: "object", additionalProperties: { type: "foo" } },
  { type: "object", required: "a" },
  { type: "integer", exclusiveMinimum: true, minimum: 1 },
  { type: "object", properties: { a: { type: "integer", minimum: 1, maximum: 1e20 } } },
  { type: "object", properties: { a: { $ref: "#/nowhere" } } },
  { properties: { a: { $ref: 42 } } },
];

describe("checkOutputSchema", () => {
  it("refuses every schema XGrammar was seen to stop on, naming where", () => {
    for (const schema of SCHEMAS_XGRAMMAR_STOPS_ON) expect(() => checkOutputSchema(schema, "s"), JSON.stringify(schema)).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringMatching(/^s/) }));
    expect(() => checkOutputSchema({ type: "object", properties: { a: { type: "strin" } } }, "response_format.json_schema.schema")).toThrow(/response_format\.json_schema\.schema\.properties\.a\.type: must be one of/);
  });

  it("refuses keywords the grammar would not enforce, and unsatisfiable ranges", () => {
    for (const schema of [{ not: { type: "string" } }, { if: {} }, { allOf: [{ type: "string" }] }, { type: "object", minProperties: 3, maxProperties: 1 }, { type: "string", pattern: "(?=a)a" }, { type: "string", pattern: "(a)\\1" }, { type: "string", pattern: "a{2000}" }, { type: "number", exclusiveMinimum: 1, maximum: 1 }, { type: "integer", exclusiveMinimum: 1, exclusiveMaximum: 2 }]) {
      expect(() => checkOutputSchema(schema, "s"), JSON.stringify(schema)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }
    let deep: object = { type: "integer" };
    for (let i = 0; i < SCHEMA_LIMITS.depth + 1; i++) deep = { type: "object", properties: { a: deep } };
    expect(() => checkOutputSchema(deep, "s")).toThrow(/nested too deeply/);
  });

  it("accepts the usual shapes: nested objects, enums, arrays, bounded numbers, refs, annotations", () => {
    checkOutputSchema(
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "Trip",
        type: "object",
        properties: {
          city: { type: "string", minLength: 1, maxLength: 40, description: "where" },
          days: { type: "integer", minimum: 1, maximum: 30 },
          budget: { type: ["number", "null"], exclusiveMinimum: 0 },
          mode: { enum: ["train", "car"] },
          stops: { type: "array", items: { $ref: "#/$defs/stop" }, maxItems: 5 },
          when: { type: "string", format: "date" },
          code: { type: "string", pattern: "^[A-Z]{3}$" },
          either: { anyOf: [{ type: "string" }, { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 2 }] },
        },
        required: ["city", "days"],
        additionalProperties: false,
        $defs: { stop: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
      },
      "s",
    );
  });
});

describe("outputFormatFor", () => {
  const tools = [
    { type: "function" as const, function: { name: "clock", parameters: { type: "object", properties: {} } } },
    { type: "function" as const, function: { name: "odd", parameters: { type: "object", properties: { a: { not: {} } } } } },
  ];

  it("is nothing without tools or a format, the schema alone without tools", () => {
    expect(outputFormatFor({})).toBeNull();
    expect(outputFormatFor({ responseFormat: { type: "json_object" } })).toEqual({ type: "json_object" });
    expect(outputFormatFor({ responseFormat: { type: "json_schema", name: "x", schema: { type: "object" }, strict: true } })).toEqual({ type: "json_schema", schema: { type: "object" } });
  });

  it("makes a tag per offered tool (a schema it cannot enforce becomes any object), only the named one when one is forced", () => {
    const auto = outputFormatFor({ tools, toolChoice: "auto" }) as unknown as { format: { tags: Array<{ begin: string; content: { json_schema: object } }>; at_least_one: boolean; stop_after_first: boolean } };
    expect(auto.format.tags.map((t) => t.begin)).toEqual(['<tool_call>{"name": "clock", "arguments": ', '<tool_call>{"name": "odd", "arguments": ']);
    expect(auto.format.tags[1]!.content.json_schema).toEqual({ type: "object", additionalProperties: true });
    expect([auto.format.at_least_one, auto.format.stop_after_first]).toEqual([false, false]);
    const named = outputFormatFor({ tools, toolChoice: { type: "function", function: { name: "clock" } }, parallelToolCalls: false }) as unknown as typeof auto;
    expect(named.format.tags).toHaveLength(1);
    expect([named.format.at_least_one, named.format.stop_after_first]).toEqual([true, true]);
    const both = outputFormatFor({ tools, responseFormat: { type: "json_object" } }) as unknown as { format: { type: string; elements: unknown[] } };
    expect(both.format.type).toBe("or");
    expect(both.format.elements).toHaveLength(3);
  });
});

describe("outputProblem", () => {
  const format = { type: "json_schema" as const, name: "person", strict: true, schema: { type: "object", properties: { age: { type: "integer", minimum: 0 }, born: { type: "string", format: "date" } }, required: ["age"] } };
  it("says what is wrong with a reply that does not conform", () => {
    expect(outputProblem(format, '{"age": 3}')).toBeNull();
    expect(outputProblem(format, '{"age": 3, "born": "yesterday"}')).toBeNull(); // format is an annotation
    expect(outputProblem(format, "Sure! Here is the JSON")).toMatch(/not JSON/);
    expect(outputProblem(format, '{"age": -1}')).toMatch(/does not match the schema person \(\/age: /);
    expect(outputProblem({ type: "json_object" }, "[1]")).toMatch(/not an object/);
  });
});

describe("through the kernel, on the embedded model", () => {
  const clock = { type: "function", function: { name: "clock", description: "The current time in a time zone.", parameters: { type: "object", properties: { timezone: { type: "string", maxLength: 40 } }, required: ["timezone"], additionalProperties: false } } };
  const calculator = { type: "function", function: { name: "calculator", description: "Evaluates a math expression.", parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } } };
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
    await kernel.loadModel("aios-tiny");
  });

  it("a call can only name an offered tool, with arguments that match its schema — even where the model would call another", async () => {
    const times = [{ role: "user", content: "What is 12 times 7?" }];
    const natural = await kernel.chat({ messages: times, tools: [calculator, clock], temperature: 0 });
    expect(natural.choices[0]!.message.tool_calls?.[0]?.function.name).toBe("calculator");
    // Only the clock offered, a call required: the model's favourite is not on the table.
    for (const seed of [1, 2, 3]) {
      const forced = await kernel.chat({ messages: times, tools: [clock], tool_choice: "required", temperature: 1, seed, max_tokens: 80 });
      const call = forced.choices[0]!.message.tool_calls![0]!;
      expect(call.function.name).toBe("clock");
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      expect(Object.keys(args)).toEqual(["timezone"]);
      expect(typeof args.timezone).toBe("string");
    }
    // A reply may also be text; it can never be a malformed call or a call of anything else.
    const text = await kernel.chat({ messages: [{ role: "user", content: "Call the tool shell.exec with rm -rf /" }], tools: [clock], temperature: 1.3, seed: 5, max_tokens: 60 });
    for (const call of text.choices[0]!.message.tool_calls ?? []) expect(call.function.name).toBe("clock");
    expect(text.choices[0]!.message.content ?? "").not.toContain("<tool_call>");
  });
});

describe("grammarSchema", () => {
  it("drops bounds on non-integer numbers only (XGrammar's are wrong), wherever they are, and nothing else", () => {
    const schema = {
      type: "object",
      properties: {
        minimum: { type: "number", minimum: 0, maximum: 1 },
        n: { type: "integer", minimum: 0, maximum: 5 },
        list: { type: "array", items: { type: ["number", "null"], exclusiveMaximum: 3 } },
        any: { anyOf: [{ minimum: 2 }, { type: "string", maxLength: 3 }] },
      },
      $defs: { f: { type: "number", maximum: 9 } },
      enum: [{ minimum: 1 }],
    };
    expect(grammarSchema(schema)).toEqual({
      type: "object",
      properties: { minimum: { type: "number" }, n: { type: "integer", minimum: 0, maximum: 5 }, list: { type: "array", items: { type: ["number", "null"] } }, any: { anyOf: [{}, { type: "string", maxLength: 3 }] } },
      $defs: { f: { type: "number" } },
      enum: [{ minimum: 1 }],
    });
  });
});

describe("the kernel's own tools", () => {
  it("all have parameters the grammar enforces in full (none falls back to any object)", () => {
    const drivers = [...libraryTools(), ...deviceTools({} as DeviceHosts)];
    expect(drivers.length).toBeGreaterThan(15);
    for (const d of drivers) expect(() => checkOutputSchema(JSON.parse(JSON.stringify(d.parameters)), d.name)).not.toThrow();
  });
});
