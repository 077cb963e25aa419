import { execFileSync } from "node:child_process";
import { createRng } from "../../../../src/kernel/sampling.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { beforeEach, describe, expect, it } from "vitest";
import { KernelError } from "../../../../src/kernel/errors.ts";
import { checksum, MAX_ABS, VectorIndex, type VectorHit } from "../../../../src/kernel/storage/vector-index.ts";

// The relaxed int8 scan runs where the runtime has relaxed SIMD with the standard's semantics
// (Chromium, Node ≥ 22); elsewhere those tests are skipped and the simd128 scan runs.
const HAS_RELAXED = (await VectorIndex.create(4)).simd === "relaxed";

/** This runtime's i32x4.relaxed_dot_i8x16_i7x16_add_s on one known input, or null without it. */
async function relaxedDotHere(): Promise<number[] | null> {
  const { default: initWabt } = await import("wabt");
  const wabt = await initWabt();
  const wat = `(module (memory (export "m") 1) (func (export "f")
    (v128.store (i32.const 48) (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32))))))`;
  const module = wabt.parseWat("probe.wat", wat, { simd: true, relaxed_simd: true });
  const bytes = new Uint8Array(module.toBinary({}).buffer);
  module.destroy();
  if (!WebAssembly.validate(bytes)) return null;
  const { instance } = await WebAssembly.instantiate(bytes);
  const memory = instance.exports.m as WebAssembly.Memory;
  new Int8Array(memory.buffer, 0, 16).set([-127, 5, 100, -3, 1, 2, 3, 4, -5, -6, -7, -8, 9, 10, 11, 12]);
  new Int8Array(memory.buffer, 16, 16).set([127, 3, 1, 0, 2, 2, 2, 2, 100, 50, 25, 1, 0, 0, 0, 127]);
  new Int32Array(memory.buffer, 32, 4).set([1000, 0, 0, 0]);
  (instance.exports.f as () => void)();
  return Array.from(new Int32Array(memory.buffer, 48, 4));
}


function gaussian(random: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

function randomVectors(n: number, dim: number, seed: number): Float32Array[] {
  const g = gaussian(createRng(seed));
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, g));
}

/** Normalised points around `clusters` random centres (the shape of real embeddings). */
function clusteredVectors(n: number, dim: number, clusters: number, seed: number, spread = 0.35): Float32Array[] {
  const random = createRng(seed);
  const g = gaussian(random);
  const centres = Array.from({ length: clusters }, () => normalise(Float32Array.from({ length: dim }, g)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(random() * clusters)]!;
    return normalise(Float32Array.from(c, (x) => x + (spread * g()) / Math.sqrt(dim)));
  });
}

/** Brute force in float64: score desc, then id asc. */
function reference(vectors: Map<number, Float32Array>, query: Float32Array, k: number, filter?: (id: number) => boolean): VectorHit[] {
  const all: VectorHit[] = [];
  for (const [id, v] of vectors) {
    if (filter && !filter(id)) continue;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * query[i]!;
    all.push({ id, score: s });
  }
  return all.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

function expectExact(hits: VectorHit[], expected: VectorHit[]) {
  expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id));
  // f32 sums in another order: equal up to rounding, relative to the score's size.
  hits.forEach((h, i) => expect(Math.abs(h.score - expected[i]!.score)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[i]!.score))));
}

let kernel: "relaxed" | "simd128" = "simd128";

async function create(dim: number) {
  const index = await VectorIndex.create(dim, { relaxedSimd: kernel === "relaxed" });
  expect(index.simd).toBe(kernel);
  return index;
}

async function indexOf(vectors: Float32Array[], dim: number) {
  const index = await create(dim);
  const byId = new Map<number, Float32Array>();
  vectors.forEach((v, i) => {
    const id = i * 7 + 3; // ids are keys, not row numbers
    index.add(id, v);
    byId.set(id, v);
  });
  return { index, byId };
}

