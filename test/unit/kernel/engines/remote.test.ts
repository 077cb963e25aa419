// The remote engine against a real OpenAI-compatible server on loopback: our own kernel, running
// the embedded model in Node, served over HTTP. Same greedy text both ways, streaming, errors.
import { resolve } from "node:path";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteSource } from "../../../../src/kernel/engines/remote.ts";
import { TransformersSource } from "../../../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { serveOpenAI } from "../../../../src/server/openai-http.ts";
import type { ChatCompletionChunk } from "../../../../src/kernel/chat.ts";

let server: Server;
let baseUrl: string;
let local: Kernel;
const messages = [{ role: "user", content: "Tell me a short story about a cat." }];

beforeAll(async () => {
  local = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
  await local.loadModel("aios-tiny");
  ({ server, baseUrl } = await serveOpenAI(local));
});
afterAll(() => new Promise<void>((done) => server?.close(() => done())));

describe("RemoteEngine", () => {
  it("lists the server's models and answers exactly as the kernel does locally", async () => {
    const source = await RemoteSource.connect({ baseUrl });
    const id = `${new URL(baseUrl).host}/aios-tiny`;
    expect((await source.list()).map((m) => m.id)).toEqual([id]);
    const client = new Kernel([source]);
    const info = await client.loadModel(id);
    expect(info).toEqual({ engine: "remote", model: id, device: "remote" });

    const request = { messages, temperature: 0, max_tokens: 40 };
    const direct = await local.chat(request);
    const chunks: ChatCompletionChunk[] = [];
    const remote = await client.chat({ ...request, stream: true }, { onChunk: (c) => chunks.push(c) });
    expect(remote.choices[0]!.message.content).toBe(direct.choices[0]!.message.content);
    expect(remote.usage).toEqual(direct.usage);
    expect(remote.choices[0]!.finish_reason).toBe(direct.choices[0]!.finish_reason);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(direct.choices[0]!.message.content);
  });

  it("server errors come back typed, and a bad endpoint is a clear error", async () => {
    const client = new Kernel([await RemoteSource.connect({ baseUrl })]);
    await client.loadModel(`${new URL(baseUrl).host}/aios-tiny`);
    const engine = (client as unknown as { engine: { generate: (p: unknown) => Promise<unknown> } }).engine;
    await expect(engine.generate({ messages, maxTokens: 0, temperature: 0, topP: 1, stop: [], signal: new AbortController().signal })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("max_tokens") });
    await expect(RemoteSource.connect({ baseUrl: "ftp://x" })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(RemoteSource.connect({ baseUrl: baseUrl.replace("/v1", "/nope") })).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("response_format goes to the server, which enforces it; a server that ignores it is caught (EINVAL), not passed on as JSON", async () => {
    const request = {
      messages: [{ role: "user", content: "What is the capital of France?" }],
      temperature: 0,
      max_tokens: 80,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { city: { type: "string", maxLength: 20 } }, required: ["city"], additionalProperties: false } } },
    };
    const client = new Kernel([await RemoteSource.connect({ baseUrl })]);
    await client.loadModel(`${new URL(baseUrl).host}/aios-tiny`);
    const remote = await client.chat(request);
    expect(remote.choices[0]!.message.content).toBe((await local.chat(request)).choices[0]!.message.content);
    expect(Object.keys(JSON.parse(remote.choices[0]!.message.content!) as object)).toEqual(["city"]);

    // A real HTTP server in front of the same kernel that drops response_format, as servers without structured output do.
    const ignoring = await serveOpenAI(new Proxy(local, { get: (k, name) => (name === "chat" ? (body: Record<string, unknown>, o: object) => k.chat({ ...body, response_format: undefined }, o) : Reflect.get(k, name, k)) }));
    try {
      const careless = new Kernel([await RemoteSource.connect({ baseUrl: ignoring.baseUrl })]);
      await careless.loadModel(`${new URL(ignoring.baseUrl).host}/aios-tiny`);
      await expect(careless.chat(request)).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/response_format: the reply is not JSON; .*did not enforce it/) });
      expect((await careless.chat({ ...request, response_format: undefined })).choices[0]!.message.content).toContain("Paris");
    } finally {
      await new Promise<void>((done) => ignoring.server.close(() => done()));
    }
  });

  it("aborting a remote generation ends it with finish_reason abort", async () => {
    const client = new Kernel([await RemoteSource.connect({ baseUrl })]);
    await client.loadModel(`${new URL(baseUrl).host}/aios-tiny`);
    let pieces = 0;
    const r = await client.chat(
      { messages, temperature: 1, seed: 3, max_tokens: 300, stream: true },
      { requestId: "r", onChunk: (c) => c.choices[0]?.delta.content && ++pieces === 2 && client.interrupt("r") },
    );
    expect(r.choices[0]!.finish_reason).toBe("abort");
  });

  it("continues a final assistant message: a reply cut anywhere and continued equals the whole reply", async () => {
    const whole = (await local.chat({ messages, temperature: 0, max_tokens: 40 })).choices[0]!.message.content!;
    for (const cut of [1, 7, 13, 22]) {
      const head = (await local.chat({ messages, temperature: 0, max_tokens: cut })).choices[0]!.message.content!;
      const tail = await local.chat({ messages: [...messages, { role: "assistant", content: head }], continue_final_message: true, add_generation_prompt: false, temperature: 0, max_tokens: 40 - cut });
      expect(head + tail.choices[0]!.message.content).toBe(whole);
    }
    await expect(local.chat({ messages, continue_final_message: true })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("last message must be the assistant") });
    await expect(local.chat({ messages: [...messages, { role: "assistant", content: "x" }], continue_final_message: true, add_generation_prompt: true })).rejects.toMatchObject({ code: "EINVAL" });
  });

  it("remote generations are preempted between slices with text snapshots; greedy outputs equal their solo runs", async () => {
    const prompts = ["Tell me a story about a cat.", "Tell me about operating systems.", "What is a computer?"];
    const ask = (content: string) => ({ messages: [{ role: "user" as const, content }], temperature: 0, max_tokens: 36 });
    const solo = await Promise.all(prompts.map(async (p) => (await local.chat(ask(p))).choices[0]!.message.content));
    const client = new Kernel([await RemoteSource.connect({ baseUrl, continueFinalMessage: true })]);
    await client.loadModel(`${new URL(baseUrl).host}/aios-tiny`);
    for (const sliceTokens of [3, 5]) {
      client.setPolicy({ policy: "rr", sliceTokens });
      const procs = prompts.map((_, i) => client.spawn({ name: `remote-${i}` }));
      const streamed = prompts.map(() => "");
      const results = await Promise.all(
        prompts.map((p, i) => client.chat({ ...ask(p), stream: true }, { pid: procs[i]!.pid, requestId: `rr${sliceTokens}-${i}`, onChunk: (c) => (streamed[i] += c.choices[0]?.delta.content ?? "") })),
      );
      expect(results.map((r) => r.choices[0]!.message.content)).toEqual(solo);
      expect(streamed).toEqual(solo);
      const history = client.getStats().history.filter((h) => h.requestId.startsWith(`rr${sliceTokens}-`));
      expect(history.every((h) => h.preemptions > 0 && h.slices.length > 1)).toBe(true);
      expect(results.map((r) => r.usage.completion_tokens)).toEqual(history.map((h) => h.completionTokens));
    }
  });

  it("a stop string that spans two slices is caught and never half-streamed", async () => {
    const request = { messages, temperature: 0, max_tokens: 40 };
    const whole = (await local.chat(request)).choices[0]!.message.content!;
    // A stop made of the end of one 2-token slice and the start of the next.
    const twoTokens = (await local.chat({ ...request, max_tokens: 2 })).choices[0]!.message.content!;
    const fourTokens = (await local.chat({ ...request, max_tokens: 4 })).choices[0]!.message.content!;
    const stop = fourTokens.slice(twoTokens.length - 1, twoTokens.length + 1);
    expect(stop.length).toBe(2);
    expect(whole.indexOf(stop)).toBe(twoTokens.length - 1);
    const expected = whole.slice(0, whole.indexOf(stop));
    const client = new Kernel([await RemoteSource.connect({ baseUrl, continueFinalMessage: true })]);
    await client.loadModel(`${new URL(baseUrl).host}/aios-tiny`);
    client.setPolicy({ policy: "rr", sliceTokens: 2 });
    let streamed = "";
    const r = await client.chat({ ...request, stop, stream: true }, { onChunk: (c) => (streamed += c.choices[0]?.delta.content ?? "") });
    expect(r.choices[0]!.message.content).toBe(expected);
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(streamed).toBe(expected);
  });
});
