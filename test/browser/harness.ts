/**
 * Browser-test harness: real headless Chromium (Debian's), pages from the app on 127.0.0.1, and a
 * request guard that blocks every non-loopback request and fails the test if any was attempted.
 */
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { isLoopback, launch, launchWithProfile, proxyOf } from "./chromium.ts";

export { isLoopback, launch };

/** One Chromium for a test file: launched before its tests, closed after. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => browser?.close());
  return () => browser!;
}

export interface GuardedPage {
  page: Page;
  context: BrowserContext;
  /** Non-loopback requests that were attempted (and blocked), by pages and workers of any kind. */
  offsite(): string[];
  /** Page and worker errors and console errors. */
  errors: string[];
  /** Fails the test if anything left (or tried to leave) the machine. */
  assertOffline(): void;
  /**
   * Answers requests to `host` from this machine with `status` (e.g. a model hub answering 404),
   * so the app's real download path runs without any traffic leaving; returns the URLs served.
   */
  answerLocally(host: string, status: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function openApp(browser: Browser, query = "", options: { waitReady?: boolean } = {}): Promise<GuardedPage> {
  // Service workers blocked: Playwright's routes (the request guard below) do not see what a
  // service worker answers. test/browser/offline.test.ts covers the service worker.
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, serviceWorkers: "block" });
  const proxyAttempts = proxyOf(browser)?.attempts ?? [];
  const proxySeen = proxyAttempts.length;
  const offsite: string[] = [];
  const errors: string[] = [];
  const localHosts = new Set<string>();
  // Runs last among routes: a test's own page.route() (e.g. a 404 for a model hub) answers first.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    offsite.push(url);
    return route.abort("blockedbyclient");
  });
  context.on("request", (request) => {
    const url = request.url();
    if (!isLoopback(url) && !localHosts.has(new URL(url).hostname) && !offsite.includes(url)) offsite.push(url);
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  await page.goto(new URL(query, inject("baseUrl")).href);
  if (options.waitReady !== false) await page.evaluate(() => window.aios.ready);
  return {
    page,
    context,
    errors,
    offsite: () => [...offsite, ...proxyAttempts.slice(proxySeen)],
    assertOffline: () => expect([...offsite, ...proxyAttempts.slice(proxySeen)], "requests that tried to leave the machine").toEqual([]),
    answerLocally: async (host, status) => {
      const served: string[] = [];
      localHosts.add(host);
      await context.route(
        (url) => url.hostname === host,
        (route) => {
          served.push(route.request().url());
          return route.fulfill({ status, contentType: "text/plain", body: `answered locally with ${status}` });
        },
      );
      return served;
    },
    close: () => context.close(),
  };
}

/**
 * The app in a browser of its own with a profile on disk (for data that must survive a browser
 * restart), guarded like openApp; `offsite()` lists what tried to leave the machine.
 */
export async function openWithProfile(profile: string, query = "?device=wasm"): Promise<{ context: BrowserContext; page: Page; offsite(): string[] }> {
  const { context, attempts } = await launchWithProfile(profile);
  const blocked: string[] = [];
  await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : (blocked.push(route.request().url()), route.abort())));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(new URL(query, inject("baseUrl")).href);
  await page.evaluate(() => window.aios.ready);
  return { context, page, offsite: () => [...blocked, ...attempts] };
}

const SHOTS = "test-results/screenshots";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Screenshots of the page at desktop and phone widths: test-results/screenshots/<name>-{desktop,phone}.png. */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${SHOTS}/${name}-${size}.png` });
  }
  await page.setViewportSize(DESKTOP);
}
