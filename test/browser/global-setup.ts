/**
 * Serves the built app (dist/, from `vite build`) on 127.0.0.1 for the browser tests and checks
 * that a Chromium exists before any test starts.
 */
import { existsSync } from "node:fs";
import { preview, type PreviewServer } from "vite";
import type { TestProject } from "vitest/node";
import { chromiumPath } from "./chromium.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: PreviewServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  chromiumPath();
  if (!existsSync("dist/index.html")) throw new Error("dist/ is missing: run `npm run build` first (npm test does).");
  server = await preview({ preview: { host: "127.0.0.1", port: 0, strictPort: false }, logLevel: "warn" });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("vite preview did not report a URL");
  project.provide("baseUrl", url);
}

export async function teardown(): Promise<void> {
  await server?.close();
}
