// Offline after the first visit: one online visit installs the service worker (Workbox precache of
// the shell, the kernel bundles, ONNX Runtime's wasm, the embedded models); then the server is shut
// down and the browser is put offline, and a reload boots the OS, the shell chats, files and agent
// memory work — and the same after a full browser restart on the same profile.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchWithProfile } from "./chromium.ts";
import { shoot } from "./harness.ts";

let profile: string;
let server: PreviewServer | undefined;
let origin: string;

beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), "aios-offline-"));
  // A server of this test's own: shutting it down is the network cut (the origin stays the same).
  server = await preview({ preview: { host: "127.0.0.1", port: 0, strictPort: false }, logLevel: "warn" });
  origin = server.resolvedUrls!.local[0]!;
});
afterAll(async () => {
  await server?.close();
  await rm(profile, { recursive: true, force: true });
});

async function ask(page: Page, text: string): Promise<string> {
  const prompt = page.getByPlaceholder("Type a request and press Enter");
  const before = await page.locator('[data-role="assistant"]').count();
  await prompt.fill(text);
  await prompt.press("Enter");
  await expect.poll(() => page.locator('[data-role="assistant"]').count(), { timeout: 60_000 }).toBe(before + 1);
  await expect.poll(() => page.getByRole("button", { name: "Send" }).count(), { timeout: 120_000 }).toBe(1);
  return (await page.locator('[data-role="assistant"] .text').last().textContent()) ?? "";
}

async function open(context: BrowserContext): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${origin}?device=wasm`);
  await page.evaluate(() => window.aios.ready);
  expect(errors).toEqual([]);
  return page;
}

it("boots, chats and keeps files and memory with the network cut, after a reload and after a browser restart", async () => {
  // 1. The first visit, online: the service worker installs and stores everything.
  let { context, attempts } = await launchWithProfile(profile, { serviceWorkers: "allow" });
  let page = await open(context);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect.poll(() => page.getByTestId("connectivity").textContent(), { timeout: 60_000 }).toBe("online · works offline");
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
    return urls;
  });
  for (const path of ["/index.html", "/models/aios-tiny/onnx/model.onnx", "/models/aios-tiny/onnx/model_cpu.onnx", "/models/aios-embed/onnx/model_cpu.onnx", "/manifest.webmanifest"]) expect(cached).toContain(path);
  expect(cached.some((p) => /\/assets\/kernel\.shared-worker-.*\.js$/.test(p))).toBe(true);
  expect(cached.some((p) => /\/assets\/ort-wasm.*\.wasm$/.test(p))).toBe(true);
  // The model manager reads the precache: both embedded models load with no network.
  const offlineModels = await page.evaluate(async () => (await window.aios.models.list()).filter((m) => m.offline).map((m) => m.id));
  expect(offlineModels).toEqual(expect.arrayContaining(["aios-tiny", "aios-tiny-q8"]));
  const tiny = await page.evaluate(async () => (await window.aios.models.list()).find((m) => m.id === "aios-tiny")!);
  expect(tiny.diskBytes).toBeGreaterThan(1_000_000);
  const manifest = await page.evaluate(async () => (await fetch("/manifest.webmanifest")).json());
  expect(manifest).toMatchObject({ short_name: "AIOS", display: "standalone", start_url: "/" });

  // 2. The network cut: no server, the browser offline. A reload boots from the service worker.
  await server!.close();
  server = undefined;
  await context.setOffline(true);
  await page.reload();
  await page.evaluate(() => window.aios.ready);
  await expect.poll(() => page.getByTestId("connectivity").textContent(), { timeout: 30_000 }).toBe("offline · works offline");
  expect(await ask(page, "What is 12 times 7?")).toContain("84");
  const first = await page.evaluate(async () => {
    const agent = await window.aios.spawn({ name: "offline-notes", capabilities: ["files"] });
    await agent.storage.write("notes/offline.md", "Written with the network cut.");
    const chat = await window.aios.spawn({ name: "offline-chat" });
    const hello = await chat.chat("My name is Ada.");
    const recall = await chat.chat("What is my name?");
    return { read: (await agent.storage.read("notes/offline.md")).content, hello: hello.content, recall: recall.content };
  });
  expect(first.read).toBe("Written with the network cut.");
  expect(first.hello).toContain("Ada");
  expect(first.recall).toContain("Your name is Ada.");
  await shoot(page, "offline-shell");
  await context.close();

  // 3. A full browser restart on the same profile, still offline: the OS boots, the file and the
  // conversation are there.
  ({ context, attempts } = await launchWithProfile(profile, { serviceWorkers: "allow" }));
  await context.setOffline(true);
  page = await open(context);
  expect(await ask(page, "What is 12 times 7?")).toContain("84");
  const after = await page.evaluate(async () => {
    const agent = await window.aios.spawn({ name: "offline-notes", capabilities: ["files"] });
    const chat = await window.aios.spawn({ name: "offline-chat" });
    const recall = await chat.chat("What is my name?");
    return { read: (await agent.storage.read("notes/offline.md")).content, recall: recall.content };
  });
  expect(after.read).toBe("Written with the network cut.");
  expect(after.recall).toContain("Your name is Ada.");
  expect(attempts, "requests that tried to leave the machine").toEqual([]);
  await context.close();
});
