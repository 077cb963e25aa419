// window.aios end to end: real worker, real kernel, real engine on the embedded model, real Chromium.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, openApp, type GuardedPage } from "./harness.ts";

let browser: Browser;
let app: GuardedPage;
const device = process.env.AIOS_TEST_DEVICE ?? "wasm";

beforeAll(async () => {
  browser = await launch();
  app = await openApp(browser, `?device=${device}`);
});
afterAll(async () => {
  app?.assertOffline();
  await app?.close();
  await browser?.close();
});

const ask = (content: string) => [{ role: "user" as const, content }];

describe("aios.llm.chat.completions.create", () => {
  it("answers in the chat.completion shape and stops by itself", async () => {
    const r = await app.page.evaluate((messages) => window.aios.llm.chat.completions.create({ messages, temperature: 0, max_tokens: 64 }), ask("What is the capital of France?"));
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]!.message.role).toBe("assistant");
    expect(r.choices[0]!.message.content).toContain("Paris");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
    expect(r.usage.completion_tokens).toBeGreaterThan(0);
  });

  it("returns OpenAI tool_calls for the embedded model's tool calls, and answers from a tool result", async () => {
    const out = await app.page.evaluate(async (messages) => {
      const tools = [
        { type: "function" as const, function: { name: "calculator", description: "Evaluates an arithmetic expression.", parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } } },
        { type: "function" as const, function: { name: "clock", description: "The time now.", parameters: { type: "object", properties: {} } } },
      ];
      const called = await window.aios.llm.chat.completions.create({ messages, tools, temperature: 0, max_tokens: 48 });
      const chunks = [];
      for await (const chunk of await window.aios.llm.chat.completions.create({ messages, tools, temperature: 0, max_tokens: 48, stream: true })) chunks.push(chunk);
      const call = called.choices[0]!.message.tool_calls![0]!;
      const answered = await window.aios.llm.chat.completions.create({ messages: [...messages, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: "84" }], tools, temperature: 0, max_tokens: 48 });
      return { called, chunks, answered: answered.choices[0]!.message.content };
    }, ask("What is 12 times 7?"));
    const choice = out.called.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    expect(choice.message.tool_calls![0]!.function.name).toBe("calculator");
    expect(JSON.parse(choice.message.tool_calls![0]!.function.arguments)).toEqual({ expression: "12*7" });
    // Streamed: the call arrives as delta.tool_calls, never as text.
    expect(out.chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("");
    const deltas = out.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: "function", function: { name: "calculator" } });
    expect(deltas.map((d) => d.function.arguments ?? "").join("")).toBe(choice.message.tool_calls![0]!.function.arguments);
    expect(out.answered).toContain("84");
  });

  it("structured output in the kernel's worker: a json_schema reply parses and matches; a forced call names the one offered tool; a schema XGrammar would stop on is EINVAL", async () => {
    const out = await app.page.evaluate(async (messages) => {
      const schema = { type: "object", properties: { city: { type: "string", maxLength: 20 }, size: { enum: ["small", "big"] } }, required: ["city", "size"], additionalProperties: false };
      const json = await window.aios.llm.chat.completions.create({ messages, temperature: 0.8, seed: 3, max_tokens: 80, response_format: { type: "json_schema", json_schema: { name: "place", schema } } });
      const clock = { type: "function" as const, function: { name: "clock", description: "The time now.", parameters: { type: "object", properties: { timezone: { type: "string", maxLength: 30 } }, required: ["timezone"] } } };
      const forced = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "What is 12 times 7?" }], tools: [clock], tool_choice: "required", temperature: 0, max_tokens: 60 });
      const bad = await window.aios.llm.chat.completions
        .create({ messages, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "integer", minimum: 5, maximum: 1 } } } } } })
        .then(() => null, (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }));
      const after = await window.aios.llm.chat.completions.create({ messages, temperature: 0, max_tokens: 40, response_format: { type: "json_object" } });
      return { json: json.choices[0]!, forced: forced.choices[0]!, bad, after: after.choices[0]! };
    }, ask("What is the capital of France?"));
    expect(out.json.finish_reason).toBe("stop");
    const place = JSON.parse(out.json.message.content!) as { city: string; size: string };
    expect(Object.keys(place).sort()).toEqual(["city", "size"]);
    expect(["small", "big"]).toContain(place.size);
    expect(out.forced.finish_reason).toBe("tool_calls");
    expect(out.forced.message.tool_calls!.map((c) => c.function.name)).toEqual(["clock"]);
    expect(Object.keys(JSON.parse(out.forced.message.tool_calls![0]!.function.arguments) as object)).toEqual(["timezone"]);
    expect(out.bad).toMatchObject({ code: "EINVAL", message: expect.stringContaining("response_format.json_schema.schema.properties.n") });
    if (out.after.finish_reason === "stop") expect(typeof JSON.parse(out.after.message.content!)).toBe("object");
  });

  it("finish_reason is length when max_tokens cuts the reply", async () => {
    const r = await app.page.evaluate((messages) => window.aios.llm.chat.completions.create({ messages, temperature: 0, max_tokens: 3 }), ask("Tell me about operating systems."));
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.usage.completion_tokens).toBe(3);
  });

  it("greedy streaming joins to exactly the non-streamed text", async () => {
    const out = await app.page.evaluate(async (messages) => {
      const request = { messages, temperature: 0, max_tokens: 60 };
      const whole = await window.aios.llm.chat.completions.create(request);
      const stream = await window.aios.llm.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return { whole, chunks: chunks as Array<{ object: string; choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: { completion_tokens: number } }> };
    }, ask("Tell me a short story about a cat."));
    const text = out.chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(out.whole.choices[0]!.message.content);
    expect(out.chunks.filter((c) => (c.choices[0]?.delta.content ?? "").length > 0).length).toBeGreaterThan(3);
    expect(out.chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(out.chunks.at(-2)!.choices[0]!.finish_reason).toBe(out.whole.choices[0]!.finish_reason);
    expect(out.chunks.at(-1)!.usage!.completion_tokens).toBe(out.whole.usage.completion_tokens);
  });

  it("sampling honours seed: same seed, same text; other seeds vary", async () => {
    const texts = await app.page.evaluate(async (messages) => {
      const run = async (seed: number) =>
        (await window.aios.llm.chat.completions.create({ messages, temperature: 1.5, top_p: 1, seed, max_tokens: 24 })).choices[0]!.message.content;
      return [await run(1), await run(1), await run(2), await run(3), await run(4)];
    }, ask("Tell me a short story about a cat."));
    expect(texts[1]).toBe(texts[0]);
    expect(new Set(texts.slice(1)).size).toBeGreaterThan(1);
  });

  it("honours stop strings", async () => {
    const r = await app.page.evaluate(
      (messages) => window.aios.llm.chat.completions.create({ messages, temperature: 0, max_tokens: 64, stop: ["Paris"] }),
      ask("What is the capital of France?"),
    );
    expect(r.choices[0]!.message.content).not.toContain("Paris");
    expect(r.choices[0]!.finish_reason).toBe("stop");
  });

  it("interrupt() and an AbortSignal stop a running generation; the kernel keeps serving", async () => {
    const out = await app.page.evaluate(async (messages) => {
      const request = { messages, temperature: 1, seed: 5, max_tokens: 400, stream: true as const };
      const stream = await window.aios.llm.chat.completions.create(request);
      let pieces = 0;
      let finish: string | null = null;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && ++pieces === 3) await window.aios.llm.interrupt();
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      // Abort with a signal once the first text arrives.
      const controller = new AbortController();
      const abortable = await window.aios.llm.chat.completions.create({ messages, temperature: 1, seed: 6, max_tokens: 400, stream: true, stream_options: { include_usage: true } }, { signal: controller.signal });
      const aborted = { choices: [{ finish_reason: null as string | null }], usage: { completion_tokens: 0 } };
      for await (const chunk of abortable) {
        if (chunk.choices[0]?.delta.content) controller.abort();
        aborted.choices[0]!.finish_reason = chunk.choices[0]?.finish_reason ?? aborted.choices[0]!.finish_reason;
        if (chunk.usage) aborted.usage = chunk.usage;
      }
      const after = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 32 });
      return { finish, pieces, aborted: aborted.choices[0]!.finish_reason, abortedTokens: aborted.usage.completion_tokens, after: after.choices[0]!.finish_reason };
    }, ask("Tell me about operating systems."));
    expect(out.finish).toBe("abort");
    expect(out.aborted).toBe("abort");
    expect(out.abortedTokens).toBeLessThan(400);
    expect(out.after).toBe("stop");
  });

  it("rejects malformed requests with an Error naming the field and a code; keeps serving", async () => {
    const results = await app.page.evaluate(async () => {
      const bad: unknown[] = [
        { messages: "hello" },
        { messages: [{ role: "wizard", content: "x" }] },
        { messages: [{ role: "user", content: "x" }], max_tokens: -1 },
        { messages: [{ role: "user", content: "x" }], temperature: "hot" },
        { messages: [{ role: "user", content: "x" }], stop: 7, stream: true },
        { messages: [{ role: "user", content: "x" }], bogus: 1 },
        { messages: [{ role: "user", content: "x".repeat(2_000_000) }] },
      ];
      const errors = [];
      for (const request of bad) {
        try {
          await window.aios.llm.chat.completions.create(request as never);
          errors.push(null);
        } catch (e) {
          errors.push({ isError: e instanceof Error, message: (e as Error).message, code: (e as { code?: string }).code });
        }
      }
      const ok = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 16 });
      return { errors, ok: ok.object };
    });
    const fields = ["messages", "messages[0].role", "max_tokens", "temperature", "stop", "bogus", "messages[0].content"];
    results.errors.forEach((e, i) => {
      expect(e, fields[i]).not.toBeNull();
      expect(e!.isError).toBe(true);
      expect(e!.code).toBe("EINVAL");
      expect(e!.message).toContain(fields[i]);
    });
    expect(results.ok).toBe("chat.completion");
  });

  it("a prompt longer than the context window is a clear EINVAL, not a crash", async () => {
    const e = await app.page.evaluate(async () => {
      try {
        await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "cat ".repeat(3000) }], max_tokens: 4 });
        return null;
      } catch (error) {
        return { code: (error as { code?: string }).code, message: (error as Error).message };
      }
    });
    expect(e?.code).toBe("EINVAL");
    expect(e?.message).toMatch(/messages: the prompt is \d+ tokens/);
  });
});

