// The window manager's state alone (Window.svelte draws it; the desktop test drives it in Chromium).
import { describe, expect, it } from "vitest";
import { WindowManager } from "../../../src/shell/windows.svelte.ts";

describe("WindowManager", () => {
  it("opens windows beside the focused one where there is room, else cascading; focus raises; toggle closes only the focused window", () => {
    const wm = new WindowManager();
    wm.setArea(1280, 700);
    wm.open("a", "A", { width: 500, height: 400 });
    wm.open("b", "B", { width: 500, height: 400 });
    const [a, b] = wm.windows;
    expect([a!.x, a!.y]).toEqual([16, 8]);
    expect([b!.x, b!.y]).toEqual([16 + 500 + 12, 8]);
    wm.open("c", "C", { width: 500, height: 400 });
    expect(wm.windows[2]!.x).toBeLessThan(200);
    expect(wm.focused!.id).toBe("c");
    wm.focus("a");
    expect(wm.focused!.id).toBe("a");
    expect(new Set(wm.windows.map((w) => w.z)).size).toBe(3);
    wm.toggle("b", "B");
    expect(wm.isOpen("b")).toBe(true);
    expect(wm.focused!.id).toBe("b");
    wm.toggle("b", "B");
    expect(wm.isOpen("b")).toBe(false);
    wm.minimize("a");
    expect(wm.focused!.id).toBe("c");
    wm.open("a", "A again");
    expect(wm.windows.find((w) => w.id === "a")).toMatchObject({ minimized: false, title: "A again" });
  });

  it("keeps title bars inside the desktop and windows within its size; a filling window follows the desktop until the user moves it", () => {
    const wm = new WindowManager();
    wm.setArea(1000, 600);
    wm.open("t", "Terminal", { width: 980, height: 600 }, undefined, { maxWidth: 980 });
    expect(wm.windows[0]).toMatchObject({ x: 16, y: 4, width: 968, height: 588 });
    wm.setArea(1400, 800);
    expect(wm.windows[0]).toMatchObject({ x: 210, width: 980, height: 788 });
    wm.moveTo("t", 5000, -50);
    expect(wm.windows[0]).toMatchObject({ x: 1400 - 80, y: 0 });
    wm.setArea(800, 500);
    expect(wm.windows[0]).toMatchObject({ width: 800, height: 500, x: 720 });
    wm.resize("t", 100, 50);
    expect(wm.windows[0]).toMatchObject({ width: 240, height: 120 });
    expect(wm.narrow).toBe(false);
    wm.setArea(390, 700);
    expect(wm.narrow).toBe(true);
  });
});
