import { describe, expect, it } from "vitest";
import { validateChatRequest } from "../../../src/kernel/chat.ts";
import { KernelError } from "../../../src/kernel/errors.ts";

const ok = { messages: [{ role: "user", content: "hi" }] };

function rejects(body: unknown, field: string) {
  try {
    validateChatRequest(body);
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    expect((e as KernelError).code).toBe("EINVAL");
    expect((e as KernelError).message).toContain(field);
    return;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe("validateChatRequest", () => {
  it("accepts a minimal request with OpenAI defaults", () => {
    const r = validateChatRequest(ok);
    expect(r).toMatchObject({ temperature: 1, topP: 1, stop: [], stream: false, maxTokens: undefined });
  });

  it("accepts text content parts and max_completion_tokens", () => {
    const r = validateChatRequest({ messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }], max_completion_tokens: 5 });
    expect(r.messages[0]!.content).toBe("ab");
    expect(r.maxTokens).toBe(5);
  });

  it.each([
    [null, "request"],
    [{}, "messages"],
    [{ messages: [] }, "messages"],
    [{ messages: "hi" }, "messages"],
    [{ messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    [{ messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    [{ ...ok, max_tokens: 0 }, "max_tokens"],
    [{ ...ok, max_tokens: 1.5 }, "max_tokens"],
    [{ ...ok, max_tokens: "10" }, "max_tokens"],
    [{ ...ok, temperature: 3 }, "temperature"],
    [{ ...ok, temperature: Number.NaN }, "temperature"],
    [{ ...ok, top_p: 0 }, "top_p"],
    [{ ...ok, seed: 0.5 }, "seed"],
    [{ ...ok, stop: 4 }, "stop"],
    [{ ...ok, stop: ["a", ""] }, "stop[1]"],
    [{ ...ok, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ ...ok, stream: "yes" }, "stream"],
    [{ ...ok, n: 2 }, "n"],
    [{ ...ok, frobnicate: true }, "frobnicate"],
    [{ messages: [{ role: "user", content: "x".repeat(1_000_001) }] }, "messages[0].content"],
  ])("rejects %j naming %s", (body, field) => rejects(body, field));
});

describe("response_format and parallel_tool_calls", () => {
  const schema = { type: "object", properties: { a: { type: "integer", minimum: 0 } }, required: ["a"] };
  it("takes text, json_object and json_schema (strict by default; no schema means any object)", () => {
    expect(validateChatRequest({ ...ok, response_format: { type: "text" } }).responseFormat).toBeUndefined();
    expect(validateChatRequest({ ...ok, response_format: { type: "json_object" } }).responseFormat).toEqual({ type: "json_object" });
    expect(validateChatRequest({ ...ok, response_format: { type: "json_schema", json_schema: { name: "n", schema } } }).responseFormat).toEqual({ type: "json_schema", name: "n", schema, strict: true });
    expect(validateChatRequest({ ...ok, response_format: { type: "json_schema", json_schema: { name: "n" } } }).responseFormat).toEqual({ type: "json_object" });
    const tools = [{ type: "function", function: { name: "t" } }];
    expect(validateChatRequest({ ...ok, tools, parallel_tool_calls: false }).parallelToolCalls).toBe(false);
    expect(validateChatRequest({ ...ok, tools, parallel_tool_calls: true }).parallelToolCalls).toBeUndefined();
  });

  it.each([
    [{ ...ok, response_format: { type: "xml" } }, "response_format"],
    [{ ...ok, response_format: { type: "json_schema" } }, "response_format"],
    [{ ...ok, response_format: { type: "json_schema", json_schema: { name: "has space", schema } } }, "response_format"],
    [{ ...ok, response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "object", properties: { a: { enum: [] } } } } } }, "response_format.json_schema.schema.properties.a.enum"],
    [{ ...ok, response_format: { type: "json_schema", json_schema: { name: "n", schema: { $ref: "https://evil.example/s.json" } } } }, "response_format.json_schema.schema.$ref"],
    [{ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "{" }], continue_final_message: true, add_generation_prompt: false, response_format: { type: "json_object" } }, "response_format"],
  ])("refuses %j naming %s", (body, field) => rejects(body, field));
});
