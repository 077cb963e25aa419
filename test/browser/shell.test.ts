// The shell as a person meets it: type into the Prompt box, watch the reply stream in.
import { mkdirSync } from "node:fs";
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("a prompt streams a reply into the terminal and the status shows engine, model, device, tokens/s", async () => {
  const app = await openApp(browser(), "");
  try {
    const { page } = app;
    await expect.poll(() => page.getByTestId("engine").textContent()).toBe("transformers");
    expect(await page.getByTestId("model").textContent()).toBe("aios-tiny");
    expect(["webgpu", "wasm"]).toContain(await page.getByTestId("device").textContent());

    const prompt = page.getByRole("textbox", { name: "Prompt" });
    await prompt.fill("Tell me a short story about a cat.");
    await prompt.press("Enter");
    const reply = page.locator('[data-role="assistant"] .text').last();
    // Streaming: the reply is seen partially written before it is complete.
    const lengths: number[] = [];
    await expect
      .poll(async () => {
        lengths.push(((await reply.textContent()) ?? "").length);
        return page.getByRole("button", { name: "Send" }).count();
      }, { timeout: 240_000, interval: 50 })
      .toBe(1);
    const text = ((await reply.textContent()) ?? "").trim();
    expect(text.length).toBeGreaterThan(20);
    expect(new Set(lengths.filter((n) => n > 0 && n < text.length)).size).toBeGreaterThan(1);
    await expect.poll(() => page.getByTestId("tps").textContent()).toMatch(/^\d+(\.\d)?$/);

    await prompt.fill("What is the capital of France?");
    await prompt.press("Enter");
    await expect.poll(() => page.locator('[data-role="assistant"] .text').last().textContent(), { timeout: 120_000 }).toContain("Paris");

    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/shell.png" });
    app.assertOffline();
    expect(app.errors).toEqual([]);
  } finally {
    await app.close();
  }
});
