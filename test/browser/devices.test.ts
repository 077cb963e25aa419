// The browser's devices as tools, end to end in real headless Chromium: a fake camera (an MJPEG of
// printed text the test renders), Playwright's granted permissions and geolocation, the shell's
// consent dialog clicked as a person would (Deny, Always allow, revoke in Permissions, Allow once),
// the file picker and the save dialog, OCR of the camera's text by the real model, the camera
// stopped after every call, ENODEV when no open tab can serve, and a typed error when the tab
// serving a call closes. Screenshots of a device consent dialog and the file prompt.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launch, launchWithArgs } from "./chromium.ts";
import { fakeCameraArgs, makeFakeCameraFile } from "./fake-camera.ts";
import { openApp, shoot } from "./harness.ts";
import { spyOnCameraTracks, spyOnNotifications } from "./spies.ts";

const LINES = ["OPEN 9 TO 5 DAILY", "Room 214"];
const DEVICE_CAPS = ["geolocation", "camera", "clipboard:read", "clipboard:write", "notify", "speak", "files:io"];
// Tesseract closes up the spaces of a short line of one-letter words ("OPEN 9 TO 5" → "OPEN9TO5");
// a longer line keeps them.
const normal = (s: string) => s.toUpperCase().replace(/\s+/g, " ").trim();

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aios-devices-"));
  const painter = await launch();
  const file = await makeFakeCameraFile(painter, LINES, join(dir, "camera.mjpeg")).finally(() => painter.close());
  browser = await launchWithArgs(fakeCameraArgs(file));
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

type CallResult = { ok?: unknown; code?: string; message?: string };

