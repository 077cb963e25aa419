/**
 * Vector search, measured in headless Chromium in one run, side by side on the same data: our
 * exact VectorIndex (wasm SIMD, "f32" and "int8" + f32 re-rank) vs a plain-JS brute force, Orama
 * and hnswlib-wasm, over 10k and 100k × 384-d clustered unit vectors made from a seed in the page
 * (src/lab/vector-bench.ts). Per engine and size: build time, top-10 latency median / p95 over 50
 * queries, recall@10 against the exact (float64) answer. Prints nothing; returns plain JSON.
 *
 * `page` must be lab.html of the built app (it loads window.vectorBench).
 */
import type { Page } from "playwright-core";
import type { VectorBenchConfig, VectorBenchRow } from "../src/lab/vector-bench.ts";

export interface VectorBenchResult {
  config: VectorBenchConfig;
  rows: VectorBenchRow[];
}

export async function benchVectors(page: Page, config: VectorBenchConfig = {}): Promise<VectorBenchResult> {
  await page.waitForFunction(() => typeof window.vectorBench?.run === "function");
  const rows = await page.evaluate((c) => window.vectorBench.run(c), config);
  return { config, rows };
}
