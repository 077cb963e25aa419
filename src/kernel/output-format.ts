/**
 * What a completion's text must be (issue 11, part 1), independent of how an engine enforces it:
 * `response_format` (JSON, or JSON matching a schema), valid calls of the offered tools, the
 * JSON Schema subset the kernel accepts for both, the grammar (an XGrammar structural tag) that
 * says it, and the check of a finished reply against it.
 *
 * Invariants:
 * - A schema passes `checkOutputSchema` only if it uses the keywords listed in SCHEMA_KEYWORDS with
 *   well-formed, satisfiable values: XGrammar's converter stops its whole WebAssembly module on
 *   anything else (an unknown type, an empty enum, a bad pattern, minimum > maximum, …), so nothing
 *   unchecked ever reaches it.
 * - Every tool call the grammar allows is one `parseToolCalls` accepts: an offered tool's name, an
 *   object of arguments matching that tool's schema (or any object, where the schema uses keywords
 *   outside the subset — the tool still checks its own arguments).
 * - Pure: no engine, no XGrammar; the engines and the kernel's boundary share it.
 */
import { Value } from "typebox/value";
import type { ResponseFormat, ToolChoice, ToolSpec } from "./engine.ts";
import { KernelError } from "./errors.ts";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, pythonJson } from "./tool-calls.ts";

export type JsonSchema = Record<string, unknown>;

export type { ResponseFormat };

/** What a decoding grammar enforces: XGrammar's built-in JSON, a JSON Schema, or a structural tag. */
export type OutputFormat = { type: "json_object" } | { type: "json_schema"; schema: JsonSchema } | { type: "structural_tag"; format: JsonSchema };

/** Keywords the grammar enforces; anything else (besides annotations) is refused. */
export const SCHEMA_KEYWORDS = [
  "type",
  "enum",
  "const",
  "properties",
  "patternProperties",
  "required",
  "additionalProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "anyOf",
  "oneOf",
  "$ref",
  "$defs",
  "definitions",
] as const;

