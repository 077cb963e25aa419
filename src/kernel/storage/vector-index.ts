/**
 * An exact vector-search index: every search scans every vector (no approximate graph), in a
 * WebAssembly SIMD kernel (wasm/vector-kernel.wat, plus wasm/vector-kernel-relaxed.wat where the
 * runtime has relaxed SIMD). Runs alike in Node, a dedicated worker and a module SharedWorker:
 * the kernel's bytes are bundled as base64, nothing is fetched.
 *
 * Invariants:
 * - rows 0..size-1 hold the live vectors; `ids[row]` is the row's key and `rowOf.get(id)` its
 *   row. Removing swaps the last row into the hole (O(1)), so row order is insertion order only
 *   until the first removal.
 * - rows live in blocks of wasm memory that are allocated once and never move (block b holds
 *   min(64·2^b, maxBlockRows) rows: f32 rows, int8 rows, scales, int8 sums); growing adds a block,
 *   so adding never copies what is stored.
 * - every f32 row is `stride32` floats and every int8 row `stride8` bytes; storing a row zeroes
 *   its padding past `dim`, so padding adds exactly 0 to dot products whatever the query holds.
 * - the int8 copy of a row is a function of its f32 values alone (per-row scale max|x| / 127), so
 *   serialize() stores only f32 and deserialize() rebuilds the same int8 bits.
 * - |values| ≤ MAX_ABS, so no dot product overflows f32 (no inf, no NaN scores).
 * - a search allocates no wasm memory once the scores scratch fits the index, and reuses its JS
 *   scratch; its f32 scores are bit-identical between "f32" mode and the "int8" re-rank.
 * - ties in score rank the lower id first.
 */
import { KernelError } from "../errors.ts";
import { VECTOR_KERNEL_RELAXED_WASM, VECTOR_KERNEL_WASM } from "./wasm/vector-kernel.wasm.ts";

export interface VectorHit {
  id: number;
  /** The dot product with the query: the cosine similarity for normalised vectors. */
  score: number;
}

export interface SearchOptions {
  /** "int8" (default): scan int8 copies, then re-rank the best `rerank` exactly in f32. */
  mode?: "f32" | "int8";
  /** Candidates the int8 scan keeps for the exact re-rank; at least k. Default 50. */
  rerank?: number;
  /** Only ids it accepts are returned; called only for vectors that would make the cut. It must not modify the index. */
  filter?: (id: number) => boolean;
}

export interface IndexOptions {
  /** Use the relaxed-SIMD int8 scan when the runtime has it and computes it right (default true). */
  relaxedSimd?: boolean;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  absmax(p: number, len: number): number;
  quantize_i8(src: number, dst: number, len: number, scale: number): number;
  quantize_i16(src: number, dst: number, len: number, scale: number): void;
  quantize_u7x2(src: number, hi: number, lo: number, len: number, scale: number): void;
  scan_f32(query: number, base: number, n: number, stride: number, out: number): void;
  gather_f32(query: number, rows: number, count: number, stride: number, out: number): void;
  scan_i8(query: number, base: number, scales: number, n: number, stride: number, out: number): void;
  next_ge(p: number, from: number, n: number, threshold: number): number;
}

interface RelaxedExports {
  scan_i8_relaxed(hi: number, lo: number, base: number, scales: number, sums: number, n: number, stride: number, out: number): void;
}

/** Rows [start, start + capacity) at fixed byte offsets in wasm memory. */
interface Block {
  start: number;
  capacity: number;
  f32: number;
  i8: number;
  scales: number;
  sums: number;
}

export const MAX_DIM = 65_536;
/** Largest |value| accepted: 65536 × (1e15)² stays far below f32's 3.4e38. */
export const MAX_ABS = 1e15;
const DEFAULT_RERANK = 50;
const PAGE = 65_536;
const MAX_BYTES = 65_536 * PAGE; // wasm32: 4 GiB
const FIRST_BLOCK_ROWS = 64;
const BLOCK_BYTES = 8 << 20; // blocks stop doubling at about this size
const MAGIC = 0x58564941; // "AIVX" read as a little-endian u32
const VERSION = 1;
const HEADER = 20; // magic, version, dim, size, checksum (u32 each)
const SEARCH_KEYS = new Set(["mode", "rerank", "filter"]);
/** The relaxed scan's query range: q + 8192 splits into two 7-bit halves. */
const RELAXED_QMAX = 8191;

