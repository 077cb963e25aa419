// A new deployment: two real builds (A = dist/, B = built here with AIOS_BUILD=B) served one after
// the other on the same origin. The new version waits while tabs of the old one are open — a tab
// opened meanwhile still gets the old shell and joins the old shared kernel — and "Reload to
// update" moves every tab to the new version and one new kernel.
import { execFile } from "node:child_process";
import { readFile, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launch, proxyOf } from "./chromium.ts";
import { shoot } from "./harness.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml", ".png": "image/png", ".gz": "application/gzip",
};

let tmp: string;
let root = "dist";
let server: Server;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "aios-update-"));
  await promisify(execFile)("npx", ["vite", "build", "--outDir", join(tmp, "dist-b"), "--emptyOutDir", "--logLevel", "error"], {
    env: { ...process.env, AIOS_BUILD: "B" },
  });
  // A plain static server whose folder the test switches: a deployment, as a host would do it.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = join(root, normalize(path === "/" ? "/index.html" : path));
    stat(file)
      .then((s) => (s.isFile() ? readFile(file) : Promise.reject(new Error("not a file"))))
      .then(
        (body) => res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" }).end(body),
        () => res.writeHead(404).end("not found"),
      );
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  browser = await launch();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => server?.close(ok));
  await rm(tmp, { recursive: true, force: true });
});

const crashed: string[] = [];
const build = (page: Page) => page.getByTestId("connectivity").getAttribute("data-build");
const names = (page: Page) => page.evaluate(async () => (await window.aios.kernel.ps()).map((p) => p.name));

async function openTab(context: Awaited<ReturnType<Browser["newContext"]>>): Promise<Page> {
  const page = await context.newPage();
  page.on("crash", () => crashed.push(page.url()));
  await page.goto(`${origin}?device=wasm`);
  await page.evaluate(() => window.aios.ready);
  return page;
}

it("a new version waits for the old tabs, new tabs join the old kernel meanwhile, and 'Reload to update' moves every tab", async () => {
  const context = await browser.newContext({ serviceWorkers: "allow", viewport: { width: 1100, height: 720 } });
  const [tab1, tab2] = [await openTab(context), await openTab(context)];
  await expect.poll(() => tab1.getByTestId("connectivity").textContent(), { timeout: 60_000 }).toBe("online · works offline");
  const buildA = await build(tab1);
  expect(buildA).not.toBe("B");
  await tab1.evaluate(() => window.aios.spawn({ name: "old-kernel-witness" }));

  // Deploy B; the tabs learn of it (the browser checks on navigations, the shell hourly).
  root = join(tmp, "dist-b");
  await tab1.evaluate(async () => void (await (await navigator.serviceWorker.getRegistration())!.update()));
  await expect.poll(() => tab1.getByTestId("update-notice").count(), { timeout: 60_000 }).toBe(1);
  expect(await tab1.getByTestId("update-notice").textContent()).toContain("A new version of AIOS is ready");
  await shoot(tab1, "update-notice");

  // Meanwhile a new tab gets the old shell from the old worker and shares the running kernel.
  const tab3 = await openTab(context);
  expect(await build(tab3)).toBe(buildA);
  expect(await names(tab3)).toContain("old-kernel-witness");
  expect(await tab2.evaluate(() => navigator.serviceWorker.controller?.state)).toBe("activated");

  // The person chooses to update: every tab reloads onto B, and they share one new kernel.
  const reloads = [tab1, tab2, tab3].map((t) => t.waitForEvent("load", { timeout: 60_000 }));
  await tab1.getByRole("button", { name: "Reload to update" }).click();
  await Promise.all(reloads).catch((e: Error) => {
    throw new Error(`${e.message}; renderer crashes: ${JSON.stringify(crashed)}`);
  });
  for (const tab of [tab1, tab2, tab3]) {
    await tab.evaluate(() => window.aios.ready);
    await expect.poll(() => build(tab), { timeout: 30_000 }).toBe("B");
  }
  expect(await names(tab1)).not.toContain("old-kernel-witness");
  await tab1.evaluate(() => window.aios.spawn({ name: "new-kernel-witness" }));
  expect(await names(tab3)).toContain("new-kernel-witness");
  await expect.poll(() => tab2.getByTestId("connectivity").textContent(), { timeout: 30_000 }).toBe("online · works offline");
  expect(proxyOf(browser)?.attempts ?? []).toEqual([]);
  await context.close();
});