/** Keywords that describe and constrain nothing (`format` is an annotation in JSON Schema 2020-12). */
const ANNOTATIONS = new Set(["title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "format", "contentMediaType", "contentEncoding"]);
const KEYWORDS = new Set<string>(SCHEMA_KEYWORDS);
const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

/** Bounds that keep the compiled grammar small (XGrammar unrolls counted repetitions). */
export const SCHEMA_LIMITS = { depth: 64, nodes: 4096, length: 10_000_000, items: 1024, choices: 256, patternChars: 512, repeat: 1000 } as const;

/**
 * Throws EINVAL (naming `where` and the path) unless `schema` is in the subset the grammar
 * enforces, with values XGrammar accepts.
 */
export function checkOutputSchema(schema: unknown, where: string): void {
  const fail = (path: string, problem: string): never => {
    throw new KernelError("EINVAL", `${where}${path ? `.${path}` : ""}: ${problem}`);
  };
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) fail("", "must be a JSON Schema object");
  let nodes = 0;
  const resolves = (ref: string): boolean => {
    if (ref === "#") return true;
    if (!ref.startsWith("#/")) return false;
    let at: unknown = schema;
    for (const raw of ref.slice(2).split("/")) {
      let part: string;
      try {
        part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      } catch {
        return false;
      }
      if (typeof at !== "object" || at === null || !Object.prototype.hasOwnProperty.call(at, part)) return false;
      at = (at as Record<string, unknown>)[part];
    }
    return (typeof at === "object" && at !== null && !Array.isArray(at)) || typeof at === "boolean";
  };
  const count = (value: unknown, path: string, max: number): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) fail(path, `must be a whole number from 0 to ${max}`);
    return value as number;
  };
  const bound = (value: unknown, path: string): number => {
    if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) fail(path, `must be a number between ±${Number.MAX_SAFE_INTEGER}`);
    return value as number;
  };
  const schemas = (value: unknown, path: string, depth: number, nonEmpty: boolean): void => {
    if (!Array.isArray(value) || (nonEmpty && value.length === 0) || value.length > SCHEMA_LIMITS.choices) fail(path, `must be a${nonEmpty ? " non-empty" : "n"} array of at most ${SCHEMA_LIMITS.choices} schemas`);
    (value as unknown[]).forEach((s, i) => visit(s, `${path}[${i}]`, depth + 1));
  };
  const named = (value: unknown, path: string, depth: number): void => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be an object of schemas");
    for (const [key, s] of Object.entries(value as object)) visit(s, `${path}.${key}`, depth + 1);
  };
  const visit = (node: unknown, path: string, depth: number): void => {
    if (depth > SCHEMA_LIMITS.depth) fail(path, `is nested too deeply (over ${SCHEMA_LIMITS.depth} levels)`);
    if (++nodes > SCHEMA_LIMITS.nodes) fail(path, `the schema has over ${SCHEMA_LIMITS.nodes} parts`);
    if (typeof node === "boolean") return;
    if (typeof node !== "object" || node === null || Array.isArray(node)) fail(path, "must be a schema (an object or a boolean)");
    const s = node as Record<string, unknown>;
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const [key, value] of Object.entries(s)) {
      if (ANNOTATIONS.has(key)) continue;
      if (!KEYWORDS.has(key)) fail(at(key), `the keyword ${JSON.stringify(key)} is not supported in constrained output (supported: ${SCHEMA_KEYWORDS.join(", ")})`);
      switch (key) {
        case "type": {
          const list = Array.isArray(value) ? value : [value];
          if (list.length === 0 || list.some((t) => typeof t !== "string" || !TYPES.has(t)) || new Set(list).size !== list.length) fail(at(key), `must be one of ${[...TYPES].join(", ")} (or a list of them)`);
          break;
        }
        case "enum":
          if (!Array.isArray(value) || value.length === 0 || value.length > SCHEMA_LIMITS.items) fail(at(key), `must be a non-empty array of at most ${SCHEMA_LIMITS.items} values`);
          break;
        case "properties":
        case "$defs":
        case "definitions":
          named(value, at(key), depth);
          break;
        case "patternProperties":
          named(value, at(key), depth);
          for (const pattern of Object.keys(value as object)) checkPattern(pattern, `${at(key)}[${JSON.stringify(pattern)}]`, fail);
          break;
        case "required":
          if (!Array.isArray(value) || value.some((r) => typeof r !== "string") || new Set(value).size !== value.length) fail(at(key), "must be an array of distinct property names");
          break;
        case "additionalProperties":
        case "items":
          visit(value, at(key), depth + 1);
          break;
        case "prefixItems":
          schemas(value, at(key), depth, false);
          break;
        case "anyOf":
        case "oneOf":
          schemas(value, at(key), depth, true);
          break;
        case "minItems":
        case "maxItems":
        case "minProperties":
        case "maxProperties":
          count(value, at(key), SCHEMA_LIMITS.items);
          break;
        case "minLength":
        case "maxLength":
          count(value, at(key), SCHEMA_LIMITS.length);
          break;
        case "minimum":
        case "maximum":
        case "exclusiveMinimum":
        case "exclusiveMaximum":
          bound(value, at(key));
          break;
        case "pattern":
          checkPattern(value, at(key), fail);
          break;
        case "$ref":
          if (typeof value !== "string" || !resolves(value)) fail(at(key), `${JSON.stringify(value)} does not point into the schema (only local references like "#/$defs/x" are supported)`);
          break;
      }
    }
    const order = (low: string, high: string) => {
      if (typeof s[low] === "number" && typeof s[high] === "number" && (s[low] as number) > (s[high] as number)) fail(at(low), `is greater than ${high}`);
    };
    order("minItems", "maxItems");
    order("minProperties", "maxProperties");
    order("minLength", "maxLength");
    // A numeric range must hold a value (an integer, for "integer").
    const integer = s.type === "integer";
    const lows: Array<[number, boolean]> = [];
    const highs: Array<[number, boolean]> = [];
    if (typeof s.minimum === "number") lows.push(integer ? [Math.ceil(s.minimum), false] : [s.minimum, false]);
    if (typeof s.exclusiveMinimum === "number") lows.push(integer ? [Math.floor(s.exclusiveMinimum) + 1, false] : [s.exclusiveMinimum, true]);
    if (typeof s.maximum === "number") highs.push(integer ? [Math.floor(s.maximum), false] : [s.maximum, false]);
    if (typeof s.exclusiveMaximum === "number") highs.push(integer ? [Math.ceil(s.exclusiveMaximum) - 1, false] : [s.exclusiveMaximum, true]);
    for (const [lo, loOpen] of lows) {
      for (const [hi, hiOpen] of highs) if (lo > hi || (lo === hi && (loOpen || hiOpen))) fail(path || "schema", "its minimum and maximum leave no value");
    }
    if (s.items === false && Array.isArray(s.prefixItems) && typeof s.minItems === "number" && s.minItems > s.prefixItems.length) fail(at("minItems"), "asks for more items than prefixItems allows");
  };
  visit(schema, "", 0);
}