function einval(fn: () => unknown, field: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe("EINVAL");
    expect((error as KernelError).message.startsWith(`${field}:`)).toBe(true);
    return;
  }
  throw new Error(`expected EINVAL naming ${field}`);
}

async function einvalAsync(promise: Promise<unknown>, field: string) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(KernelError);
  expect((error as KernelError).code).toBe("EINVAL");
  expect((error as KernelError).message.startsWith(`${field}:`)).toBe(true);
}

describe.each(["simd128", "relaxed"] as const)("VectorIndex (%s int8 scan)", (simd) => {
  beforeEach(() => {
    kernel = simd;
  });
  if (simd === "relaxed" && !HAS_RELAXED) {
    it.skip("needs relaxed SIMD", () => {});
    return;
  }

  it("f32 mode equals a brute-force reference on random data, odd dims included", async () => {
    for (const dim of [1, 3, 37, 384]) {
      const { index, byId } = await indexOf(randomVectors(1500, dim, dim), dim);
      expect(index.size).toBe(1500);
      for (const query of randomVectors(10, dim, 1000 + dim)) {
        for (const k of [1, 10, 64]) expectExact(index.search(query, k, { mode: "f32" }), reference(byId, query, k));
      }
    }
  });

  it("f32 mode equals the reference on clustered data, and int8 + re-rank does too", async () => {
    const dim = 96;
    const { index, byId } = await indexOf(clusteredVectors(4000, dim, 20, 5), dim);
    for (const query of clusteredVectors(20, dim, 20, 5).map((q, i) => (i % 2 ? q : normalise(q.map((x) => x + 0.01))))) {
      const expected = reference(byId, query, 10);
      expectExact(index.search(query, 10, { mode: "f32" }), expected);
      expectExact(index.search(query, 10, { mode: "int8", rerank: 200 }), expected);
    }
  });

  it("int8 + re-rank of 50 reaches recall@10 ≥ 0.99 on 10k clustered 384-d vectors", async () => {
    const dim = 384;
    const vectors = clusteredVectors(10_000, dim, 100, 42);
    const { index } = await indexOf(vectors, dim);
    let found = 0;
    const queries = clusteredVectors(100, dim, 100, 42).map((_, i) => vectors[(i * 97) % vectors.length]!.map((x, j) => x + (j % 3 ? 0.01 : -0.01)));
    for (const query of queries) {
      const exact = new Set(index.search(query, 10, { mode: "f32" }).map((h) => h.id));
      const hits = index.search(query, 10);
      expect(hits).toHaveLength(10);
      found += hits.filter((h) => exact.has(h.id)).length;
      // Re-ranked scores are the exact ones.
      const f32 = index.search(query, 50, { mode: "f32" });
      for (const h of hits) expect(h.score).toBe(f32.find((e) => e.id === h.id)?.score ?? h.score);
    }
    expect(found / (10 * queries.length)).toBeGreaterThanOrEqual(0.99);
    // The int8 scan alone (no re-rank slack) already ranks nearly right.
    let alone = 0;
    for (const query of queries.slice(0, 30)) {
      const exact = new Set(index.search(query, 10, { mode: "f32" }).map((h) => h.id));
      alone += index.search(query, 10, { rerank: 10 }).filter((h) => exact.has(h.id)).length;
    }
    expect(alone / 300).toBeGreaterThanOrEqual(0.8);
  });

  it("breaks ties by id, in both modes", async () => {
    const index = await create(5);
    const v = new Float32Array([0.5, -0.25, 0.125, 1, 0]);
    for (const id of [9, 3, 4_000_000_000, 5]) index.add(id, v);
    index.add(1, new Float32Array([0, 0, 0, 0, 1]));
    for (const mode of ["f32", "int8"] as const) {
      expect(index.search(v, 3, { mode }).map((h) => h.id)).toEqual([3, 5, 9]);
      expect(index.search(v, 10, { mode }).map((h) => h.id)).toEqual([3, 5, 9, 4_000_000_000, 1]);
    }
  });

  it("add replaces, remove swap-removes, and growth keeps every vector", async () => {
    const dim = 20;
    const random = createRng(9);
    const pool = randomVectors(600, dim, 77);
    const index = await create(dim);
    const live = new Map<number, Float32Array>();
    for (let step = 0; step < 3000; step++) {
      const id = Math.floor(random() * 400);
      if (random() < 0.35) {
        expect(index.remove(id)).toBe(live.delete(id));
      } else {
        const v = pool[Math.floor(random() * pool.length)]!;
        index.add(id, v);
        live.set(id, v);
      }
      expect(index.size).toBe(live.size);
      if (step % 150 === 0) {
        const q = pool[step % pool.length]!;
        expectExact(index.search(q, 15, { mode: "f32" }), reference(live, q, 15));
        expectExact(index.search(q, 15, { mode: "int8", rerank: 400 }), reference(live, q, 15));
      }
    }
    for (const id of [...live.keys()]) expect(index.remove(id)).toBe(true);
    expect(index.size).toBe(0);
    expect(index.search(pool[0]!, 5)).toEqual([]);
    expect(index.remove(1)).toBe(false);
  });

  it("a filter keeps only the ids it accepts, and k larger than the index returns all", async () => {
    const dim = 16;
    const { index, byId } = await indexOf(clusteredVectors(2000, dim, 8, 3), dim);
    const even = (id: number) => id % 2 === 0;
    for (const query of randomVectors(5, dim, 4)) {
      expectExact(index.search(query, 10, { mode: "f32", filter: even }), reference(byId, query, 10, even));
      expectExact(index.search(query, 10, { filter: even, rerank: 2000 }), reference(byId, query, 10, even));
      expect(index.search(query, 10, { filter: () => false })).toEqual([]);
    }
    expect(index.search(randomVectors(1, dim, 5)[0]!, 5000, { mode: "f32" })).toHaveLength(2000);
  });

  it("serialize/deserialize round-trips losslessly and rejects bad bytes", async () => {
    const dim = 37;
    const { index } = await indexOf(clusteredVectors(700, dim, 5, 8), dim);
    for (let id = 3; id < 700; id += 35) index.remove(id);
    const bytes = index.serialize();
    const copy = await VectorIndex.deserialize(bytes, { relaxedSimd: kernel === "relaxed" });
    expect(copy.simd).toBe(kernel);
    expect(copy.dim).toBe(dim);
    expect(copy.size).toBe(index.size);
    expect(copy.serialize()).toEqual(bytes);
    for (const query of randomVectors(5, dim, 6)) {
      for (const mode of ["f32", "int8"] as const) expect(copy.search(query, 20, { mode })).toEqual(index.search(query, 20, { mode }));
    }
    // An unaligned view of the same bytes reads the same.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect((await VectorIndex.deserialize(shifted.subarray(1))).serialize()).toEqual(bytes);
    const empty = await VectorIndex.deserialize((await VectorIndex.create(4)).serialize());
    expect([empty.dim, empty.size]).toEqual([4, 0]);

    const patched = (at: number, value: number, fixCrc = false) => {
      const b = bytes.slice();
      new DataView(b.buffer).setUint32(at, value, true);
      if (fixCrc) new DataView(b.buffer).setUint32(16, checksum(b.subarray(20)), true);
      return b;
    };
    const ids = new DataView(bytes.buffer, 20);
    await einvalAsync(VectorIndex.deserialize(bytes.subarray(0, bytes.length - 1)), "bytes");
    await einvalAsync(VectorIndex.deserialize(new Uint8Array(3)), "bytes");
    await einvalAsync(VectorIndex.deserialize(patched(0, 0x12345678)), "bytes"); // magic
    await einvalAsync(VectorIndex.deserialize(patched(4, 2)), "bytes"); // version
    await einvalAsync(VectorIndex.deserialize(patched(8, 0)), "bytes"); // dim
    await einvalAsync(VectorIndex.deserialize(patched(12, index.size + 1)), "bytes"); // size vs length
    await einvalAsync(VectorIndex.deserialize(patched(20 + index.size * 4 + 8, 0x3f800001)), "bytes"); // checksum
    await einvalAsync(VectorIndex.deserialize(patched(24, ids.getUint32(0, true), true)), "bytes"); // duplicate id
    await einvalAsync(VectorIndex.deserialize(patched(20 + index.size * 4 + 8, 0x7fc00000, true)), "bytes"); // NaN
    await einvalAsync(VectorIndex.deserialize([1, 2, 3] as unknown as Uint8Array), "bytes");
  });

});

