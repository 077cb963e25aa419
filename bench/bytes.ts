/**
 * Bytes fetched before `aios.ready`: what the page and its kernel worker (a SharedWorker, whose
 * requests Playwright does not report) download and parse to boot, counted at the server. A
 * preview server of its own records each request's path and arrival time; the page reports when
 * `aios.ready` resolved on the same clock (Date.now(), one machine); the requests that arrived by
 * then are summed by the size of the file served (the bytes the browser decodes and parses, not
 * the bytes on the wire). Fresh browser context: no HTTP cache, no service worker.
 *
 * Kinds: "js" (.js, .mjs: parsed and compiled), "wasm" (compiled), "data" (model weights,
 * tokenizers, JSON, CSS, HTML, images: read, not compiled).
 */
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { preview } from "vite";
import { isLoopback } from "../test/browser/chromium.ts";

export interface BytesBeforeReady {
  device: string;
  readyMs: number;
  js: { bytes: number; files: number };
  wasm: { bytes: number; files: number };
  data: { bytes: number; files: number };
  /** The largest JS files fetched before ready: [path, bytes]. */
  largestJs: Array<[string, number]>;
}

const kindOf = (path: string) => (/\.m?js$/.test(path) ? "js" : path.endsWith(".wasm") ? "wasm" : "data");

/** `outDir`: the built app to serve (default: vite.config's, dist/). */
export async function bytesBeforeReady(browser: Browser, device: "wasm" | "webgpu", outDir = "dist"): Promise<BytesBeforeReady> {
  const root = resolve(outDir);
  const seen: Array<{ path: string; at: number }> = [];
  const server = await preview({
    logLevel: "warn",
    build: { outDir: root },
    preview: { host: "127.0.0.1", port: 0 },
    plugins: [
      {
        name: "aios-bench-request-log",
        configurePreviewServer(s) {
          s.middlewares.use((req, _res, next) => {
            seen.push({ path: decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname), at: Date.now() });
            next();
          });
        },
      },
    ],
  });
  const context = await browser.newContext({ serviceWorkers: "block" });
  try {
    const offsite: string[] = [];
    await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : (offsite.push(route.request().url()), route.abort())));
    const page = await context.newPage();
    await page.goto(`${server.resolvedUrls!.local[0]}?device=${device}`);
    const { readyAt, readyMs } = await page.evaluate(async () => {
      await window.aios.ready;
      return { readyAt: Date.now(), readyMs: performance.now() };
    });
    if (offsite.length) throw new Error(`requests left the machine: ${offsite.join(", ")}`);
    const out: BytesBeforeReady = { device, readyMs, js: { bytes: 0, files: 0 }, wasm: { bytes: 0, files: 0 }, data: { bytes: 0, files: 0 }, largestJs: [] };
    const counted = new Set<string>();
    for (const { path, at } of seen) {
      if (at > readyAt || counted.has(path)) continue;
      counted.add(path);
      const file = join(root, path === "/" ? "index.html" : path);
      let bytes: number;
      try {
        bytes = statSync(file).size;
      } catch {
        continue; // not a file of the build (e.g. a 404)
      }
      const kind = kindOf(path);
      out[kind].bytes += bytes;
      out[kind].files++;
      if (kind === "js") out.largestJs.push([path, bytes]);
    }
    out.largestJs.sort((a, b) => b[1] - a[1]).splice(5);
    return out;
  } finally {
    await context.close();
    await server.close();
  }
}

export function printBytesBeforeReady(r: BytesBeforeReady): void {
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(`  bytes fetched before aios.ready (${r.device}, fresh context, ready at ${r.readyMs.toFixed(0)} ms): JS ${mb(r.js.bytes)} in ${r.js.files} files, wasm ${mb(r.wasm.bytes)} in ${r.wasm.files}, data ${mb(r.data.bytes)} in ${r.data.files}`);
  console.log(`    largest JS: ${r.largestJs.map(([p, n]) => `${p.replace(/^\/assets\//, "")} ${mb(n)}`).join(", ")}`);
}