/** Starts a tool call as the process `window.scout` without waiting; `result(n)` awaits it. */
function caller(page: Page) {
  let n = 0;
  const start = async (name: string, args: Record<string, unknown> = {}, proc = "scout"): Promise<number> => {
    const id = ++n;
    await page.evaluate(
      ({ id, name, args, proc }) => {
        const w = window as unknown as Record<string, { tools: { call(name: string, args: unknown): Promise<unknown> } }> & { calls?: Record<number, Promise<unknown>> };
        w.calls ??= {};
        w.calls[id] = w[proc]!.tools.call(name, args).then(
          (ok) => ({ ok }),
          (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
        );
      },
      { id, name, args, proc },
    );
    return id;
  };
  const result = (id: number) => page.evaluate((id) => (window as unknown as { calls: Record<number, Promise<CallResult>> }).calls[id]!, id);
  return { start, result, call: async (name: string, args: Record<string, unknown> = {}) => result(await start(name, args)) };
}

it("every device through proc.tools.call: consent as a person gives it, OCR of the camera, pickers, the camera stopped", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const { page, context } = app;
    const origin = new URL(page.url()).origin;
    await context.grantPermissions(["geolocation", "clipboard-read", "clipboard-write", "notifications"], { origin });
    await context.setGeolocation({ latitude: 35.011636, longitude: 135.768029, accuracy: 20 });
    await context.addInitScript(spyOnCameraTracks);
    await context.addInitScript(spyOnNotifications);
    await page.reload();
    await page.evaluate(() => window.aios.ready);
    await page.bringToFront();
    // This tab serves every device (speech where the browser has a voice is decided at the call).
    await expect.poll(() => page.evaluate(() => window.aios.devices.served())).toEqual(["geolocation", "camera.snapshot", "camera.read", "clipboard.read", "clipboard.write", "notify", "speak", "files.import", "files.export"]);
    const hosts = await page.evaluate(() => window.aios.devices.hosts());
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.devices).toContain("camera.read");

    const listed = await page.evaluate(() => window.aios.tools.list());
    expect(listed.filter((t) => t.kind === "device").map((t) => [t.name, t.capability])).toEqual([
      ["geolocation", "geolocation"], ["camera.snapshot", "camera"], ["camera.read", "camera"], ["clipboard.read", "clipboard:read"], ["clipboard.write", "clipboard:write"],
      ["notify", "notify"], ["speak", "speak"], ["files.import", "files:io"], ["files.export", "files:io"],
    ]);
    const pid = await page.evaluate(async (capabilities) => {
      const scout = await window.aios.spawn({ name: "scout", capabilities });
      Object.assign(window, { scout });
      return scout.pid;
    }, DEVICE_CAPS);
    const { start, result, call } = caller(page);
    const consent = page.getByRole("dialog", { name: "Permission request" });
    const answer = async (button: "Allow once" | "Always allow" | "Deny", expectWords?: string) => {
      await expect.poll(() => consent.count(), { timeout: 20_000 }).toBe(1);
      if (expectWords) expect(await consent.textContent()).toContain(expectWords);
      await consent.getByRole("button", { name: button }).click();
      await expect.poll(() => consent.count()).toBe(0);
    };

    // geolocation: Deny → EPERM; the same process is not asked again.
    let id = await start("geolocation");
    await answer("Deny", "your location (about 1 km)");
    expect(await result(id)).toMatchObject({ code: "EPERM" });
    expect(await call("geolocation")).toMatchObject({ code: "EPERM" });

    // camera.read: the consent dialog (screenshot), Always allow; the model reads the text.
    id = await start("camera.read");
    await expect.poll(() => consent.count(), { timeout: 20_000 }).toBe(1);
    expect(await consent.textContent()).toContain(`pid ${pid}`);
    expect(await consent.textContent()).toContain("the camera");
    expect(await consent.getByTestId("consent-summary").textContent()).toBe("read the text in front of the camera");
    await shoot(page, "device-consent");
    await consent.getByRole("button", { name: "Always allow" }).click();
    const read = (await result(id)) as { ok: { text: string; confidence: number } };
    expect(read.ok, JSON.stringify(read)).toBeDefined();
    for (const line of LINES) expect(normal(read.ok.text)).toContain(normal(line));
    expect(read.ok.confidence).toBeGreaterThan(0.5);

    // camera.snapshot: no prompt now (camera is allowed); a JPEG in the app's own files.
    const snap = (await call("camera.snapshot")) as { ok: { path: string; width: number; height: number; bytes: number } };
    expect(snap.ok).toMatchObject({ path: expect.stringMatching(/^camera\/photo-\d{8}-\d{6}\.jpg$/), width: 640, height: 480 });
    const photo = await page.evaluate(async (path) => {
      const r = await (window as unknown as { scout: { storage: { read(p: string): Promise<{ type: string; content: Blob }> } } }).scout.storage.read(path);
      return { type: r.type, mime: r.content.type, head: [...new Uint8Array(await r.content.slice(0, 2).arrayBuffer())], size: r.content.size };
    }, snap.ok.path);
    expect(photo).toEqual({ type: "blob", mime: "image/jpeg", head: [0xff, 0xd8], size: snap.ok.bytes });

    // Every camera track this tab opened is stopped: no camera light left on.
    const tracks = await page.evaluate(() => ({ states: (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((t) => t.readyState), live: window.aios.devices.liveCameraTracks() }));
    expect(tracks.states).toEqual(["ended", "ended"]);
    expect(tracks.live).toBe(0);

    // Revoke camera in the Permissions window: asked again; Allow once.
    await page.getByRole("button", { name: "Permissions" }).click();
    const perms = page.getByRole("dialog", { name: "Permissions" });
    const grants = perms.getByRole("table", { name: "Permissions of scout" });
    await expect.poll(() => grants.getByRole("combobox", { name: "Decision for camera (scout)" }).inputValue()).toBe("allow");
    expect(await grants.getByRole("combobox", { name: "Decision for geolocation (scout)" }).inputValue()).toBe("ask");
    await grants.getByRole("button", { name: "Revoke camera for scout" }).click();
    await expect.poll(() => grants.getByRole("combobox", { name: "Decision for camera (scout)" }).inputValue()).toBe("ask");
    await perms.getByRole("button", { name: /Close/ }).click();
    id = await start("camera.snapshot");
    await answer("Allow once", "take a photo with the camera");
    expect(await result(id)).toMatchObject({ ok: { width: 640, height: 480 } });

    // The clipboard: write, then read back what was written. scout has read camera text (untrusted),
    // so a consequential call needs the person's approval for that one call (labels.ts): the dialog
    // says why and offers no "Always allow".
    id = await start("clipboard.write", { text: "hello from AIOS" });
    await expect.poll(() => consent.count(), { timeout: 20_000 }).toBe(1);
    expect(await consent.getByTestId("consent-reason").textContent()).toContain("follows content from camera.read");
    expect(await consent.getByRole("button", { name: "Always allow" }).count()).toBe(0);
    await shoot(page, "approval-after-untrusted");
    await answer("Allow once", "writing to your clipboard");
    expect(await result(id)).toEqual({ ok: { written: 15 } });
    id = await start("clipboard.read");
    await answer("Always allow", "reading your clipboard");
    expect(await result(id)).toEqual({ ok: { text: "hello from AIOS" } });

    // A notification, shown by the real API.
    id = await start("notify", { title: "call mom", body: "from scout" });
    await answer("Allow once", "notifications");
    expect(await result(id)).toEqual({ ok: { shown: true } });
    expect(await page.evaluate(() => (window as unknown as { __notes: string[] }).__notes)).toEqual(["call mom|from scout"]);

    // Speech: headless Chromium has no voice → a clear ENODEV; with a voice it speaks.
    const voices = await page.evaluate(() => speechSynthesis.getVoices().length);
    id = await start("speak", { text: "good morning" });
    await answer("Allow once", "speaking aloud");
    const spoken = await result(id);
    if (voices === 0) expect(spoken).toEqual({ code: "ENODEV", message: "this browser has no voice for speech synthesis" });
    else expect(spoken).toMatchObject({ ok: { spoken: true } });

    // files.import: the person picks a file in the shell's prompt (the screenshot), it lands in imports/.
    id = await start("files.import");
    await answer("Always allow", "files on your device");
    const prompt = page.getByRole("dialog", { name: "Give a file to scout" });
    await expect.poll(() => prompt.count()).toBe(1);
    await shoot(page, "device-file-prompt");
    const chooser = page.waitForEvent("filechooser");
    await prompt.getByRole("button", { name: "Choose a file…" }).click();
    await (await chooser).setFiles({ name: "shopping list.txt", mimeType: "text/plain", buffer: Buffer.from("eggs, milk, bread") });
    expect(await result(id)).toEqual({ ok: { path: "imports/shopping list.txt", name: "shopping list.txt", bytes: 17, type: "text/plain" } });
    expect(await page.evaluate(() => (window as unknown as { scout: { storage: { read(p: string): Promise<{ content: unknown }> } } }).scout.storage.read("imports/shopping list.txt").then((r) => r.content))).toBe("eggs, milk, bread");

    // Cancelled: ECANCELED, nothing written.
    id = await start("files.import");
    await expect.poll(() => prompt.count()).toBe(1);
    await prompt.getByRole("button", { name: "Cancel" }).click();
    expect(await result(id)).toMatchObject({ code: "ECANCELED" });

    // files.export: consequential after untrusted content — approved for this call — then the person saves the app's file.
    id = await start("files.export", { path: "imports/shopping list.txt" });
    await answer("Allow once", "follows content from");
    const save = page.getByRole("dialog", { name: "Save a file from scout" });
    await expect.poll(() => save.count()).toBe(1);
    expect(await save.textContent()).toContain("imports/shopping list.txt");
    const download = page.waitForEvent("download");
    await save.getByRole("button", { name: /Save/ }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe("shopping list.txt");
    expect(await readFile((await saved.path())!, "utf8")).toBe("eggs, milk, bread");
    expect(await result(id)).toEqual({ ok: { saved: true, name: "shopping list.txt", bytes: 17 } });

    // The audit log has every device call with who decided.
    const audit = await page.evaluate((pid) => window.aios.access.audit({ pid }), pid);
    const seen = audit.entries.map((e) => `${e.tool}:${e.decision}:${e.by}${e.error ? `:${e.error}` : ""}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        "geolocation:deny:user-deny:EPERM",
        "camera.read:allow:user-always",
        "camera.snapshot:allow:policy",
        "camera.snapshot:allow:user-once",
        // Approved for that call only (after untrusted camera text): "once", never "always".
        "clipboard.write:allow:user-once",
        "clipboard.read:allow:user-always",
        "notify:allow:user-once",
        "files.import:allow:user-always",
        "files.import:allow:policy:ECANCELED",
        "files.export:allow:user-once",
      ]),
    );
    // The labels and the reason behind the approvals are in the audit log.
    const approved = audit.entries.find((e) => e.tool === "files.export")!;
    expect(approved.reason).toContain("follows content from");
    expect(approved.labels?.untrusted.some((s) => s.startsWith("camera.read"))).toBe(true);
    expect(approved.labels?.private).toEqual(expect.arrayContaining(["camera", "clipboard", "files"]));
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("ENODEV when no open tab can serve a device; the tab serving a call closing gives a typed error, not a hang", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const { page: shellTab, context } = app;
    // A second tab of the same OS without the shell's file prompts (a page using window.aios alone).
    const plain = await context.newPage();
    await plain.goto(shellTab.url());
    await plain.evaluate(() => window.aios.ready);
    // Its shell registers its file prompts once mounted: withdraw them only after that (else they come back).
    await expect.poll(() => plain.evaluate(() => window.aios.devices.served())).toContain("files.import");
    await plain.evaluate(() => window.aios.devices.setPrompts(null));
    await expect.poll(() => plain.evaluate(() => window.aios.devices.served())).not.toContain("files.import");
    await expect.poll(async () => (await plain.evaluate(() => window.aios.devices.hosts())).length).toBe(2);
    // The kernel's view, not only the tab's: one host (the shell tab) serves the file picker.
    await expect.poll(async () => (await plain.evaluate(() => window.aios.devices.hosts())).filter((h) => h.devices.includes("files.import")).length).toBe(1);
    await plain.evaluate(async () => {
      await window.aios.access.set("mover", "files:io", "allow");
      Object.assign(window, { scout: await window.aios.spawn({ name: "mover", capabilities: ["files:io"] }) });
    });
    const { start, result, call } = caller(plain);
    // Routed to the shell tab (the only one with prompts), which shows its picker; then it closes.
    const id = await start("files.import");
    await expect.poll(() => shellTab.getByRole("dialog", { name: "Give a file to mover" }).count()).toBe(1);
    await shellTab.close();
    expect(await result(id)).toMatchObject({ code: "EIO", message: "the tab serving the device closed during the call" });
    // No open tab can serve it now.
    expect(await call("files.import")).toMatchObject({ code: "ENODEV", message: "no open AIOS shell can show a file picker" });
    // A tab that is closing withdraws its devices first (pagehide): a call then is ENODEV too.
    await plain.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false })));
    await expect.poll(async () => (await plain.evaluate(() => window.aios.devices.hosts())).flatMap((h) => h.devices)).toEqual([]);
    await plain.evaluate(() => window.aios.access.set("mover", "geolocation", "allow"));
    await plain.evaluate(async () => Object.assign(window, { scout: await window.aios.spawn({ name: "mover", capabilities: ["geolocation"] }) }));
    expect(await call("geolocation")).toMatchObject({ code: "ENODEV", message: expect.stringContaining("no open AIOS tab can serve geolocation") });
    app.assertOffline();
  } finally {
    await app.close();
  }
});
