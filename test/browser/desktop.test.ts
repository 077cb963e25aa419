// The desktop (issue 12, part 6) in real Chromium: the launcher lists the installed apps and opens
// one in a window of its own (a chat with the embedded model); windows move (drag, keys), resize,
// stack (focus raises), minimize and close (closing an app's window ends its process); at a phone's
// width nothing scrolls sideways and every window's buttons stay on screen. Screenshots at both sizes.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("launcher, app windows, moving, resizing, stacking, minimizing, closing — at 1280×800 and 390×844", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: "Apps", exact: true }).click();
    const launcher = page.getByRole("dialog", { name: "Apps" });
    const list = launcher.getByRole("list", { name: "Installed apps" });
    await expect.poll(() => list.getByRole("listitem").count(), { timeout: 20_000 }).toBe(7);
    expect(await list.getByRole("listitem").allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining("Notes"), expect.stringContaining("Camera reader")]));

    // Open Notes: a window of its own with a chat; the embedded model writes the note.
    await launcher.getByRole("button", { name: "Open Notes" }).click();
    const notes = page.getByRole("dialog", { name: /Notes$/ });
    await notes.waitFor();
    await notes.getByRole("textbox", { name: "Message to Notes" }).fill("Write a note that I must buy milk");
    await notes.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => notes.locator('[data-role="assistant"]').last().textContent(), { timeout: 60_000 }).toMatch(/files\.write/);
    await shoot(page, "desktop-launcher");
    const pid = Number(await notes.locator(".app-window").getAttribute("data-pid"));
    expect((await page.evaluate(async () => (await window.aios.kernel.ps()).map((p) => [p.pid, p.app, p.state]))).find(([p]) => p === pid)).toEqual([pid, "notes", expect.any(String)]);

    // Focus raises: the launcher comes back on top when clicked.
    const z = (name: string | RegExp) => page.getByRole("dialog", { name }).evaluate((el) => Number(getComputedStyle(el).zIndex));
    expect(await z(/Notes$/)).toBeGreaterThan(await z("Apps"));
    await launcher.getByRole("toolbar").click({ position: { x: 10, y: 10 } });
    expect(await z("Apps")).toBeGreaterThan(await z(/Notes$/));

    // Drag by the title bar; keys move and resize.
    const bar = launcher.getByRole("toolbar");
    const before = (await launcher.boundingBox())!;
    const grab = (await bar.boundingBox())!;
    await page.mouse.move(grab.x + 40, grab.y + 10);
    await page.mouse.down();
    await page.mouse.move(grab.x + 240, grab.y + 90, { steps: 8 });
    await page.mouse.up();
    const dragged = (await launcher.boundingBox())!;
    expect(Math.round(dragged.x - before.x)).toBe(200);
    expect(Math.round(dragged.y - before.y)).toBe(80);
    await bar.focus();
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("Shift+ArrowDown");
    const keyed = (await launcher.boundingBox())!;
    expect(Math.round(keyed.x - dragged.x)).toBe(-24);
    expect(Math.round(keyed.height - dragged.height)).toBe(24);
    // Open two system windows as well.
    await page.getByRole("button", { name: "Files", exact: true }).click();
    await page.getByRole("button", { name: "System monitor", exact: true }).click();
    await shoot(page, "desktop-windows");

    // At a phone's width: no sideways scrolling, every window's close button on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const close of await page.getByRole("button", { name: /^Close / }).all()) {
      if (!(await close.isVisible())) continue;
      const box = (await close.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // Minimize hides it; its taskbar button brings it back; closing the app's window ends its process.
    await notes.getByRole("button", { name: /^Minimize/ }).click();
    await expect.poll(() => notes.isVisible()).toBe(false);
    await page.getByRole("navigation", { name: "Windows" }).getByRole("button", { name: /Notes$/ }).click();
    await expect.poll(() => notes.isVisible()).toBe(true);
    await notes.getByRole("button", { name: /^Close/ }).click();
    await expect.poll(() => page.evaluate(async (p) => (await window.aios.kernel.ps()).find((x) => x.pid === p)?.state, pid)).toBe("done");
    expect(await page.getByRole("dialog", { name: /Notes$/ }).count()).toBe(0);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