/**
 * Regular expressions for `pattern`: JavaScript's syntax (checked by compiling it), without the
 * constructs XGrammar's regex converter does not take (lookaround, backreferences, word
 * boundaries, Unicode property classes, named groups), with counted repetitions of at most
 * SCHEMA_LIMITS.repeat.
 */
function checkPattern(value: unknown, path: string, fail: (path: string, problem: string) => never): void {
  if (typeof value !== "string" || value.length > SCHEMA_LIMITS.patternChars) fail(path, `must be a regular expression of at most ${SCHEMA_LIMITS.patternChars} characters`);
  const pattern = value as string;
  try {
    new RegExp(pattern, "u");
  } catch (error) {
    fail(path, `is not a valid regular expression: ${(error as Error).message}`);
  }
  if (/\(\?[=!<]|\\[1-9bBkpP]/.test(pattern)) fail(path, "uses lookaround, a backreference, a word boundary, a named group or a Unicode property class, which constrained output does not support");
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    if (Number(m[1]) > SCHEMA_LIMITS.repeat || (m[2] && Number(m[2]) > SCHEMA_LIMITS.repeat)) fail(path, `repeats more than ${SCHEMA_LIMITS.repeat} times`);
  }
}

/** A structural tag's `{ type: "json_schema", json_schema }` parts, each replaced by what `f` makes of it. */
export function mapTagSchemas(node: unknown, f: (part: { type: "json_schema"; json_schema: unknown } & Record<string, unknown>) => unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => mapTagSchemas(n, f));
  if (typeof node !== "object" || node === null) return node;
  const n = node as Record<string, unknown>;
  if (n.type === "json_schema" && "json_schema" in n) return f(n as { type: "json_schema"; json_schema: unknown });
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, mapTagSchemas(v, f)]));
}

/**
 * `schema` with `fn` applied to every schema node in it, children first (maps of schemas, lists of
 * schemas and single subschemas; values that are data — enum, const, default — are left alone).
 */
export function mapSchema<T>(schema: T, fn: (node: Record<string, unknown>) => Record<string, unknown>): T {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (SCHEMA_MAPS.has(key) && typeof value === "object" && value !== null) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSchema(v, fn)]));
    else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((v) => mapSchema(v, fn));
    else if (SCHEMA_VALUES.has(key)) out[key] = mapSchema(value, fn);
    else out[key] = value;
  }
  return fn(out) as T;
}

/** Bounds on non-integer numbers: XGrammar's grammar for them is wrong, ours (number-grammar.ts) is used where we compile. */
export const NUMBER_BOUNDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] as const;

/** The node can be a non-integer number and has bounds. */
export function isBoundedFloat(node: Record<string, unknown>): boolean {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return (node.type === undefined || types.includes("number")) && NUMBER_BOUNDS.some((k) => typeof node[k] === "number");
}

/**
 * The schema as web-llm's XGrammar is given it: without `minProperties`/`maxProperties` (not
 * tried with XGrammar) and without bounds on non-integer numbers (XGrammar 0.1.27's range grammar
 * for them is wrong both ways: [0, 1] admits 1.9, `minimum: 0` refuses 0.5); the kernel checks both
 * in the finished reply. Integer bounds are exact and kept. (The Transformers.js engine compiles
 * exact number ranges itself: grammar.ts.)
 */
export function grammarSchema<T>(schema: T): T {
  return mapSchema(schema, (node) => {
    const floats = isBoundedFloat(node);
    return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "minProperties" && key !== "maxProperties" && !(floats && (NUMBER_BOUNDS as readonly string[]).includes(key))));
  });
}

