/**
 * What the bench needs of Vite's `preview()` — the built `dist/` served on loopback — with no
 * Vite: the portable bench (pack.sh) runs on a machine that has no node_modules. Same files, same
 * paths; like Vite's preview, no compression for .onnx weights (none at all here).
 */
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

interface PreviewOptions {
  build?: { outDir?: string };
  preview?: { host?: string; port?: number };
}

export async function preview(options: PreviewOptions = {}) {
  const root = resolve(options.build?.outDir ?? "dist");
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const size = statSync(file).size;
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": size, "cache-control": "no-cache" });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  const host = options.preview?.host ?? "127.0.0.1";
  await new Promise<void>((ready) => server.listen(options.preview?.port ?? 0, host, ready));
  const { port } = server.address() as AddressInfo;
  return { resolvedUrls: { local: [`http://${host}:${port}/`], network: [] }, close: () => new Promise<void>((done) => server.close(() => done())) };
}