describe("VectorIndex", () => {
  it("uses the relaxed scan only where the runtime computes relaxed SIMD as the standard says", async () => {
    // Node 20's V8 validates relaxed SIMD behind this flag but computes a pre-standard dot.
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    const dot = await relaxedDotHere();
    const standard = dot !== null && JSON.stringify(dot) === JSON.stringify([-15014, 20, -983, 1524]);
    const index = await VectorIndex.create(8);
    expect(index.simd).toBe(standard ? "relaxed" : "simd128");
    expect((await VectorIndex.create(8, { relaxedSimd: false })).simd).toBe("simd128");
  });

  it("rejects every bad input with EINVAL naming the field", async () => {
    for (const dim of [0, -1, 1.5, 70_000, Number.NaN, "8"]) await einvalAsync(VectorIndex.create(dim as number), "dim");
    const index = await VectorIndex.create(4);
    const v = new Float32Array([1, 0, 0, 0]);
    for (const id of [-1, 1.5, 2 ** 32, Number.NaN, "1", null]) einval(() => index.add(id as number, v), "id");
    einval(() => index.add(1, new Float32Array(3)), "vector");
    einval(() => index.add(1, [1, 0, 0, 0] as unknown as Float32Array), "vector");
    einval(() => index.add(1, new Float32Array([1, Number.NaN, 0, 0])), "vector");
    einval(() => index.add(1, new Float32Array([1, Infinity, 0, 0])), "vector");
    einval(() => index.add(1, new Float32Array([1, -MAX_ABS * 10, 0, 0])), "vector");
    expect(index.size).toBe(0);
    index.add(2 ** 32 - 1, v);
    index.add(0, v);
    einval(() => index.remove(-3), "id");
    einval(() => index.search(new Float32Array(5), 1), "query");
    einval(() => index.search(new Float32Array([0, -Infinity, 0, 0]), 1), "query");
    einval(() => index.add(0, new Float32Array([0, 0, Number.NaN, 0])), "vector"); // a replacement too
    expect(index.search(v, 1, { mode: "f32" })[0]).toEqual({ id: 0, score: 1 });
    await einvalAsync(VectorIndex.create(4, { relaxedSimd: "yes" } as never), "relaxedSimd");
    await einvalAsync(VectorIndex.create(4, { simd: true } as never), "simd");
    for (const k of [0, -1, 1.5, Number.NaN, "3", Infinity]) einval(() => index.search(v, k as number), "k");
    einval(() => index.search(v, 1, { mode: "f16" as "f32" }), "mode");
    for (const rerank of [0, 2.5, "9"]) einval(() => index.search(v, 1, { rerank: rerank as number }), "rerank");
    einval(() => index.search(v, 1, { filter: "even" as never }), "filter");
    einval(() => index.search(v, 1, { topK: 3 } as never), "topK");
    einval(() => index.search(v, 1, null as never), "options");
    expect(index.search(v, 5).map((h) => h.id)).toEqual([0, 2 ** 32 - 1]);
  });

  it("the committed kernel equals a fresh build of its source", () => {
    const root = join(import.meta.dirname, "../../../..");
    const dir = mkdtempSync(join(tmpdir(), "aios-wasm-"));
    try {
      const out = join(dir, "vector-kernel.wasm.ts");
      execFileSync(process.execPath, [join(root, "tools/build-wasm.mjs"), "--out", out], { cwd: root, stdio: "pipe" });
      expect(readFileSync(out, "utf8")).toBe(readFileSync(join(root, "src/kernel/storage/wasm/vector-kernel.wasm.ts"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
