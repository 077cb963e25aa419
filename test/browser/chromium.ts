/**
 * Locates Debian's Chromium (never a Playwright-downloaded browser) and launches it with the flags
 * tests and benchmarks use, all its non-loopback traffic sent to the offline guard proxy.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { startOfflineProxy, type OfflineProxy } from "./offline-proxy.ts";

export function chromiumPath(
  candidates = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[],
): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `No Chromium found (looked at ${candidates.join(", ")}). Install Debian's package: ` +
        "`sudo apt-get update && sudo apt-get install -y chromium`, or set CHROME_PATH to a Chromium binary.",
    );
  }
  return found;
}

export const CHROMIUM_ARGS = [
  "--enable-unsafe-webgpu",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  // PreloadTopChromeWebUI, WebUIOmnibox*: the browser otherwise preloads its omnibox popup (a WebUI
  // renderer) in a headless window, which took a core for ~1.5 s during a cold start.
  "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate,PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxFullPopup",
  "--disable-client-side-phishing-detection",
  "--disable-domain-reliability",
  "--no-pings",
  // Belt and braces under the per-test request guard: nothing but loopback resolves.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
  // CHROMIUM_EXTRA_ARGS: more flags, space-separated (e.g. a hardware GPU's Vulkan: tools/gpu-bench).
  ...(process.env.CHROMIUM_EXTRA_ARGS ?? "").split(" ").filter(Boolean),
];

const proxies = new WeakMap<Browser, OfflineProxy>();

export function launch(): Promise<Browser> {
  return launchWithArgs([]);
}

/** launch() with more Chromium flags (e.g. a fake camera: see fake-camera.ts). */
export async function launchWithArgs(extraArgs: string[]): Promise<Browser> {
  const proxy = await startOfflineProxy();
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...extraArgs, `--proxy-server=${proxy.url}`], headless: true });
  proxies.set(browser, proxy);
  browser.on("disconnected", () => void proxy.close());
  return browser;
}

/**
 * A browser with a profile on disk (for tests that restart the browser and expect their data
 * back); its non-loopback traffic goes to a guard proxy too. Returns the context and what the
 * proxy caught.
 */
export async function launchWithProfile(userDataDir: string, options: { serviceWorkers?: "allow" | "block" } = {}): Promise<{ context: BrowserContext; attempts: string[] }> {
  const proxy = await startOfflineProxy();
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, `--proxy-server=${proxy.url}`],
    headless: true,
    viewport: { width: 1100, height: 720 },
    // Playwright's routes do not see what a service worker answers: tests that guard requests with
    // routes run without it (the default); the offline tests allow it and rely on the proxy.
    serviceWorkers: options.serviceWorkers ?? "block",
  });
  context.on("close", () => void proxy.close());
  return { context, attempts: proxy.attempts };
}

/** The guard proxy of a browser from launch(): what tried to leave the machine. */
export function proxyOf(browser: Browser): OfflineProxy | undefined {
  return proxies.get(browser);
}

export function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:") return true;
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}