// Typed-array views over wasm memory and the serialized form are host-endian; wasm is
// little-endian, and so is every host that runs this (x86, ARM).
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new KernelError("ENOTSUP", "vector index: big-endian hosts are not supported");

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const compiled = new Map<string, Promise<WebAssembly.Module>>();
function compile(base64: string): Promise<WebAssembly.Module> {
  let module = compiled.get(base64);
  if (!module) {
    module = WebAssembly.compile(decode(base64)).catch((error: unknown) => {
      compiled.delete(base64);
      throw new KernelError("ENOTSUP", `vector index: this runtime cannot compile the WebAssembly SIMD kernel (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    });
    compiled.set(base64, module);
  }
  return module;
}

let relaxedBytes: Uint8Array<ArrayBuffer> | null = null;
/** Whether this runtime validates the relaxed-SIMD module (checked each time: flags can change). */
function hasRelaxedSimd(): boolean {
  relaxedBytes ??= decode(VECTOR_KERNEL_RELAXED_WASM);
  return WebAssembly.validate(relaxedBytes);
}

/**
 * Whether the relaxed scan gives the standard's answer here: some runtimes validate relaxed SIMD
 * but compute a pre-standard dot (Node 20's V8 11 behind --experimental-wasm-relaxed-simd doubles
 * it). Scores one 32-byte row spanning the whole int8 and 7-bit ranges in the fresh memory's first
 * bytes, then zeroes them again.
 */
function relaxedWorks(memory: WebAssembly.Memory, relaxed: RelaxedExports): boolean {
  const bytes = new Uint8Array(memory.buffer, 0, 128);
  const row = new Int8Array(memory.buffer, 0, 32);
  let dot = 0;
  let sum = 0;
  for (let i = 0; i < 32; i++) {
    const a = i === 0 ? -127 : i === 1 ? 127 : ((i * 37) % 255) - 127;
    const q = ((i * 1031) % 16383) - 8191; // in [-8191, 8191], hi and lo halves over [0, 127]
    row[i] = a;
    bytes[32 + i] = (q + 8192) >> 7;
    bytes[64 + i] = (q + 8192) & 127;
    dot += a * q;
    sum += a;
  }
  new Float32Array(memory.buffer, 96, 1)[0] = 1;
  new Int32Array(memory.buffer, 100, 1)[0] = sum;
  relaxed.scan_i8_relaxed(32, 64, 0, 96, 100, 1, 32, 112);
  const ok = new Float32Array(memory.buffer, 112, 1)[0] === Math.fround(dot);
  bytes.fill(0);
  return ok;
}

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `${field}: ${problem}`);
}

function checkDim(dim: unknown): number {
  if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) invalid("dim", `must be an integer from 1 to ${MAX_DIM}, got ${String(dim).slice(0, 40)}`);
  return dim;
}

function checkId(id: unknown): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0xffff_ffff) invalid("id", `must be an integer from 0 to 2^32-1, got ${String(id).slice(0, 40)}`);
  return id;
}

function checkShape(vector: unknown, dim: number, field: string): Float32Array {
  if (!(vector instanceof Float32Array)) invalid(field, "must be a Float32Array");
  if (vector.length !== dim) invalid(field, `must have ${dim} values (the index's dim), got ${vector.length}`);
  return vector;
}

/** The EINVAL for a vector whose max |x| failed `<= MAX_ABS`, naming the first bad value. */
function badValue(values: ArrayLike<number>, field: string): never {
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) invalid(field, `value ${i} is not finite (${x})`);
    if (Math.abs(x) > MAX_ABS) invalid(field, `value ${i} exceeds ${MAX_ABS} in magnitude (${x})`);
  }
  invalid(field, "has a value that is not finite");
}

function positiveInt(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) invalid(field, `must be a positive integer, got ${String(value).slice(0, 40)}`);
  return value;
}

/**
 * FNV-1a over little-endian u32 words (`bytes.length` a multiple of 4): catches truncation and
 * corruption (any one changed word always changes it), not tampering; ~20× faster than a
 * byte-wise CRC-32 on the 150 MB of a 100k × 384 index.
 */
export function checksum(bytes: Uint8Array): number {
  const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : new Uint32Array(bytes.slice().buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

const align16 = (n: number) => (n + 15) & ~15;

export class VectorIndex {
  readonly dim: number;
  /** Which int8 scan runs: relaxed SIMD (one dot instruction per 16 bytes) or plain 128-bit SIMD. */
  readonly simd: "relaxed" | "simd128";
  private readonly kernel: KernelExports;
  private readonly relaxed: RelaxedExports | null;
  private readonly stride32: number; // floats per f32 row (dim rounded up to 4)
  private readonly stride8: number; // bytes per int8 row (dim rounded up to 16)
  /** Largest |query value| of scan_i8: keeps 128 * qmax * stride8 below 2^31 (no i32 overflow). */
  private readonly qmax: number;
  private readonly maxBlockRows: number;
  private readonly blocks: Block[] = [];
  private capacity = 0;
  private count = 0;
  private ids = new Uint32Array(0);
  private readonly rowOf = new Map<number, number>();
  private top = 0; // bump allocator: first free byte of wasm memory
  // The query in f32 and quantised (i16 for scan_i8; two u7 halves for the relaxed scan).
  private readonly qF32: number;
  private readonly qInt: number;
  /** Scores scratch: 2 × scoresCap floats (scan scores, or the re-rank's row addresses + scores). */
  private scores = 0;
  private scoresCap = 0;
  // Views over wasm memory, remade whenever it grows (growing detaches the old buffer).
  private heapF32 = new Float32Array(0);
  private heapI8 = new Int8Array(0);
  private heapI32 = new Int32Array(0);
  private heapU8 = new Uint8Array(0);
  private heapU32 = new Uint32Array(0);
  // Top-k scratch, reused across searches: a binary heap with the worst kept candidate on top.
  private heapRows = new Uint32Array(64);
  private heapScores = new Float32Array(64);
  private candidates = new Uint32Array(64);

  private constructor(dim: number, kernel: WebAssembly.Instance, relaxed: WebAssembly.Instance | null) {
    this.dim = dim;
    this.kernel = kernel.exports as unknown as KernelExports;
    this.relaxed = relaxed ? (relaxed.exports as unknown as RelaxedExports) : null;
    this.simd = relaxed ? "relaxed" : "simd128";
    this.stride32 = (dim + 3) & ~3;
    this.stride8 = align16(dim);
    this.qmax = Math.min(32_767, Math.floor(0x7fff_ffff / (128 * this.stride8)));
    const rowBytes = this.stride32 * 4 + this.stride8 + 8;
    this.maxBlockRows = 2 ** Math.floor(Math.log2(Math.max(FIRST_BLOCK_ROWS, BLOCK_BYTES / rowBytes)));
    this.refreshViews();
    this.qF32 = this.alloc(this.stride32 * 4);
    this.qInt = this.alloc(this.stride8 * 2);
  }

  static async create(dim: number, options: IndexOptions = {}): Promise<VectorIndex> {
    checkDim(dim);
    if (typeof options !== "object" || options === null) invalid("options", "must be an object");
    for (const key of Object.keys(options)) if (key !== "relaxedSimd") invalid(key, "unknown option");
    if (options.relaxedSimd !== undefined && typeof options.relaxedSimd !== "boolean") invalid("relaxedSimd", "must be a boolean");
    const kernel = await WebAssembly.instantiate(await compile(VECTOR_KERNEL_WASM), {});
    let relaxed: WebAssembly.Instance | null = null;
    if (options.relaxedSimd !== false && hasRelaxedSimd()) {
      const memory = kernel.exports.memory as WebAssembly.Memory;
      relaxed = await WebAssembly.instantiate(await compile(VECTOR_KERNEL_RELAXED_WASM), { kernel: { memory } });
      if (!relaxedWorks(memory, relaxed.exports as unknown as RelaxedExports)) relaxed = null;
    }
    return new VectorIndex(dim, kernel, relaxed);
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  /** Adds `vector` under `id`, replacing the vector the id had. A bad vector changes nothing. */
  add(id: number, vector: Float32Array): void {
    checkId(id);
    checkShape(vector, this.dim, "vector");
    let row = this.rowOf.get(id);
    let max: number;
    if (row === undefined) {
      // A new id: written straight into the first free row, which counts only once it validates.
      if (this.count === this.capacity) this.addBlock();
      row = this.count;
      const at = this.f32At(row);
      this.heapF32.set(vector, at >> 2);
      this.zeroPadding(at);
      max = this.kernel.absmax(at, this.stride32);
      if (!(max <= MAX_ABS)) badValue(vector, "vector");
      this.ids[row] = id;
      this.rowOf.set(id, row);
      this.count++;
    } else {
      max = this.stage(vector, "vector");
      const f = this.qF32 >> 2;
      this.heapF32.copyWithin(this.f32At(row) >> 2, f, f + this.stride32);
    }
    this.storeRow(row, max);
  }

  /** Removes `id`; false when it was not there. */
  remove(id: number): boolean {
    checkId(id);
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    this.rowOf.delete(id);
    const last = --this.count;
    if (row !== last) {
      const to = this.blockOf(row);
      const from = this.blockOf(last);
      const r = row - to.start;
      const l = last - from.start;
      const f32 = (from.f32 >> 2) + l * this.stride32;
      this.heapF32.copyWithin((to.f32 >> 2) + r * this.stride32, f32, f32 + this.stride32);
      const i8 = from.i8 + l * this.stride8;
      this.heapI8.copyWithin(to.i8 + r * this.stride8, i8, i8 + this.stride8);
      this.heapF32[(to.scales >> 2) + r] = this.heapF32[(from.scales >> 2) + l]!;
      this.heapI32[(to.sums >> 2) + r] = this.heapI32[(from.sums >> 2) + l]!;
      this.ids[row] = this.ids[last]!;
      this.rowOf.set(this.ids[row]!, row);
    }
    return true;
  }

  /** The k vectors with the highest dot product with `query`, best first. */
  search(query: Float32Array, k: number, options: SearchOptions = {}): VectorHit[] {
    checkShape(query, this.dim, "query");
    positiveInt(k, "k");
    if (typeof options !== "object" || options === null) invalid("options", "must be an object");
    for (const key of Object.keys(options)) if (!SEARCH_KEYS.has(key)) invalid(key, "unknown option");
    const mode = options.mode ?? "int8";
    if (mode !== "f32" && mode !== "int8") invalid("mode", `must be "f32" or "int8", got ${String(mode).slice(0, 40)}`);
    const rerank = options.rerank === undefined ? DEFAULT_RERANK : positiveInt(options.rerank, "rerank");
    const filter = options.filter;
    if (filter !== undefined && typeof filter !== "function") invalid("filter", "must be a function");
    const max = this.stage(query, "query");
    const n = this.count;
    if (n === 0) return [];
    k = Math.min(k, n);
    if (this.scoresCap < n) {
      this.scores = this.alloc(this.capacity * 8); // the old scratch is left behind: it is small
      this.scoresCap = this.capacity;
    }

    const kernel = this.kernel;
    if (mode === "f32") {
      for (const b of this.blocks) {
        if (b.start >= n) break;
        kernel.scan_f32(this.qF32, b.f32, Math.min(b.capacity, n - b.start), this.stride32, this.scores + b.start * 4);
      }
      return this.hits(this.selectAll(n, k, filter));
    }
    const relaxed = this.relaxed;
    if (relaxed) kernel.quantize_u7x2(this.qF32, this.qInt, this.qInt + this.stride8, this.stride32, max > 0 ? RELAXED_QMAX / max : 0);
    else kernel.quantize_i16(this.qF32, this.qInt, this.stride32, max > 0 ? this.qmax / max : 0);
    for (const b of this.blocks) {
      if (b.start >= n) break;
      const rows = Math.min(b.capacity, n - b.start);
      const out = this.scores + b.start * 4;
      if (relaxed) relaxed.scan_i8_relaxed(this.qInt, this.qInt + this.stride8, b.i8, b.scales, b.sums, rows, this.stride8, out);
      else kernel.scan_i8(this.qInt, b.i8, b.scales, rows, this.stride8, out);
    }
    const kept = this.selectAll(n, Math.min(n, Math.max(k, rerank)), filter);
    // Re-rank exactly: the candidates' f32 row addresses, then their scores, in the free scratch.
    if (this.candidates.length < kept) this.candidates = new Uint32Array(kept);
    const candidates = this.candidates;
    const addresses = this.scores >> 2;
    for (let j = 0; j < kept; j++) {
      candidates[j] = this.heapRows[j]!;
      this.heapU32[addresses + j] = this.f32At(candidates[j]!);
    }
    kernel.gather_f32(this.qF32, this.scores, kept, this.stride32, this.scores + kept * 4);
    return this.hits(this.selectSome(addresses + kept, kept, candidates, k));
  }

  /**
   * The form deserialize() reads: a 20-byte header (magic "AIVX", version, dim, size, checksum()
   * of the rest), the ids (u32 × size), then the f32 vectors (size × dim), all little-endian, in row
   * order, so a round trip keeps rows and therefore search results bit for bit.
   */
  serialize(): Uint8Array {
    const n = this.count;
    const rowBytes = this.dim * 4;
    const out = new Uint8Array(HEADER + n * 4 + n * rowBytes);
    new Uint32Array(out.buffer, HEADER, n).set(this.ids.subarray(0, n));
    let at = HEADER + n * 4;
    for (const b of this.blocks) {
      for (let r = 0; r < b.capacity && b.start + r < n; r++, at += rowBytes) {
        const from = b.f32 + r * this.stride32 * 4;
        out.set(this.heapU8.subarray(from, from + rowBytes), at);
      }
    }
    const header = new DataView(out.buffer);
    header.setUint32(0, MAGIC, true);
    header.setUint32(4, VERSION, true);
    header.setUint32(8, this.dim, true);
    header.setUint32(12, n, true);
    header.setUint32(16, checksum(out.subarray(HEADER)), true);
    return out;
  }

  static async deserialize(bytes: Uint8Array, options: IndexOptions = {}): Promise<VectorIndex> {
    if (!(bytes instanceof Uint8Array)) invalid("bytes", "must be a Uint8Array");
    if (bytes.length < HEADER) invalid("bytes", `too short for a vector index (${bytes.length} bytes)`);
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
    if (header.getUint32(0, true) !== MAGIC) invalid("bytes", "not a serialized vector index (bad magic)");
    const version = header.getUint32(4, true);
    if (version !== VERSION) invalid("bytes", `unsupported version ${version} (this build reads ${VERSION})`);
    const dim = header.getUint32(8, true);
    if (dim < 1 || dim > MAX_DIM) invalid("bytes", `dim ${dim} out of range`);
    const n = header.getUint32(12, true);
    const expected = HEADER + n * 4 + n * dim * 4;
    if (bytes.length !== expected) invalid("bytes", `length ${bytes.length} does not match ${n} vectors of dim ${dim} (${expected} bytes)`);
    if (checksum(bytes.subarray(HEADER)) !== header.getUint32(16, true)) invalid("bytes", "checksum mismatch (corrupted)");

    const index = await VectorIndex.create(dim, options);
    while (index.capacity < n) index.addBlock();
    const ids = new DataView(bytes.buffer, bytes.byteOffset + HEADER, n * 4);
    const rowBytes = dim * 4;
    for (let row = 0, at = HEADER + n * 4; row < n; row++, at += rowBytes) {
      const id = ids.getUint32(row * 4, true);
      if (index.rowOf.has(id)) invalid("bytes", `duplicate id ${id}`);
      const to = index.f32At(row);
      index.heapU8.set(bytes.subarray(at, at + rowBytes), to);
      index.zeroPadding(to);
      const max = index.kernel.absmax(to, index.stride32);
      if (!(max <= MAX_ABS)) badValue(index.heapF32.subarray(to >> 2, (to >> 2) + dim), `bytes: vector of id ${id}`);
      index.ids[row] = id;
      index.rowOf.set(id, row);
      index.count = row + 1;
      index.storeRow(row, max);
    }
    return index;
  }

  /** Copies `vector` into the f32 query buffer and returns its max |x|; EINVAL if out of range. */
  private stage(vector: Float32Array, field: string): number {
    this.heapF32.set(vector, this.qF32 >> 2);
    const max = this.kernel.absmax(this.qF32, this.stride32);
    if (!(max <= MAX_ABS)) badValue(vector, field);
    return max;
  }

  /** Zeroes the padding of the f32 row at byte address `at`. */
  private zeroPadding(at: number): void {
    if (this.stride32 > this.dim) this.heapF32.fill(0, (at >> 2) + this.dim, (at >> 2) + this.stride32);
  }

  /**
   * Completes `row` once its f32 values (padding zeroed) are in place, max|x| being `max`: writes
   * its int8 copy (symmetric, per row: max|x| → 127; padding zero), scale and sum.
   */
  private storeRow(row: number, max: number): void {
    const b = this.blockOf(row);
    const r = row - b.start;
    const f32 = b.f32 + r * this.stride32 * 4;
    const i8 = b.i8 + r * this.stride8;
    this.heapI32[(b.sums >> 2) + r] = this.kernel.quantize_i8(f32, i8, this.stride32, max > 0 ? 127 / max : 0);
    if (this.stride8 > this.stride32) this.heapI8.fill(0, i8 + this.stride32, i8 + this.stride8);
    this.heapF32[(b.scales >> 2) + r] = max / 127;
  }

  /** The block holding `row` (< capacity): the last one for appends, else a binary search. */
  private blockOf(row: number): Block {
    const blocks = this.blocks;
    let hi = blocks.length - 1;
    if (row >= blocks[hi]!.start) return blocks[hi]!;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocks[mid]!.start <= row) lo = mid;
      else hi = mid - 1;
    }
    return blocks[lo]!;
  }

  /** Byte address of `row`'s f32 values. */
  private f32At(row: number): number {
    const b = this.blockOf(row);
    return b.f32 + (row - b.start) * this.stride32 * 4;
  }

  /**
   * Keeps in heapRows/heapScores the `keep` best of the n scan scores (score desc, then id asc),
   * passing `filter`; returns how many it kept. Once the heap is full, next_ge skips in wasm, 16 at
   * a time, every score below the worst kept one.
   */
  private selectAll(n: number, keep: number, filter: ((id: number) => boolean) | undefined): number {
    this.reserveHeap(keep);
    const scores = this.heapF32;
    const from = this.scores >> 2;
    const ids = this.ids;
    const hr = this.heapRows;
    let size = 0;
    for (let row = 0; row < n; row++) {
      if (size === keep) {
        row = this.kernel.next_ge(this.scores, row, n, this.heapScores[0]!);
        if (row >= n) break;
        if (scores[from + row] === this.heapScores[0] && ids[row]! > ids[hr[0]!]!) continue;
      }
      if (filter && !filter(ids[row]!)) continue;
      size = this.push(size, keep, scores[from + row]!, row);
    }
    return size;
  }

  /** selectAll for n scores at heapF32[from..] whose rows are rows[0..n): the re-rank. */
  private selectSome(from: number, n: number, rows: Uint32Array, keep: number): number {
    this.reserveHeap(keep);
    let size = 0;
    for (let i = 0; i < n; i++) {
      const s = this.heapF32[from + i]!;
      const row = rows[i]!;
      if (size === keep && this.worse(s, row, this.heapScores[0]!, this.heapRows[0]!)) continue;
      size = this.push(size, keep, s, row);
    }
    return size;
  }

  private reserveHeap(keep: number): void {
    if (this.heapRows.length < keep) {
      this.heapRows = new Uint32Array(keep);
      this.heapScores = new Float32Array(keep);
    }
  }

  /** Adds (s, row) to the heap of `size` (replacing the worst when full); returns the new size. */
  private push(size: number, keep: number, s: number, row: number): number {
    const hr = this.heapRows;
    const hs = this.heapScores;
    if (size < keep) {
      let at = size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!this.worse(s, row, hs[parent]!, hr[parent]!)) break;
        hs[at] = hs[parent]!;
        hr[at] = hr[parent]!;
        at = parent;
      }
      hs[at] = s;
      hr[at] = row;
      return size;
    }
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.worse(hs[right]!, hr[right]!, hs[left]!, hr[left]!) ? right : left;
      if (!this.worse(hs[child]!, hr[child]!, s, row)) break;
      hs[at] = hs[child]!;
      hr[at] = hr[child]!;
      at = child;
    }
    hs[at] = s;
    hr[at] = row;
    return size;
  }

  /** Whether (s1, row1) ranks below (s2, row2): lower score, or equal score and higher id. */
  private worse(s1: number, row1: number, s2: number, row2: number): boolean {
    return s1 < s2 || (s1 === s2 && this.ids[row1]! > this.ids[row2]!);
  }

  /** The kept candidates as hits, best first. */
  private hits(kept: number): VectorHit[] {
    const out: VectorHit[] = [];
    for (let i = 0; i < kept; i++) out.push({ id: this.ids[this.heapRows[i]!]!, score: this.heapScores[i]! });
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }

  /** Appends the next block of rows (64 rows, doubling up to maxBlockRows). */
  private addBlock(): void {
    const capacity = Math.min(this.maxBlockRows, FIRST_BLOCK_ROWS * 2 ** Math.min(this.blocks.length, 24));
    // One allocation (one memory.grow at most); capacity is a multiple of 64, so each part stays 16-aligned.
    const f32 = this.alloc(capacity * (this.stride32 * 4 + this.stride8 + 8));
    const i8 = f32 + capacity * this.stride32 * 4;
    const scales = i8 + capacity * this.stride8;
    const sums = scales + capacity * 4;
    this.blocks.push({ start: this.capacity, capacity, f32, i8, scales, sums });
    this.capacity += capacity;
    if (this.ids.length < this.capacity) {
      const ids = new Uint32Array(Math.max(this.capacity, this.ids.length * 2));
      ids.set(this.ids.subarray(0, this.count));
      this.ids = ids;
    }
  }

  /** `bytes` of fresh (zeroed) wasm memory, 16-aligned; grows the memory when needed. */
  private alloc(bytes: number): number {
    const at = align16(this.top);
    const end = at + bytes;
    if (end > MAX_BYTES) throw new KernelError("EQUOTA", `vectors: ${this.capacity} vectors of dim ${this.dim} fill the 4 GiB of WebAssembly memory`);
    const memory = this.kernel.memory;
    const pages = Math.ceil(end / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      // Grow by a quarter at least: every grow detaches the views and can prompt a GC.
      const current = memory.buffer.byteLength / PAGE;
      try {
        memory.grow(Math.max(pages, Math.min(current >> 2, MAX_BYTES / PAGE - current)));
      } catch (error) {
        throw new KernelError("EQUOTA", `vectors: cannot grow WebAssembly memory to ${end} bytes`, { cause: error });
      }
      this.refreshViews();
    }
    this.top = end;
    return at;
  }

  private refreshViews(): void {
    const buffer = this.kernel.memory.buffer;
    this.heapF32 = new Float32Array(buffer);
    this.heapI8 = new Int8Array(buffer);
    this.heapI32 = new Int32Array(buffer);
    this.heapU8 = new Uint8Array(buffer);
    this.heapU32 = new Uint32Array(buffer);
  }
}
