// The OpenAI-compatible server (src/server/openai-http.ts) driven by real, unmodified clients: the
// official `openai` SDK and the Vercel AI SDK's openai-compatible provider, against the kernel
// running the embedded model in Node. Text, streaming, usage, errors in OpenAI's shape, tool calls
// (plain, streamed, round trips, the SDKs' own tool loops), client disconnects; and
// `npm run serve` itself as a child process.
import { spawn } from "node:child_process";
import type { Server } from "node:http";
import { request as httpRequest } from "node:http";
import { resolve } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { TransformersSource } from "../../../src/kernel/engines/transformers-source.ts";
import { KernelError, type ErrorCode } from "../../../src/kernel/errors.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { calculatorTool } from "../../../src/kernel/tools/calculator.ts";
import type { ToolContext } from "../../../src/kernel/tools/tool.ts";
import { serveOpenAI } from "../../../src/server/openai-http.ts";
import { isLoopback, parseServeArgs } from "../../../src/server/serve.ts";

const MODEL = "aios-tiny";
const FRANCE: ChatCompletionMessageParam[] = [{ role: "user", content: "What is the capital of France?" }];
const TIMES: ChatCompletionMessageParam[] = [{ role: "user", content: "What is 12 times 7?" }];
const calculator: ChatCompletionTool = {
  type: "function",
  function: {
    name: "calculator",
    description: "Evaluates a math expression.",
    parameters: { type: "object", properties: { expression: { type: "string", description: "e.g. 2*(3+4)" } }, required: ["expression"] },
  },
};
/** The kernel's own calculator (mathjs's limited instance): a real function for the tool loops. */
const calculate = async (expression: string) => String(await calculatorTool.run({ expression }, {} as ToolContext));

let kernel: Kernel;
let server: Server;
let baseUrl: string;
let client: OpenAI;

beforeAll(async () => {
  kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
  await kernel.loadModel(MODEL);
  ({ server, baseUrl } = await serveOpenAI(kernel, 0));
  client = new OpenAI({ baseURL: baseUrl, apiKey: "x" });
});
afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A fake kernel for error paths no real request reaches (mid-stream failures, 5xx). */
async function fakeServer(chat: (body: unknown, options: { onChunk?: (c: unknown) => void }) => Promise<unknown>) {
  let calls = 0;
  const fake = {
    listModels: async () => [{ id: MODEL, engine: "transformers", label: MODEL, embedded: true, cached: true, fits: true, runnable: true, diskBytes: 0, offline: true, loaded: true }],
    interrupt: () => 0,
    chat: (body: unknown, options: { onChunk?: (c: unknown) => void }) => {
      calls++;
      return chat(body, options);
    },
  } as unknown as Kernel;
  const served = await serveOpenAI(fake, 0);
  return { ...served, calls: () => calls, close: () => new Promise<void>((done) => served.server.close(() => done())) };
}

const chunkOf = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });

/** What a client does with streamed `delta.tool_calls`: accumulate them by index. */
function assembleToolCalls(chunks: ChatCompletionChunk[]) {
  const calls: Array<{ id?: string; type?: string; function: { name: string; arguments: string } }> = [];
  for (const chunk of chunks)
    for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { function: { name: "", arguments: "" } });
      if (d.id) call.id = d.id;
      if (d.type) call.type = d.type;
      if (d.function?.name) call.function.name += d.function.name;
      if (d.function?.arguments) call.function.arguments += d.function.arguments;
    }
  return calls;
}

