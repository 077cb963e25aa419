// One kernel for all tabs: a second tab attaches to the running kernel (no second model load),
// both tabs' processes appear in one ps(), and closing a tab ends its processes.
import { expect, inject, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("two tabs share one kernel; closing a tab ends its processes", async () => {
  const first = await openApp(browser(), "?device=wasm");
  try {
    const second = await first.context.newPage();
    await second.goto(new URL("?device=wasm", inject("baseUrl")).href);
    await second.evaluate(() => window.aios.ready);

    const a = await first.page.evaluate(async () => (await window.aios.spawn({ name: "tab1-agent" })).pid);
    const b = await second.evaluate(async () => {
      const p = await window.aios.spawn({ name: "tab2-agent" });
      // Keep it busy while its tab closes.
      void p.llm.chat.completions.create({ messages: [{ role: "user", content: "Tell me a story about a cat." }], max_tokens: 300, temperature: 1, seed: 1 }).catch(() => {});
      return p.pid;
    });
    const stats = await second.evaluate(() => window.aios.kernel.stats());
    expect(stats.loads).toBe(1);
    const ps = await first.page.evaluate(() => window.aios.kernel.ps());
    expect(ps.filter((p) => p.pid === a || p.pid === b).map((p) => p.name)).toEqual(["tab1-agent", "tab2-agent"]);
    const owners = new Set(ps.filter((p) => p.pid === a || p.pid === b).map((p) => p.owner));
    expect(owners.size).toBe(2);

    // Both tabs are served by the same kernel.
    const [r1, r2] = await Promise.all(
      [first.page, second].map((page) =>
        page.evaluate(() => window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 24 })),
      ),
    );
    expect(r1.choices[0]!.message.content).toBe(r2.choices[0]!.message.content);

    await second.close();
    await expect
      .poll(async () => (await first.page.evaluate(() => window.aios.kernel.ps())).find((p) => p.pid === b)?.state, { timeout: 20_000 })
      .toBe("done");
    const after = await first.page.evaluate(() => window.aios.kernel.ps());
    expect(after.find((p) => p.pid === a)?.state).toBe("ready");
    first.assertOffline();
  } finally {
    await first.close();
  }
});

it("a permission prompt shows in every open tab; answered in the second, the first tab's agent goes on and its dialog closes", async () => {
  const first = await openApp(browser(), "?device=wasm");
  try {
    const second = await first.context.newPage();
    await second.goto(new URL("?device=wasm", inject("baseUrl")).href);
    await second.evaluate(() => window.aios.ready);
    // An agent of the first tab asks for the clipboard (a capability that asks the user).
    await first.page.evaluate(async () => {
      const agent = await window.aios.spawn({ name: "copier", capabilities: ["clipboard:write", "calculator"] });
      const other = await window.aios.spawn({ name: "other", capabilities: ["calculator"] });
      Object.assign(window, { pending: agent.tools.call("clipboard.write", { text: "from tab one" }).then((r) => ({ ok: r }), (e) => ({ code: (e as { code?: string }).code })), other });
    });
    const inFirst = first.page.getByRole("dialog", { name: "Permission request" });
    const inSecond = second.getByRole("dialog", { name: "Permission request" });
    await expect.poll(() => inFirst.count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => inSecond.count(), { timeout: 20_000 }).toBe(1);
    expect(await inSecond.textContent()).toContain("copier");
    // The pending approval blocks nobody else.
    expect(await first.page.evaluate(() => (window as unknown as { other: { tools: { call(n: string, a: unknown): Promise<unknown> } } }).other.tools.call("calculator", { expression: "6*7" }))).toBe(42);
    await inSecond.getByRole("button", { name: "Allow once" }).click();
    const result = await first.page.evaluate(() => (window as unknown as { pending: Promise<unknown> }).pending);
    expect(result).toMatchObject({ ok: expect.anything() });
    await expect.poll(() => inFirst.count()).toBe(0);
    await expect.poll(() => inSecond.count()).toBe(0);
    await second.close();
    first.assertOffline();
  } finally {
    await first.close();
  }
});
