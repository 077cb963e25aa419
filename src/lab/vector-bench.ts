/**
 * The in-page half of bench/vectors.ts: window.vectorBench.run(config) builds clustered,
 * normalised vectors from a seed, then measures side by side, on the same data and queries:
 * a plain-JS brute force (also the exact ground truth, in float64), our VectorIndex in "f32" and
 * "int8" (+ f32 re-rank) modes, Orama's vector search and hnswlib-wasm's HNSW graph. Libraries
 * are imported on demand, so lab.html pays nothing for this until a benchmark runs.
 */
import { VectorIndex } from "../kernel/storage/vector-index.ts";
import { createRng } from "../kernel/sampling.ts";

export interface VectorBenchConfig {
  sizes?: number[];
  dim?: number;
  /** Measured queries per engine and size (after a few warm-up ones). */
  queries?: number;
  k?: number;
  seed?: number;
  /** Points per cluster centre (clusters = size / this). */
  clusterSize?: number;
  /** Noise around each centre, relative to the unit centre. */
  spread?: number;
  rerank?: number;
  /** ours-int8 uses relaxed SIMD where the browser has it; ours-int8-simd128 never does. */
  engines?: Array<"js" | "ours-f32" | "ours-int8" | "ours-int8-simd128" | "orama" | "hnswlib">;
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number; maxBuildMs?: number };
}

export interface VectorBenchRow {
  engine: string;
  size: number;
  dim: number;
  /** Time to insert all vectors (index construction included). null: not measured (see note). */
  buildMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
  recallAt10: number | null;
  queries: number;
  /** Runs of each query timed together (timer resolution is 0.1 ms without cross-origin isolation). */
  repeat: number;
  note?: string;
}

const DEFAULTS = {
  sizes: [10_000, 100_000],
  dim: 384,
  queries: 50,
  k: 10,
  seed: 1,
  clusterSize: 500,
  spread: 1,
  rerank: 50,
  engines: ["js", "ours-f32", "ours-int8", "ours-int8-simd128", "orama", "hnswlib"],
  hnsw: { m: 16, efConstruction: 100, efSearch: 100, maxBuildMs: 180_000 },
} as const;


function normaliseInPlace(v: Float32Array) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = 1 / (Math.sqrt(s) || 1);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
}

/** n clustered unit vectors (centre + gaussian noise, renormalised) and q queries from the same mixture. */
function dataset(n: number, q: number, dim: number, clusterSize: number, spread: number, seed: number) {
  const random = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const clusters = Math.max(1, Math.round(n / clusterSize));
  const centres = new Float32Array(clusters * dim);
  for (let c = 0; c < clusters; c++) {
    const v = centres.subarray(c * dim, (c + 1) * dim);
    for (let i = 0; i < dim; i++) v[i] = gauss();
    normaliseInPlace(v);
  }
  const sigma = spread / Math.sqrt(dim);
  const make = (count: number) => {
    const flat = new Float32Array(count * dim);
    const rows: Float32Array[] = [];
    for (let r = 0; r < count; r++) {
      const v = flat.subarray(r * dim, (r + 1) * dim);
      const c = Math.floor(random() * clusters) * dim;
      for (let i = 0; i < dim; i++) v[i] = centres[c + i]! + sigma * gauss();
      normaliseInPlace(v);
      rows.push(v);
    }
    return rows;
  };
  return { vectors: make(n), queries: make(q) };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

type Search = (q: Float32Array) => number[];

/**
 * Times each of `searches` on every query (after warm-ups), interleaved query by query so a noisy
 * machine's slow spells hit them alike, each repeated enough to beat the timer's resolution.
 */
async function measureMany(queries: Float32Array[], searches: Search[], truth: number[][], k: number) {
  const repeats = searches.map((search) => {
    for (const q of queries.slice(0, 5)) search(q);
    const warm = performance.now();
    for (const q of queries.slice(0, 5)) search(q);
    const each = (performance.now() - warm) / Math.min(5, queries.length);
    return Math.min(100, Math.max(1, Math.ceil(5 / Math.max(each, 0.01))));
  });
  const times = searches.map((): number[] => []);
  const found = searches.map(() => 0);
  for (let i = 0; i < queries.length; i++) {
    const exact = new Set(truth[i]);
    searches.forEach((search, s) => {
      const t = performance.now();
      let ids: number[] = [];
      for (let r = 0; r < repeats[s]!; r++) ids = search(queries[i]!);
      times[s]!.push((performance.now() - t) / repeats[s]!);
      found[s]! += ids.slice(0, k).filter((id) => exact.has(id)).length;
    });
    if (i % 10 === 9) await settle();
  }
  return searches.map((_, s) => {
    const sorted = times[s]!.sort((a, b) => a - b);
    return { medianMs: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), recallAt10: found[s]! / (k * queries.length), queries: queries.length, repeat: repeats[s]! };
  });
}

async function measure(queries: Float32Array[], search: Search, truth: number[][], k: number) {
  return (await measureMany(queries, [search], truth, k))[0]!;
}

/** Exact top-k by plain JS (float64 sums; ties by lower id): the baseline and the ground truth. */
function bruteForce(vectors: Float32Array[], q: Float32Array, k: number): number[] {
  const best: Array<[number, number]> = [];
  let worst = -Infinity;
  for (let id = 0; id < vectors.length; id++) {
    const v = vectors[id]!;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * q[i]!;
    if (best.length === k && s <= worst) continue;
    best.push([s, id]);
    best.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    if (best.length > k) best.pop();
    worst = best[best.length - 1]![0];
  }
  return best.map(([, id]) => id);
}

