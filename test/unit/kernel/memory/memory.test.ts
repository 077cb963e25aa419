// The memory manager on the real engine (embedded model, Node) and fake-indexeddb: a long
// conversation on a small window never overflows, paged-out facts are recalled, core blocks keep
// their limits, and everything is back after the kernel restarts on the same database.
import "fake-indexeddb/auto";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { TransformersSource } from "../../../../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";

async function boot(db: string) {
  const kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
  kernel.mountFiles(await FileStore.open({ name: db }));
  await kernel.loadModel("aios-tiny");
  return kernel;
}

const chatter = ["Tell me about operating systems.", "What is a computer?", "Tell me a story about a cat.", "What is 12*7?", "who are you", "What is the capital of France?"];

describe("memory manager", () => {
  it("100 turns on a 512-token window: every prompt fits, old turns are paged out and recalled, all of it persists", async () => {
    const kernel = await boot("memory-long");
    const pid = kernel.spawn({ name: "companion", memory: { contextTokens: 512, replyTokens: 48 } }).pid;
    await kernel.memory.setBlock(pid, "human", "The user is called Ada.");
    const first = await kernel.memory.chat(pid, "Remember this: my locker code is 4711 and my dog is called Biscuit.");
    expect(first.context.window).toBe(512);
    let paged = 0;
    for (let turn = 1; turn < 100; turn++) {
      const r = await kernel.memory.chat(pid, `${chatter[turn % chatter.length]} (turn ${turn})`);
      expect(r.context.promptTokens + 48).toBeLessThanOrEqual(512);
      expect(r.usage.prompt_tokens).toBe(r.context.promptTokens);
      paged = r.context.totalPagedOut;
    }
    expect(paged).toBeGreaterThan(100);
    const history = await kernel.memory.history(pid);
    expect(history.turns.length).toBeLessThan(40);
    expect(history.turns.some((t) => t.content.includes("4711"))).toBe(false);
    expect(history.summary.length).toBeGreaterThan(0);
    // The early fact is out of context but found verbatim in recall storage.
    const recalled = await kernel.memory.recall(pid, "what is my locker code", 3);
    expect(recalled[0]).toMatchObject({ kind: "recall", text: "user: Remember this: my locker code is 4711 and my dog is called Biscuit." });
    // And the kernel recalls it into the context of a turn that asks about it.
    const asked = await kernel.memory.chat(pid, "What is my locker code?");
    expect(asked.context.recalled).toBeGreaterThan(0);

    // A new kernel on the same database (a restart) has everything.
    const again = await boot("memory-long");
    const pid2 = again.spawn({ name: "companion", memory: { contextTokens: 512, replyTokens: 48 } }).pid;
    const restored = await again.memory.history(pid2);
    expect(restored.turns).toEqual((await kernel.memory.history(pid)).turns);
    expect((await again.memory.getBlocks(pid2)).map((b) => b.value)).toEqual(["The user is called Ada."]);
    expect((await again.memory.recall(pid2, "locker code", 1))[0]!.text).toContain("4711");
    const next = await again.memory.chat(pid2, "Hello again");
    expect(next.context.promptTokens + 48).toBeLessThanOrEqual(512);
  }, 300_000);

  it("a message bigger than the window is refused before anything is sent or saved; blocks keep their limits; archival memory is searchable", async () => {
    const kernel = await boot("memory-edges");
    const pid = kernel.spawn({ name: "edges", memory: { contextTokens: 256, replyTokens: 32 } }).pid;
    const huge = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
    const requestsBefore = kernel.ps().find((p) => p.pid === pid)!.requests;
    await expect(kernel.memory.chat(pid, huge)).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^text: the message is \d+ tokens; this conversation's window holds \d+/) });
    expect(kernel.ps().find((p) => p.pid === pid)!.requests).toBe(requestsBefore);
    expect((await kernel.memory.history(pid)).turns).toEqual([]);
    // The refused turn does not poison the next one.
    const r = await kernel.memory.chat(pid, "What is the capital of France?");
    expect(r.context.promptTokens + 32).toBeLessThanOrEqual(256);
    expect((await kernel.memory.history(pid)).turns.map((t) => t.role)).toEqual(["user", "assistant"]);

    await kernel.memory.setBlock(pid, "persona", "A careful librarian.", { limit: 40 });
    await expect(kernel.memory.setBlock(pid, "persona", "x".repeat(41))).rejects.toMatchObject({ code: "EQUOTA", message: expect.stringContaining("40-character limit") });
    await expect(kernel.memory.setBlock(pid, "Bad Label", "x")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.memory.getBlocks(pid, "missing")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await kernel.memory.getBlocks(pid, "persona")).toEqual([{ label: "persona", value: "A careful librarian.", limit: 40 }]);

    await kernel.memory.remember(pid, "The spare key is under the blue flowerpot.", { source: "user" });
    await kernel.memory.remember(pid, "Dentist appointment on Friday at 10.");
    const hits = await kernel.memory.recall(pid, "where is the spare key", 2);
    expect(hits[0]).toMatchObject({ kind: "archival", text: "The spare key is under the blue flowerpot.", meta: { source: "user" } });
    await expect(kernel.memory.chat(pid, "")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.memory.chat(pid, "hi", { maxTokens: 1000 })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.memory.recall(pid, "x", 0)).rejects.toMatchObject({ code: "EINVAL" });
  }, 120_000);
});