describe("aios.models", () => {
  it("lists the embedded models and the web-llm models, the f16 ones as not runnable on this adapter", async () => {
    const models = await app.page.evaluate(() => window.aios.models.list());
    const loaded = models.filter((m) => m.loaded).map((m) => m.id);
    expect(loaded).toEqual(["aios-tiny"]);
    expect(models.find((m) => m.id === "aios-tiny-q8")?.embedded).toBe(true);
    const webllm = models.filter((m) => m.engine === "web-llm");
    expect(webllm.length).toBeGreaterThan(5);
    // SwiftShader has no shader-f16: every f16 variant is listed as one that cannot run here.
    expect(webllm.filter((m) => /f16/.test(m.id) && m.runnable)).toEqual([]);
    expect(webllm.filter((m) => /f16/.test(m.id)).every((m) => m.why?.includes("shader-f16"))).toBe(true);
    expect(webllm.some((m) => /q4f32/.test(m.id) && m.runnable)).toBe(true);
  });

  it("loads the int8 embedded model with progress, answers, and switches back", async () => {
    const out = await app.page.evaluate(async () => {
      const progress: number[] = [];
      const info = await window.aios.models.load("aios-tiny-q8", { onProgress: (p) => progress.push(p.progress) });
      // The shell's header follows a load it did not ask for itself.
      await new Promise((r) => setTimeout(r, 50));
      const header = document.querySelector("[data-testid=model]")?.textContent;
      const r = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 24 });
      const back = await window.aios.models.load("aios-tiny");
      const stats = await window.aios.kernel.stats();
      return { info, progress, header, text: r.choices[0]!.message.content, model: r.model, back, loads: stats.loads };
    });
    expect(out.info.model).toBe("aios-tiny-q8");
    expect(out.header).toBe("aios-tiny-q8");
    expect(out.model).toBe("aios-tiny-q8");
    expect(out.text!.length).toBeGreaterThan(0);
    expect(out.progress.at(-1)).toBe(1);
    expect(out.back.model).toBe("aios-tiny");
    expect(out.loads).toBeGreaterThanOrEqual(3);
  });

  it("an unknown model and deleting the embedded one are typed errors", async () => {
    const codes = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then(() => null, (e) => (e as { code?: string }).code);
      return [await codeOf(window.aios.models.load("no-such-model")), await codeOf(window.aios.models.delete("aios-tiny"))];
    });
    expect(codes).toEqual(["ENOENT", "ENOTSUP"]);
  });
});
