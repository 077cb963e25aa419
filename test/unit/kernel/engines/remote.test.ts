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
});
