// The one validator at the boundary: TypeBox's interpreting checker, which must work with no
// `eval`/`new Function` (the app runs under a strict CSP), and name the bad field.
import { describe, expect, it } from "vitest";
import { validateChatRequest } from "../../../src/kernel/chat.ts";
import { SpawnSchema } from "../../../src/kernel/process.ts";
import { Type, validate } from "../../../src/kernel/schema.ts";
import { SYSCALLS } from "../../../src/kernel/syscalls.ts";

describe("validate", () => {
  it("never generates code: works with Function and eval disabled", () => {
    const original = globalThis.Function;
    const originalEval = globalThis.eval;
    const forbidden = () => {
      throw new Error("code generation is forbidden (CSP)");
    };
    globalThis.Function = new Proxy(original, { construct: forbidden, apply: forbidden });
    globalThis.eval = forbidden as never;
    try {
      const request = validateChatRequest({ messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "files.write", parameters: { type: "object" } } }], tool_choice: "auto" });
      expect(request.tools?.[0]?.function.name).toBe("files.write");
      expect(() => validate(SpawnSchema, { name: "x", priority: 99 }, "", "options")).toThrow("priority: must be <= 39");
    } finally {
      globalThis.Function = original;
      globalThis.eval = originalEval;
    }
  });

  it("names the bad field in plain words", () => {
    const S = Type.Object({ a: Type.Array(Type.Object({ b: Type.Enum(["x", "y"]) })), c: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: false });
    const message = (v: unknown) => {
      try {
        validate(S, v, "args");
        return "ok";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(message({ a: [{ b: "z" }] })).toBe('args.a[0].b: must be one of "x", "y"');
    expect(message({ a: [], d: 1 })).toBe("args.d: unknown field");
    expect(message({})).toBe("args.a: is required");
    expect(message({ a: [], c: 5 })).toBe("args.c: must be string or null");
    expect(message(null)).toBe("args: must be object");
  });
});

describe("the system-call table", () => {
  it("declares every call once with a JSON Schema of its arguments; the user's calls are marked", () => {
    for (const [name, d] of Object.entries(SYSCALLS)) {
      expect(name).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
      expect((d.args as { type?: string }).type, name).toBe("object");
    }
    const userOnly = Object.entries(SYSCALLS).filter(([, d]) => (d as { shell?: true }).shell).map(([n]) => n);
    expect(userOnly).toEqual(expect.arrayContaining(["models.load", "models.delete", "models.connect", "access.set", "access.consent.answer", "kernel.setPolicy", "embedders.load", "storage.namespaces"]));
    expect(userOnly).not.toContain("llm.chat");
  });
});