describe("the official openai SDK", () => {
  it("lists and retrieves the loaded model", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    expect(list.data[0]).toMatchObject({ object: "model", owned_by: "aios", created: expect.any(Number) });
    expect(await client.models.retrieve(MODEL)).toMatchObject({ id: MODEL, object: "model" });
    await expect(client.models.retrieve("gpt-4o")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("answers a question; streamed text at temperature 0 equals it, and the last chunk has the usage", async () => {
    const r = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 64 });
    expect(r.object).toBe("chat.completion");
    expect(r.model).toBe(MODEL);
    expect(r.choices[0]!.message.role).toBe("assistant");
    expect(r.choices[0]!.message.content).toContain("Paris");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);

    const stream = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(r.choices[0]!.message.content);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(r.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined || c.usage === null)).toBe(true);
  });

  it("errors are OpenAI errors: a bad field is a BadRequestError naming it, an unknown model a 404", async () => {
    const bad = await client.chat.completions.create({ model: MODEL, messages: FRANCE, frobnicate: 1 } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ status: 400, param: "frobnicate", code: "EINVAL", type: "invalid_request_error", message: expect.stringContaining("frobnicate") });
    const range = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 7 }).catch((e: unknown) => e);
    expect(range).toMatchObject({ status: 400, param: "temperature", message: expect.stringContaining("temperature") });
    const nested = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user" } as never] }).catch((e: unknown) => e);
    expect(nested).toMatchObject({ status: 400, param: "messages[0].content" });

    const missing = await client.chat.completions.create({ model: "gpt-4o", messages: FRANCE }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, param: "model", code: "ENOENT", message: expect.stringContaining("gpt-4o") });
    // A streamed request fails before its stream starts: the same HTTP error, thrown by create().
    await expect(client.chat.completions.create({ model: "gpt-4o", messages: FRANCE, stream: true })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const route = await client.get("/nowhere").catch((e: unknown) => e);
    expect(route).toMatchObject({ status: 404, code: "ENOENT" });
  });

  it("no-op values of unimplemented fields are accepted; any other value is a 400 naming the field", async () => {
    const r = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 64, frequency_penalty: 0, presence_penalty: 0, logprobs: false, response_format: { type: "text" }, store: false });
    expect(r.choices[0]!.message.content).toContain("Paris");
    await expect(client.chat.completions.create({ model: MODEL, messages: FRANCE, frequency_penalty: 0.5 })).rejects.toMatchObject({ status: 400, param: "frequency_penalty" });
    await expect(client.chat.completions.create({ model: MODEL, messages: FRANCE, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { a: { type: "strng" } } } } } })).rejects.toMatchObject({
      status: 400,
      param: "response_format.json_schema.schema.properties.a.type",
    });
  });

  it("structured output: json_schema and json_object replies parse and match, whatever the model would have said", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string", maxLength: 24 }, country: { enum: ["France", "Italy", "Spain"] }, population: { type: "integer", minimum: 0, maximum: 100000000 } },
      required: ["city", "country", "population"],
      additionalProperties: false,
    };
    const r = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 120, response_format: { type: "json_schema", json_schema: { name: "place", schema, strict: true } } });
    expect(r.choices[0]!.finish_reason).toBe("stop");
    const place = JSON.parse(r.choices[0]!.message.content!) as { city: string; country: string; population: number };
    expect(Object.keys(place).sort()).toEqual(["city", "country", "population"]);
    expect(["France", "Italy", "Spain"]).toContain(place.country);
    expect(Number.isInteger(place.population)).toBe(true);
    const stats = kernel.getStats().last!;
    expect(stats.grammarMs).toBeGreaterThan(0);
    const o = await client.chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 120, response_format: { type: "json_object" } });
    if (o.choices[0]!.finish_reason === "stop") expect(typeof JSON.parse(o.choices[0]!.message.content!)).toBe("object");
    else expect(o.choices[0]!.finish_reason).toBe("length");
  });

  it("tool calls: finish_reason tool_calls and the call; streamed deltas assemble to the same call", async () => {
    const r = await client.chat.completions.create({ model: MODEL, messages: TIMES, tools: [calculator], temperature: 0 });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe("calculator");
    const args = JSON.parse(call.function.arguments) as { expression: unknown };
    expect(typeof args.expression).toBe("string");
    expect((args.expression as string).length).toBeGreaterThan(0);

    const chunks: ChatCompletionChunk[] = [];
    const stream = await client.chat.completions.create({ model: MODEL, messages: TIMES, tools: [calculator], tool_choice: "auto", parallel_tool_calls: true, temperature: 0, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) chunks.push(chunk);
    const opening = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0]!;
    expect(opening).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "calculator", arguments: "" } });
    const assembled = assembleToolCalls(chunks);
    expect(assembled).toHaveLength(1);
    expect(assembled[0]).toMatchObject({ type: "function", function: call.function });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0]!.finish_reason).toBe("tool_calls");
    expect(chunks.at(-1)!.usage).toEqual(r.usage);

    // The SDK's own stream accumulator agrees.
    const helper = client.chat.completions.stream({ model: MODEL, messages: TIMES, tools: [calculator], temperature: 0 });
    const final = await helper.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({ type: "function", function: { name: "calculator", arguments: call.function.arguments } });
  });

  it("round trip: the assistant's tool_calls and a tool result come back as a text answer", async () => {
    const first = await client.chat.completions.create({ model: MODEL, messages: TIMES, tools: [calculator], temperature: 0 });
    const assistant = first.choices[0]!.message;
    const call = assistant.tool_calls![0]!;
    const messages: ChatCompletionMessageParam[] = [...TIMES, assistant, { role: "tool", tool_call_id: call.id, content: "84" }];
    const second = await client.chat.completions.create({ model: MODEL, messages, tools: [calculator], temperature: 0 });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(second.choices[0]!.message.tool_calls).toBeUndefined();
    expect(second.choices[0]!.message.content).toContain("84");
    // tool_choice "none" is accepted with tools, and a forced tool is named.
    const none = await client.chat.completions.create({ model: MODEL, messages: FRANCE, tools: [calculator], tool_choice: "none", temperature: 0, max_tokens: 64 });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    const unknown = await client.chat.completions.create({ model: MODEL, messages: TIMES, tools: [calculator], tool_choice: { type: "function", function: { name: "nope" } } }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400, param: "tool_choice.function.name" });
  });

  it("runTools runs the calculator end to end (plain and streamed)", async () => {
    for (const stream of [false, true]) {
      const seen: string[] = [];
      const params = {
        model: MODEL,
        messages: TIMES,
        temperature: 0,
        tools: [
          {
            type: "function" as const,
            function: {
              name: "calculator",
              description: "Evaluates a math expression.",
              parameters: calculator.function.parameters!,
              parse: (input: string) => JSON.parse(input) as { expression: string },
              function: async ({ expression }: { expression: string }) => {
                seen.push(expression);
                return calculate(expression);
              },
            },
          },
        ],
      };
      const runner = stream ? client.chat.completions.runTools({ ...params, stream: true }) : client.chat.completions.runTools(params);
      const content = await runner.finalContent();
      expect(seen).toHaveLength(1);
      expect(await calculate(seen[0]!)).toBe("84");
      expect(content).toContain("84");
      expect(runner.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    }
  });

  it("a client that disconnects interrupts its generation (streamed and not)", async () => {
    const story = { model: MODEL, messages: [{ role: "user" as const, content: "Tell me a short story about a cat." }], temperature: 1, seed: 3, max_tokens: 1000 };
    const whole = await kernel.chat(story);
    expect(whole.usage.completion_tokens).toBeGreaterThan(40);

    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...story, stream: true }, { signal: controller.signal });
    let pieces = 0;
    // The SDK ends the iteration quietly on its own abort.
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content && ++pieces === 2) controller.abort();
    expect(pieces).toBe(2);
    await expect.poll(() => kernel.requests.all().length, { timeout: 5000 }).toBe(0);
    expect(kernel.getStats().history.at(-1)!.requestId).toMatch(/^http-/);
    expect(kernel.getStats().history.at(-1)!.completionTokens).toBeLessThan(whole.usage.completion_tokens);

    // Not streamed: the socket closes once the kernel has started generating.
    const before = kernel.getStats().history.length;
    const started = () => kernel.getStats().history.length > before && kernel.getStats().history.at(-1)!.firstTokenAt !== null;
    await new Promise<void>((done) => {
      const req = httpRequest(`${baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } });
      req.on("error", () => done());
      req.end(JSON.stringify(story));
      const poll = setInterval(() => {
        if (!started()) return;
        clearInterval(poll);
        req.destroy();
      }, 1);
    });
    await expect.poll(() => kernel.requests.all().length, { timeout: 5000 }).toBe(0);
    const last = kernel.getStats().history.at(-1)!;
    expect(last.requestId).toMatch(/^http-/);
    expect(last.completionTokens).toBeLessThan(whole.usage.completion_tokens);
  });

  it("a mid-stream error is one SSE error event the SDK throws; status codes, types and retries follow OpenAI", async () => {
    const mid = await fakeServer(async (_, { onChunk }) => {
      onChunk!(chunkOf({ role: "assistant", content: "" }));
      onChunk!(chunkOf({ content: "Once" }));
      throw new KernelError("EKILLED", "pid 7 (agent) was killed");
    });
    const sdk = new OpenAI({ baseURL: mid.baseUrl, apiKey: "x" });
    const got: string[] = [];
    const error = await (async () => {
      for await (const chunk of await sdk.chat.completions.create({ model: MODEL, messages: FRANCE, stream: true })) got.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(got.join("")).toBe("Once");
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ message: expect.stringContaining("pid 7 (agent) was killed"), code: "EKILLED", type: "server_error" });
    const raw = await fetch(`${mid.baseUrl}/chat/completions`, { method: "POST", body: JSON.stringify({ stream: true }) });
    expect(raw.status).toBe(200);
    expect((await raw.text()).trim().split("\n\n").at(-1)).toBe('data: {"error":{"message":"pid 7 (agent) was killed","type":"server_error","param":null,"code":"EKILLED"}}');
    await mid.close();

    const cases: Array<[ErrorCode, number, string, unknown, number]> = [
      ["EPERM", 403, "permission_error", OpenAI.PermissionDeniedError, 1],
      ["EQUOTA", 429, "insufficient_quota", OpenAI.RateLimitError, 1],
      ["EBUSY", 409, "invalid_request_error", OpenAI.ConflictError, 2],
      ["ENOTREADY", 503, "server_error", OpenAI.InternalServerError, 2],
      ["EINTERNAL", 500, "server_error", OpenAI.InternalServerError, 1],
    ];
    for (const [code, status, type, cls, attempts] of cases) {
      const fake = await fakeServer(async () => {
        throw new KernelError(code, `it failed (${code})`);
      });
      const sdk1 = new OpenAI({ baseURL: fake.baseUrl, apiKey: "x", maxRetries: 1 });
      const e = await sdk1.chat.completions.create({ model: MODEL, messages: FRANCE }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(cls as typeof OpenAI.APIError);
      expect(e).toMatchObject({ status, type, code, param: null });
      // x-should-retry: only transient errors (busy, not ready) are worth the SDK's retry.
      expect(fake.calls()).toBe(attempts);
      await fake.close();
    }
  });

  it("keeps CORS open for browser clients", async () => {
    const pre = await fetch(`${baseUrl}/chat/completions`, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    const list = await fetch(`${baseUrl}/models`);
    expect(list.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("the Vercel AI SDK (openai-compatible provider)", () => {
  const aios = () => createOpenAICompatible({ name: "aios", baseURL: baseUrl, includeUsage: true });

  it("generates and streams text with usage", async () => {
    const truth = await kernel.chat({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 64 });
    const r = await generateText({ model: aios()(MODEL), prompt: "What is the capital of France?", temperature: 0, maxOutputTokens: 64 });
    expect(r.text).toBe(truth.choices[0]!.message.content);
    expect(r.text).toContain("Paris");
    expect(r.finishReason).toBe("stop");
    expect(r.usage).toMatchObject({ inputTokens: truth.usage.prompt_tokens, outputTokens: truth.usage.completion_tokens, totalTokens: truth.usage.total_tokens });

    const s = streamText({ model: aios()(MODEL), prompt: "What is the capital of France?", temperature: 0, maxOutputTokens: 64 });
    let text = "";
    for await (const piece of s.textStream) text += piece;
    expect(text).toBe(r.text);
    expect(await s.finishReason).toBe("stop");
    expect(await s.usage).toMatchObject({ inputTokens: truth.usage.prompt_tokens, outputTokens: truth.usage.completion_tokens });
  });

  it("runs a tool loop (zod schema): a calculator call, its result, then a text answer with 84", async () => {
    const seen: string[] = [];
    const r = await generateText({
      model: aios()(MODEL),
      prompt: "What is 12 times 7?",
      temperature: 0,
      tools: {
        calculator: tool({
          description: "Evaluates a math expression.",
          inputSchema: z.object({ expression: z.string() }),
          execute: async ({ expression }) => {
            seen.push(expression);
            return calculate(expression);
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]!.finishReason).toBe("tool-calls");
    expect(r.steps[0]!.toolCalls.map((c) => c.toolName)).toEqual(["calculator"]);
    expect(r.steps[0]!.toolResults[0]!.output).toBe("84");
    expect(seen).toHaveLength(1);
    expect(r.finishReason).toBe("stop");
    expect(r.text).toContain("84");
    expect(r.totalUsage.inputTokens).toBeGreaterThan(r.steps[1]!.usage.inputTokens!);
  });

  it("streams a tool loop (JSON schema): the same call and answer", async () => {
    const s = streamText({
      model: aios()(MODEL),
      prompt: "What is 12 times 7?",
      temperature: 0,
      tools: {
        calculator: tool({
          description: "Evaluates a math expression.",
          inputSchema: jsonSchema<{ expression: string }>({ type: "object", properties: { expression: { type: "string" } }, required: ["expression"], additionalProperties: false }),
          execute: async ({ expression }) => calculate(expression),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    const parts: string[] = [];
    for await (const part of s.fullStream) {
      if (part.type === "error") throw part.error;
      parts.push(part.type);
    }
    expect(parts).toContain("tool-call");
    expect(parts).toContain("tool-result");
    const steps = await s.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolCalls[0]!.toolName).toBe("calculator");
    expect(await s.text).toContain("84");
    expect(await s.finishReason).toBe("stop");
  });

  it("surfaces server errors as API errors with the server's message", async () => {
    const e = await generateText({ model: aios()("gpt-4o"), prompt: "hi", maxRetries: 0 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ statusCode: 404, message: expect.stringContaining("gpt-4o") });
  });
});

describe("npm run serve", () => {
  it("parses its options and refuses non-loopback hosts", () => {
    expect(parseServeArgs([])).toEqual({ port: 8000, host: "127.0.0.1", model: "aios-tiny", help: false });
    expect(parseServeArgs(["--port", "0", "--host", "::1", "--model", "aios-tiny-q8"])).toEqual({ port: 0, host: "::1", model: "aios-tiny-q8", help: false });
    expect(() => parseServeArgs(["--host", "0.0.0.0"])).toThrow("not a loopback address");
    expect(() => parseServeArgs(["--host", "192.168.1.2"])).toThrow("not a loopback address");
    expect(() => parseServeArgs(["--port", "70000"])).toThrow("--port");
    expect(() => parseServeArgs(["--model", "gpt-4o"])).toThrow("--model");
    expect(() => parseServeArgs(["--nope"])).toThrow();
    expect(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "example.com"].some(isLoopback)).toBe(false);
  });

  it("serves on a free port, answers, and exits 0 on SIGTERM", async () => {
    const child = spawn("npm", ["run", "serve", "--", "--port", "0"], { cwd: resolve("."), stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    try {
      const url = await new Promise<string>((done, fail) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d;
          const m = /AIOS OpenAI-compatible server on (http:\/\/127\.0\.0\.1:\d+\/v1) \(model aios-tiny, cpu\)\n/.exec(out);
          if (m) done(m[1]!);
        });
        child.on("exit", (code) => fail(new Error(`exited ${code} before it was ready: ${out}${err}`)));
      });
      const models = (await (await fetch(`${url}/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(["aios-tiny"]);
      const r = await new OpenAI({ baseURL: url, apiKey: "x" }).chat.completions.create({ model: MODEL, messages: FRANCE, temperature: 0, max_tokens: 64 });
      expect(r.choices[0]!.message.content).toContain("Paris");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
