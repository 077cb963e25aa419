// Natural-language programming (issue 12, part 5) on the real stack: in Chromium's shell, "make me
// an app that …" typed in the terminal opens Make an app, the embedded model drafts the manifest
// under the schema grammar (streamed as it writes), the review says what it asks for in plain
// words, a test run calls the right tool without installing anything, Install puts it in Apps,
// and the installed app opens in its window and does what was asked.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("from a request in the terminal to a working installed app, on the embedded model", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    const prompt = page.getByRole("textbox", { name: "Prompt" });
    await expect.poll(() => prompt.isEnabled(), { timeout: 60_000 }).toBe(true);
    await prompt.fill("Make me an app that converts units");
    await prompt.press("Enter");

    const make = page.getByRole("dialog", { name: "Make an app" });
    await make.waitFor();
    const review = make.getByRole("region", { name: "Review the app" });
    await review.waitFor({ timeout: 90_000 });
    expect(await review.getByRole("heading", { level: 3 }).textContent()).toBe("Unit converter");
    expect(await review.getByRole("list", { name: "What it asks to use" }).innerText()).toMatch(/^convert between units \(units\)$/);
    // Nothing is installed before the user says so.
    expect((await page.evaluate(async () => (await window.aios.apps.list()).map((a) => a.manifest.id))).includes("unit-converter")).toBe(false);

    // A test run: the example the draft came with, answered with the units tool; nothing kept.
    await review.getByRole("textbox", { name: "Try it on" }).fill("How many miles is 5 km?");
    await review.getByRole("button", { name: "Try it" }).click();
    const trial = review.getByRole("status", { name: "Test run" });
    await expect.poll(() => trial.innerText(), { timeout: 60_000 }).toMatch(/units\(.*\)[\s\S]*Unit converter:.*3\.1/);
    const trialLeft = await page.evaluate(async () => (await window.aios.kernel.ps()).filter((p) => p.app.startsWith("trial:") && p.state !== "done").length);
    expect(trialLeft).toBe(0);
    await shoot(page, "make-app");

    await review.getByRole("button", { name: "Install" }).click();
    await expect.poll(() => review.getByRole("status").last().textContent()).toMatch(/Installed Unit converter/);
    const installed = await page.evaluate(async () => (await window.aios.apps.get("unit-converter")).manifest);
    expect(installed).toMatchObject({ name: "Unit converter", kind: "nl", capabilities: ["units"], author: "drafted by AIOS" });

    // Open it from the review and use it: a window of its own, the units tool, the answer.
    await review.getByRole("button", { name: "Open it" }).click();
    const win = page.getByRole("dialog", { name: /Unit converter$/ });
    await win.waitFor();
    await win.getByRole("textbox", { name: "Message to Unit converter" }).fill("Convert 20 celsius to fahrenheit");
    await win.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => win.locator('[data-role="assistant"]').last().textContent(), { timeout: 60_000 }).toMatch(/units[\s\S]*68/);
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 240_000);
