// The system monitor while 4 agents run: live process table, Gantt of run slices per pid, policy
// change and kill from the window. A screenshot is kept in test-results/.
import { mkdirSync } from "node:fs";
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("shows 4 running agents interleaved under round-robin, and kills one from the table", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.getByRole("button", { name: "System monitor" }).click();
    const monitor = page.getByRole("dialog", { name: "System monitor" });
    await monitor.getByRole("combobox", { name: "Scheduling policy" }).selectOption("rr");
    await monitor.getByRole("spinbutton", { name: "Slice tokens" }).fill("4");
    // One at a time, so that the Gantt shows them taking turns (batching runs them side by side).
    await monitor.getByRole("spinbutton", { name: "Batch size" }).fill("1");
    await monitor.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.evaluate(async () => (await window.aios.kernel.stats()).policy)).toMatchObject({ policy: "rr", sliceTokens: 4, maxBatch: 1 });

    // Four agents, each asking again and again until stopped.
    await page.evaluate(() => {
      const w = window as unknown as { stopAgents: boolean };
      w.stopAgents = false;
      ["planner", "writer", "critic", "coder"].forEach(async (name, i) => {
        const agent = await window.aios.spawn({ name, priority: 20 });
        while (!w.stopAgents) {
          await agent.llm.chat.completions
            .create({ messages: [{ role: "user", content: "Tell me a story about a cat." }], max_tokens: 120, temperature: 1, seed: i })
            .catch(() => (w.stopAgents = w.stopAgents || false));
          if ((await window.aios.kernel.ps()).find((p) => p.pid === agent.pid)?.state === "done") return;
        }
      });
    });
    const table = monitor.getByRole("table", { name: "Processes" });
    await expect.poll(() => table.locator("tbody tr").count(), { timeout: 30_000 }).toBe(5);
    await expect.poll(() => table.locator("td.state.running, td.state.waiting").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(async () => new Set(await monitor.locator("svg.gantt rect").evaluateAll((rects) => rects.map((r) => r.getAttribute("data-pid")))).size, { timeout: 30_000 }).toBe(4);
    await page.waitForTimeout(1500);
    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/system-monitor.png" });

    const stats = await page.evaluate(() => window.aios.kernel.stats());
    expect(stats.contextSwitches).toBeGreaterThan(0);
    expect(stats.history.some((h) => h.preemptions > 0 && h.slices.length > 2)).toBe(true);

    await monitor.getByRole("button", { name: "Kill critic" }).click();
    await expect.poll(() => table.locator("tr.done").count()).toBe(1);
    // On a phone the table fits the dialog: nothing scrolls sideways, a kill button is in view.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await monitor.evaluate((d) => d.scrollWidth - d.clientWidth)).toBe(0);
    const kill = (await monitor.getByRole("button", { name: "Kill coder" }).boundingBox())!;
    expect(kill.x + kill.width).toBeLessThanOrEqual(390);
    await page.evaluate(() => ((window as unknown as { stopAgents: boolean }).stopAgents = true));
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
