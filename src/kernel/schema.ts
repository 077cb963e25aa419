/**
 * Argument validation at the kernel's boundary: JSON Schemas built with TypeBox, checked by
 * TypeBox's interpreting checker (`Value.Check`/`Value.Errors`, never its `Compile`, which builds
 * code with `new Function`): the app runs under a strict Content-Security-Policy with no
 * `unsafe-eval`. TypeBox's schemas are plain JSON Schema objects, so the same declaration is what a
 * model is shown (OpenAI `tools[].function.parameters`) and what `Static<>` types handlers with.
 */
import { Settings } from "typebox/system";
import { Value } from "typebox/value";
import type { Static, TSchema } from "typebox";
import { KernelError } from "./errors.ts";

export { Type } from "typebox";
export type { Static, TSchema } from "typebox";

// Never generate code: TypeBox only accelerates when this is on and `new Function` works.
Settings.Set({ useAcceleration: false });

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/**
 * Returns `value` typed as the schema's static type, or throws EINVAL whose message names the
 * first bad field (`where` prefixes it, e.g. "args" or "options").
 */
export function validate<S extends TSchema>(schema: S, value: unknown, where = "", rootName = where || "arguments"): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  throw new KernelError("EINVAL", describeErrors(Value.Errors(schema, value) as unknown as SchemaError[], where, rootName));
}

/** True when `value` matches (no error, no message). */
export function matches<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return Value.Check(schema, value);
}

/** The first error in plain words: "args.mode: must be one of "a", "b"", "options.x: unknown field". */
function describeErrors(errors: SchemaError[], where: string, rootName: string): string {
  // The most specific error (deepest in the value) says the most: in a union ("a string or an
  // array of strings") it is the branch that got furthest.
  const depth = (e: SchemaError) => e.instancePath.split("/").length;
  const first = errors.reduce<SchemaError | undefined>((best, e) => (!best || depth(e) > depth(best) ? e : best), undefined);
  if (!first) return `${rootName}: invalid`;
  const at = (e: SchemaError) => fieldPath(where, e.instancePath) || rootName;
  if (first.keyword === "boolean" && first.schemaPath.endsWith("additionalProperties")) return `${at(first)}: unknown field`;
  const allowed = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === "const").map((e) => JSON.stringify(e.params.allowedValue));
  if (allowed.length > 1) return `${at(first)}: must be one of ${allowed.join(", ")}`;
  const types = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === "type").map((e) => String(e.params.type));
  if (types.length > 1) return `${at(first)}: must be ${types.slice(0, -1).join(", ")} or ${types.at(-1)}`;
  if (first.keyword === "enum") return `${at(first)}: must be one of ${((first.params.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
  if (first.keyword === "required") return `${fieldPath(fieldPath(where, first.instancePath), "/" + String((first.params.requiredProperties as unknown[] | undefined)?.[0] ?? "?"))}: is required`;
  return `${at(first)}: ${first.message}`;
}

/** "messages[0].role" from a prefix and a JSON pointer ("/messages/0/role"). */
function fieldPath(prefix: string, pointer: string): string {
  let out = prefix;
  for (const raw of pointer.split("/").filter(Boolean)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}