interface HnswIndex {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  addPoints(items: Float32Array[], labels: number[], replaceDeleted: boolean): void;
  setEfSearch(ef: number): void;
  searchKnn(query: Float32Array, k: number, filter: undefined): { distances: number[]; neighbors: number[] };
  delete?(): void;
}

async function run(config: VectorBenchConfig = {}): Promise<VectorBenchRow[]> {
  const c = { ...DEFAULTS, ...config, hnsw: { ...DEFAULTS.hnsw, ...config.hnsw } };
  const engines = new Set<string>(c.engines);
  const rows: VectorBenchRow[] = [];
  let hnswTooSlow = "";
  for (const size of c.sizes) {
    const { vectors, queries } = dataset(size, c.queries + 5, c.dim, c.clusterSize, c.spread, c.seed + size);
    const truth = queries.map((q) => bruteForce(vectors, q, c.k));
    const row = (engine: string, buildMs: number | null, m: Awaited<ReturnType<typeof measure>>, note?: string) => rows.push({ engine, size, dim: c.dim, buildMs, ...m, ...(note ? { note } : {}) });
    const measured = queries.slice(5);
    const measuredTruth = truth.slice(5);

    if (engines.has("js")) row("js brute force (f32 arrays, f64 sums)", null, await measure(measured, (q) => bruteForce(vectors, q, c.k), measuredTruth, c.k));

    // Ours: the default index (relaxed SIMD where the browser has it) in both modes, and one that
    // never uses relaxed SIMD, measured interleaved.
    const ours: Array<{ label: string; buildMs: number; search: Search }> = [];
    for (const relaxedSimd of [true, false]) {
      const modes = (relaxedSimd ? (["f32", "int8"] as const) : (["int8"] as const)).filter((m) => engines.has(relaxedSimd ? `ours-${m}` : `ours-${m}-simd128`));
      if (modes.length === 0) continue;
      const t = performance.now();
      const index = await VectorIndex.create(c.dim, { relaxedSimd });
      for (let id = 0; id < size; id++) index.add(id, vectors[id]!);
      const buildMs = performance.now() - t;
      for (const mode of modes) {
        const label = mode === "f32" ? "ours f32 (wasm SIMD scan)" : `ours int8 (${index.simd} scan) + f32 re-rank of ${c.rerank}`;
        ours.push({ label, buildMs, search: (q) => index.search(q, c.k, { mode, rerank: c.rerank }).map((h) => h.id) });
      }
      await settle();
    }
    if (ours.length) {
      const ms = await measureMany(measured, ours.map((o) => o.search), measuredTruth, c.k);
      ours.forEach((o, i) => row(o.label, o.buildMs, ms[i]!));
      ours.length = 0;
      await settle();
    }

    if (engines.has("orama")) {
      const { create, insertMultiple, search } = await import("@orama/orama");
      // Orama takes plain arrays (it copies them into Float32Arrays): made before the clock starts.
      let docs: Array<{ id: string; embedding: number[] }> | null = vectors.map((v, id) => ({ id: String(id), embedding: Array.from(v) }));
      const t = performance.now();
      const db = create({ schema: { embedding: `vector[${c.dim}]` } as const });
      await insertMultiple(db, docs as never, 1000);
      docs = null;
      const buildMs = performance.now() - t;
      await settle();
      const m = await measure(
        measured,
        (q) => {
          const r = search(db, { mode: "vector", vector: { value: q, property: "embedding" }, similarity: 0, limit: c.k } as never) as unknown as { hits: Array<{ id: string }> };
          return r.hits.map((h) => Number(h.id));
        },
        measuredTruth,
        c.k,
      );
      row("orama (JS brute force, similarity ≥ 0)", buildMs, m);
    }

    if (engines.has("hnswlib")) {
      if (hnswTooSlow) {
        rows.push({ engine: "hnswlib-wasm (HNSW)", size, dim: c.dim, buildMs: null, medianMs: null, p95Ms: null, recallAt10: null, queries: 0, repeat: 0, note: hnswTooSlow });
      } else {
        const { loadHnswlib } = await import("hnswlib-wasm");
        const lib = (await loadHnswlib()) as unknown as { HierarchicalNSW: new (space: string, dim: number, autoSave: string) => HnswIndex };
        const t = performance.now();
        const index = new lib.HierarchicalNSW("ip", c.dim, "");
        index.initIndex(size, c.hnsw.m, c.hnsw.efConstruction, 100);
        const batch = 1000;
        for (let from = 0; from < size; from += batch) {
          const items = vectors.slice(from, from + batch);
          index.addPoints(items, items.map((_, i) => from + i), false);
          if ((from / batch) % 10 === 9) await settle();
        }
        const buildMs = performance.now() - t;
        index.setEfSearch(c.hnsw.efSearch);
        const m = await measure(measured, (q) => index.searchKnn(q, c.k, undefined).neighbors, measuredTruth, c.k);
        row(`hnswlib-wasm (HNSW M=${c.hnsw.m}, efC=${c.hnsw.efConstruction}, ef=${c.hnsw.efSearch})`, buildMs, m);
        index.delete?.();
        // Building grew as about n^1.3 here (10k → 100k: 14-24×): skip sizes that would run past the budget.
        const next = c.sizes.find((s) => s > size);
        if (next && buildMs * (next / size) ** 1.3 > c.hnsw.maxBuildMs) {
          hnswTooSlow = `skipped: building ${size} took ${(buildMs / 1000).toFixed(1)} s, so ${next} would take over ${(c.hnsw.maxBuildMs / 1000).toFixed(0)} s`;
        }
      }
    }
    await settle();
  }
  return rows;
}

const vectorBench = { run };

declare global {
  interface Window {
    vectorBench: typeof vectorBench;
  }
}
window.vectorBench = vectorBench;
