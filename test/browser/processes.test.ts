// Processes through window.aios on the real stack: spawn, ps, kill (EKILLED reaches the page with
// its code), quotas (EQUOTA), and the shell keeps serving.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("spawned processes are listed, accounted, killable, and bound by their quotas", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const ask = (content: string, max_tokens = 200) => ({ messages: [{ role: "user" as const, content }], temperature: 0, max_tokens });
      const writer = await window.aios.spawn({ name: "writer", priority: 25 });
      const thrifty = await window.aios.spawn({ name: "thrifty", quota: { maxCompletionTokens: 12 } });

      const reply = await writer.llm.chat.completions.create(ask("What is the capital of France?"));
      const capped = await thrifty.llm.chat.completions.create(ask("Tell me about operating systems."));
      const refused = await thrifty.llm.chat.completions.create(ask("Hello")).then(() => null, (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));

      // Kill a process while it streams: the stream ends with EKILLED.
      const victim = await window.aios.spawn({ name: "victim" });
      const stream = await victim.llm.chat.completions.create({ ...ask("Tell me a story about a cat.", 300), temperature: 1, seed: 4, stream: true });
      let pieces = 0;
      let killedWith: { code?: string; message: string } | null = null;
      try {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content && ++pieces === 3) await window.aios.kernel.kill(victim.pid);
      } catch (e) {
        killedWith = { code: (e as { code?: string }).code, message: (e as Error).message };
      }
      const afterKill = await victim.llm.chat.completions.create(ask("Hello")).then(() => null, (e) => (e as { code?: string }).code);
      const shellKill = await window.aios.kernel.kill(1).then(() => null, (e) => (e as { code?: string }).code);
      const badSpawn = await window.aios.spawn({ name: "" }).then(() => null, (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
      await writer.exit();
      const ps = await window.aios.kernel.ps();
      const shell = await window.aios.llm.chat.completions.create(ask("Hello", 32));
      return { reply: reply.choices[0]!.message.content, capped: capped.usage.completion_tokens, cappedFinish: capped.choices[0]!.finish_reason, refused, killedWith, pieces, afterKill, shellKill, badSpawn, ps, shell: shell.choices[0]!.finish_reason };
    });
    expect(out.reply).toContain("Paris");
    expect(out.capped).toBe(12);
    expect(out.cappedFinish).toBe("length");
    expect(out.refused).toMatchObject({ code: "EQUOTA", message: expect.stringContaining("maxCompletionTokens") });
    expect(out.killedWith).toMatchObject({ code: "EKILLED", message: expect.stringContaining("victim") });
    expect(out.afterKill).toBe("EKILLED");
    expect(out.shellKill).toBe("EPERM");
    expect(out.badSpawn).toMatchObject({ code: "EINVAL", message: expect.stringContaining("name") });
    const byName = Object.fromEntries(out.ps.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(["shell", "writer", "thrifty", "victim"]);
    expect(byName.writer).toMatchObject({ state: "done", priority: 25, requests: 1 });
    expect(byName.writer!.completionTokens).toBeGreaterThan(3);
    expect(byName.thrifty).toMatchObject({ state: "ready", completionTokens: 12 });
    expect(byName.victim!.state).toBe("done");
    expect(byName.shell!.owner).toBeUndefined();
    expect(byName.writer!.owner).toMatch(/^tab-/);
    expect(out.shell).toBe("stop");
    app.assertOffline();
  } finally {
    await app.close();
  }
});
