// The memory manager through the real stack (window.aios → shared kernel → embedded model and
// IndexedDB in Chromium): 100 turns on a 512-token window, paging, recall, core blocks, streaming,
// and the whole memory back after the browser restarts on the same profile.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { openWithProfile } from "./harness.ts";

it("a 100-turn conversation on a 512-token window never overflows, recalls paged-out facts, and survives a restart", async () => {
  const profile = mkdtempSync(join(tmpdir(), "aios-memory-"));
  const open = () => openWithProfile(profile);

  try {
    const first = await open();
    const run = await first.page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "companion", memory: { contextTokens: 512, replyTokens: 24 } });
      await window.aios.human.set("companion", "The user is called Ada."); // the user's own words (processes cannot write it)
      const chatter = ["Tell me about operating systems.", "What is a computer?", "Tell me a story about a cat.", "What is 12*7?", "who are you"];
      const overflows: number[] = [];
      await p.chat("Remember this: my locker code is 4711.");
      let last = null;
      for (let turn = 1; turn < 100; turn++) {
        last = await p.chat(`${chatter[turn % chatter.length]} (turn ${turn})`);
        if (last.context.promptTokens + 24 > 512) overflows.push(turn);
      }
      let streamed = "";
      for await (const event of await p.chat("Hello there", { stream: true })) if (event.object === "chat.completion.chunk") streamed += event.choices[0]?.delta.content ?? "";
      const history = await p.memory.history();
      const recalled = await p.memory.recall("what is my locker code", 3);
      // After the streamed turn too (it may page out more): what a restart must find.
      return { overflows, pagedOut: history.pagedOut, lastPagedOut: last!.context.totalPagedOut, streamedIsLast: history.turns.at(-1)!.content === streamed, inContext: history.turns.length, recalled: recalled[0]?.text, summary: history.summary };
    });
    expect(run.overflows).toEqual([]);
    expect(run.lastPagedOut).toBeGreaterThan(100);
    expect(run.pagedOut).toBeGreaterThanOrEqual(run.lastPagedOut);
    expect(run.streamedIsLast).toBe(true);
    expect(run.recalled).toBe("user: Remember this: my locker code is 4711.");
    expect(run.summary.length).toBeGreaterThan(0);
    await first.context.close();

    const second = await open();
    const after = await second.page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "companion", memory: { contextTokens: 512, replyTokens: 24 } });
      const history = await p.memory.history();
      const blocks = await p.memory.blocks.get();
      const recalled = await p.memory.recall("locker code", 1);
      const reply = await p.chat("What is my locker code?");
      return { turns: history.turns.length, pagedOut: history.pagedOut, blocks: blocks.map((b) => b.value), recalled: recalled[0]?.text, fits: reply.context.promptTokens + 24 <= 512, recalledIntoContext: reply.context.recalled };
    });
    await second.context.close();
    expect(after.turns).toBe(run.inContext);
    expect(after.pagedOut).toBe(run.pagedOut);
    expect(after.blocks).toEqual(["The user is called Ada."]);
    expect(after.recalled).toContain("4711");
    expect(after.fits).toBe(true);
    expect(after.recalledIntoContext).toBeGreaterThan(0);
    expect([...first.offsite(), ...second.offsite()]).toEqual([]);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});
