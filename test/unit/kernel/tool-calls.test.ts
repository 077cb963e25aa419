// Tool calls as text: rendering (byte-identical to what the embedded model was trained on),
// parsing replies into OpenAI tool_calls, the stream filter, names for OpenAI servers, and the
// prompted conversation for runtimes without tools.
import { describe, expect, it } from "vitest";
import { ToolCallFilter, ToolNameMap, parseToolCalls, promptedMessages, pythonJson, renderToolCall } from "../../../src/kernel/tool-calls.ts";

const calc = '<tool_call>{"name": "calculator", "arguments": {"expression": "12*7"}}</tool_call>';

describe("pythonJson", () => {
  it("matches Python's json.dumps defaults", () => {
    expect(pythonJson({ a: [1, 2.5, true, null], b: "é ☃ 😀", c: {} })).toBe('{"a": [1, 2.5, true, null], "b": "\\u00e9 \\u2603 \\ud83d\\ude00", "c": {}}');
    expect(pythonJson('quote " and \\ and \n')).toBe('"quote \\" and \\\\ and \\n"');
  });
});

describe("parseToolCalls / renderToolCall", () => {
  it("parses the trained format and renders it back byte for byte", () => {
    const { content, calls } = parseToolCalls(calc, ["calculator", "clock"]);
    expect(content).toBe("");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: "function", function: { name: "calculator", arguments: '{"expression": "12*7"}' } });
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(renderToolCall(calls[0]!)).toBe(calc);
  });

  it("keeps text around calls, accepts a missing closing tag and string arguments", () => {
    const { content, calls } = parseToolCalls('Let me check. <tool_call>{"name": "clock", "arguments": "{\\"timeZone\\": \\"UTC\\"}"}', ["clock"]);
    expect(content).toBe("Let me check.");
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ timeZone: "UTC" });
  });

  it("leaves calls to tools that were not offered, and malformed ones, as text", () => {
    for (const text of [calc, "<tool_call>{not json}</tool_call>", '<tool_call>{"name": "calculator", "arguments": [1]}</tool_call>', "<tool_call>42</tool_call>"]) {
      const { content, calls } = parseToolCalls(text, ["clock"]);
      expect(calls).toEqual([]);
      expect(content).toBe(text);
    }
  });
});

describe("ToolCallFilter", () => {
  it("releases plain text at once and never releases a call's text", () => {
    const f = new ToolCallFilter(["calculator"]);
    let shown = "";
    for (const piece of ["The ", "answer <", "tool", "_call>{\"name\": \"calculator\", ", '"arguments": {"expression": "1+1"}}</tool_call>']) shown += f.push(piece);
    const end = f.finish();
    expect(shown).toBe("The answer ");
    expect(end.calls).toHaveLength(1);
    expect(end.tail).toBe("");
    expect(end.content).toBe("The answer");
  });

  it("gives held text back when it was not a call after all", () => {
    const f = new ToolCallFilter(["calculator"]);
    let shown = "";
    for (const piece of ["a <", "tool", "box> b"]) shown += f.push(piece);
    const end = f.finish();
    expect(shown + end.tail).toBe("a <toolbox> b");
    expect(end.calls).toEqual([]);
    const g = new ToolCallFilter(["calculator"]);
    shown = g.push("<tool_call>{broken");
    expect(shown + g.finish().tail).toBe("<tool_call>{broken");
  });
});

describe("ToolNameMap", () => {
  it("maps dotted names to OpenAI's pattern and back, without collisions", () => {
    const m = new ToolNameMap(["files.write", "files_write", "web.read", "calculator"]);
    const remote = ["files.write", "files_write", "web.read", "calculator"].map((n) => m.remote(n));
    for (const r of remote) expect(r).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set(remote).size).toBe(4);
    expect(remote.map((r) => m.local(r))).toEqual(["files.write", "files_write", "web.read", "calculator"]);
  });
});

describe("promptedMessages", () => {
  it("puts the tools into the system message and turns tool results into marked user messages", () => {
    const call = { id: "call_1", type: "function" as const, function: { name: "calculator", arguments: '{"expression": "2+2"}' } };
    const out = promptedMessages(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "2+2?" },
        { role: "assistant", content: "", tool_calls: [call] },
        { role: "tool", content: "4", tool_call_id: "call_1" },
      ],
      [{ type: "function", function: { name: "calculator", description: "Evaluates arithmetic.", parameters: { type: "object" } } }],
    );
    expect(out.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(out[0]!.content).toContain("Be brief.");
    expect(out[0]!.content).toContain('"name":"calculator"');
    expect(out[2]!.content).toBe('<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}</tool_call>');
    expect(out[3]!.content).toBe("Tool result (calculator):\n4");
  });
});

describe("a closing tag inside a call's string arguments", () => {
  it("does not end the call (the grammar allows any string there)", () => {
    const text = '<tool_call>{"name": "files.write", "arguments": {"path": "a.txt", "content": "x}}</tool_call> y"}}</tool_call>';
    const { calls, content } = parseToolCalls(text, ["files.write"]);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ path: "a.txt", content: "x}}</tool_call> y" });
    expect(content).toBe("");
  });
});
