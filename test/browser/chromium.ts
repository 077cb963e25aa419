/** Locates Debian's Chromium (never a Playwright-downloaded browser) and the flags tests use. */
import { existsSync } from "node:fs";

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
  // Belt and braces under the per-test request guard: nothing but loopback resolves.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];