/** Keywords whose value is a map of schemas, a list of schemas, or a schema. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions"]);
const SCHEMA_LISTS = new Set(["prefixItems", "anyOf", "oneOf"]);
const SCHEMA_VALUES = new Set(["items", "additionalProperties"]);

/** True when `schema` passes checkOutputSchema. */
export function isSupportedSchema(schema: unknown): boolean {
  try {
    checkOutputSchema(schema, "schema");
    return true;
  } catch {
    return false;
  }
}

/** Any JSON object (XGrammar's strict mode would otherwise read a bare `{type: "object"}` as `{}` only). */
const ANY_OBJECT: JsonSchema = { type: "object", additionalProperties: true };

/**
 * The grammar for one generation: the response format, and for engines whose models write tool
 * calls as text, "text, or calls of the offered tools" (an XGrammar structural tag: each tool is a
 * tag `<tool_call>{"name": "<name>", "arguments": ` + its schema + `}</tool_call>`, triggered by
 * `<tool_call>`, so the model can never write a call to anything else, nor a malformed one).
 * With both, the reply is one call or the JSON answer. Null when nothing constrains the output.
 */
export function outputFormatFor(options: { responseFormat?: ResponseFormat; tools?: ToolSpec[]; toolChoice?: ToolChoice; parallelToolCalls?: boolean }): OutputFormat | null {
  const { responseFormat, tools } = options;
  if (!tools?.length) {
    if (!responseFormat) return null;
    return responseFormat.type === "json_object" ? { type: "json_object" } : { type: "json_schema", schema: responseFormat.schema };
  }
  const choice = options.toolChoice ?? "auto";
  const offered = typeof choice === "object" ? tools.filter((t) => t.function.name === choice.function.name) : tools;
  const tags = offered.map((t) => ({
    type: "tag",
    begin: `${TOOL_CALL_OPEN}{"name": ${pythonJson(t.function.name)}, "arguments": `,
    content: { type: "json_schema", json_schema: toolArgumentsSchema(t.function.parameters) },
    end: `}${TOOL_CALL_CLOSE}`,
  }));
  const mustCall = choice !== "auto";
  if (responseFormat && !mustCall) {
    const answer = responseFormat.type === "json_schema" ? responseFormat.schema : ANY_OBJECT;
    return { type: "structural_tag", format: { type: "or", elements: [...tags, { type: "json_schema", json_schema: answer }] } };
  }
  return { type: "structural_tag", format: { type: "triggered_tags", triggers: [TOOL_CALL_OPEN], tags, at_least_one: mustCall, stop_after_first: options.parallelToolCalls === false } };
}

/** A tool's arguments: its schema where the grammar can enforce it (as an object), else any object. */
function toolArgumentsSchema(parameters: Record<string, unknown> | undefined): JsonSchema {
  if (!parameters || Object.keys(parameters).length === 0) return ANY_OBJECT;
  if (!isSupportedSchema(parameters)) return ANY_OBJECT;
  if (parameters.type === undefined) return { ...parameters, type: "object" };
  return parameters.type === "object" ? parameters : ANY_OBJECT;
}

/** `schema` without `format` (an annotation: the grammar does not enforce it, so neither does the check). */
function withoutFormats(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutFormats);
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key, value]) => !(key === "format" && typeof value === "string")).map(([key, value]) => [key, withoutFormats(value)]));
}

/**
 * Checks a finished reply against its response format: null if it conforms, else what is wrong
 * (for engines that cannot constrain their decoding, such as a remote server that ignored it).
 */
export function outputProblem(format: ResponseFormat, text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the reply is not JSON";
  }
  if (format.type === "json_object") return typeof value === "object" && value !== null && !Array.isArray(value) ? null : "the reply is JSON but not an object";
  const schema = withoutFormats(format.schema) as Parameters<typeof Value.Check>[0];
  if (Value.Check(schema, value)) return null;
  const first = [...Value.Errors(schema, value)][0] as { instancePath?: string; message?: string } | undefined;
  return `the reply does not match the schema ${format.name}${first ? ` (${first.instancePath || "/"}: ${first.message})` : ""}`;
}
