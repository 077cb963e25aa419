// Unit tests of the Kernel alone, with a scripted test-double engine; the real engine on the
// embedded model is exercised in engines/transformers.test.ts and the browser tests.
import { describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "../../../src/kernel/chat.ts";
import type { LoadProgress } from "../../../src/kernel/engine.ts";
import { KernelError } from "../../../src/kernel/errors.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { source } from "./scripted-engine.ts";

const ask = { messages: [{ role: "user", content: "hi" }] };

describe("Kernel", () => {
  it("serves a completion in the OpenAI shape", async () => {
    const kernel = new Kernel([source(["m"])]);
    await kernel.loadModel("m");
    const r = await kernel.chat(ask);
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]!.message).toEqual({ role: "assistant", content: "Hello, world!" });
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("streams chunks whose content joins to the completion, then a finish chunk and usage", async () => {
    const kernel = new Kernel([source(["m"])]);
    await kernel.loadModel("m");
    const chunks: ChatCompletionChunk[] = [];
    const r = await kernel.chat({ ...ask, stream: true, stream_options: { include_usage: true } }, { onChunk: (c) => chunks.push(c) });
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(r.choices[0]!.message.content);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(4);
  });

  it("reports length when max_tokens cuts the reply", async () => {
    const kernel = new Kernel([source(["m"])]);
    await kernel.loadModel("m");
    const r = await kernel.chat({ ...ask, max_tokens: 2 });
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.choices[0]!.message.content).toBe("Hello,");
  });

  it("runs requests one at a time and interrupts a named one", async () => {
    const kernel = new Kernel([source(["m"])]);
    await kernel.loadModel("m");
    const first = kernel.chat(ask, { requestId: "a" });
    const second = kernel.chat(ask, { requestId: "b" });
    expect(kernel.interrupt("b")).toBe(1);
    const [ra, rb] = await Promise.all([first, second]);
    expect(ra.choices[0]!.finish_reason).toBe("stop");
    expect(rb.choices[0]!.finish_reason).toBe("abort");
    expect(rb.choices[0]!.message.content).toBe("");
  });

  it("keeps the loaded model when another fails to load, and keeps serving", async () => {
    const src = source(["m", "broken"], ["broken"]);
    const kernel = new Kernel([src]);
    await kernel.loadModel("m");
    const progress: LoadProgress[] = [];
    await expect(kernel.loadModel("broken", (p) => progress.push(p))).rejects.toMatchObject({ code: "ELOAD", message: expect.stringContaining("404") });
    expect(progress.length).toBeGreaterThan(0);
    expect(kernel.kernelInfo().model).toBe("m");
    expect((await kernel.chat(ask)).choices[0]!.message.content).toBe("Hello, world!");
  });

  it("swaps models and unloads the previous engine", async () => {
    const src = source(["m", "n"]);
    const kernel = new Kernel([src]);
    await kernel.loadModel("m");
    await kernel.loadModel("n");
    expect(kernel.kernelInfo().model).toBe("n");
    expect(src.engines[0]!.unloaded).toBe(true);
    expect(kernel.getStats().loads).toBe(2);
  });

  it("gives typed errors for bad input and unknown models, and stays up", async () => {
    const kernel = new Kernel([source(["m"])]);
    await expect(kernel.chat(ask)).rejects.toMatchObject({ code: "ENOTREADY" });
    await expect(kernel.loadModel("nope")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(kernel.loadModel(42)).rejects.toMatchObject({ code: "EINVAL" });
    await kernel.loadModel("m");
    await expect(kernel.chat({ messages: 1 })).rejects.toBeInstanceOf(KernelError);
    await expect(kernel.chat({ ...ask, model: "other" })).rejects.toMatchObject({ code: "ENOENT" });
    await expect(kernel.deleteModel("m")).rejects.toMatchObject({ code: "ENOTSUP" });
    expect((await kernel.chat(ask)).choices[0]!.finish_reason).toBe("stop");
  });
});
