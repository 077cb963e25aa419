/**
 * The file system: versioned files per namespace on IndexedDB, with a BM25 index kept in step.
 *
 * Invariants:
 * - Every change (write, rollback, remove, import) is one readwrite transaction over all stores:
 *   a reload or a killed worker leaves either the whole change or none of it.
 * - Anything async that is not IndexedDB (reading a Blob's text) happens before the transaction
 *   opens, so the transaction never commits early.
 * - Every entry point validates its arguments and throws a KernelError (EINVAL, ENOENT, EQUOTA).
 */
import { KernelError } from "../errors.ts";
import { idf, snippet, termFrequencies, termScore, tokenize } from "./bm25.ts";
import type { Embedder } from "../embedders/embedder.ts";
import { PostingCache, type Posting } from "./posting-cache.ts";
import { VectorCache } from "./vector-cache.ts";
import { VectorIndex } from "./vector-index.ts";
import { openFilesDB, type ChangeTransaction, type ContentType, type FileRow, type FilesDatabase, type Meta, type VersionRow } from "./db.ts";

export type Content = string | Blob | JsonValue;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StorageLimits {
  /** Bytes of one version's content. */
  maxFileBytes: number;
  /** Versions kept per file (the newest). */
  keepVersions: number;
  maxPathChars: number;
  maxMetaBytes: number;
  /** Bytes of all kept versions of one app's files (its storage quota). */
  maxNamespaceBytes: number;
}

export const DEFAULT_LIMITS: StorageLimits = { maxFileBytes: 32 * 1024 * 1024, keepVersions: 20, maxPathChars: 1024, maxMetaBytes: 16 * 1024, maxNamespaceBytes: 256 * 1024 * 1024 };

export type FileInfo = Pick<FileRow, "path" | "version" | "type" | "size" | "createdAt" | "updatedAt">;

export interface ReadResult {
  path: string;
  version: number;
  type: ContentType;
  content: Content;
  meta: Meta;
  size: number;
  createdAt: number;
}

export interface VersionInfo {
  version: number;
  size: number;
  type: ContentType;
  createdAt: number;
  meta: Meta;
}

export type SearchMode = "hybrid" | "lexical" | "vector";

export interface SearchOptions {
  k?: number;
  mode?: SearchMode;
  prefix?: string;
}

export interface SearchHit {
  path: string;
  score: number;
  snippet: string;
}

export interface ExportedVersion {
  version: number;
  type: ContentType;
  createdAt: number;
  meta: Meta;
  /** Text or JSON content. */
  content?: JsonValue;
  /** Blob content, and its MIME type. */
  base64?: string;
  mime?: string;
}

export interface ExportedFile {
  ns: string;
  path: string;
  createdAt: number;
  versions: ExportedVersion[];
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  formatVersion: 1;
  exportedAt: string;
  files: ExportedFile[];
}

const EXPORT_FORMAT = "aios-files";
/** Text an embedding reads (embedders truncate to their own token limit after this). */
const EMBED_CHARS = 4000;
/** Reciprocal-rank fusion's constant (Cormack et al.). */
const RRF_K = 60;

interface Embedding {
  vector: Float32Array;
  model: string;
}
const MAX_QUERY_CHARS = 4096;
const MAX_K = 100;
const encoder = new TextEncoder();

/** Content as the index sees it: text, JSON as its text, text-like Blobs as their text. */
async function indexText(content: Content, type: ContentType): Promise<string> {
  if (type === "text") return content as string;
  if (type === "json") return JSON.stringify(content);
  const blob = content as Blob;
  return /^text\/|json|xml|javascript/.test(blob.type) ? blob.text() : "";
}

function classify(content: unknown, maxBytes: number, field = "content"): { type: ContentType; size: number } {
  let type: ContentType;
  let size: number;
  if (typeof content === "string") {
    type = "text";
    size = encoder.encode(content).length;
  } else if (typeof Blob !== "undefined" && content instanceof Blob) {
    type = "blob";
    size = content.size;
  } else {
    type = "json";
    let text: string | undefined;
    try {
      text = JSON.stringify(content, (_k, v: unknown) => {
        if (typeof v === "number" && !Number.isFinite(v)) throw new Error("a non-finite number");
        if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") throw new Error(`a ${typeof v}`);
        return v;
      });
    } catch (e) {
      throw new KernelError("EINVAL", `content: must be text, a Blob or a JSON value (${(e as Error).message})`);
    }
    if (text === undefined) throw new KernelError("EINVAL", "content: must be text, a Blob or a JSON value, got undefined");
    const reparsed: unknown = JSON.parse(text);
    if (!sameJson(reparsed, content)) throw new KernelError("EINVAL", "content: must be plain JSON (no undefined values, class instances or dates)");
    size = encoder.encode(text).length;
  }
  if (size > maxBytes) throw new KernelError("EQUOTA", `${field}: ${size} bytes is over the ${maxBytes}-byte limit of one file`);
  return { type, size };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (!Array.isArray(b) && Object.getPrototypeOf(b) !== Object.prototype && Object.getPrototypeOf(b) !== null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A namespace is an app's name (a process name): any 1-128 characters but control characters. */
export function validateNamespace(ns: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof ns !== "string" || ns.length === 0 || ns.length > 128 || /[\u0000-\u001f\u007f]/.test(ns)) throw new KernelError("EINVAL", "namespace: must be 1 to 128 characters, no control characters");
  return ns;
}

/** "notes/today.md" (a leading "/" is dropped); no empty, "." or ".." segments, no control characters. */
export function validatePath(path: unknown, limits: StorageLimits = DEFAULT_LIMITS, field = "path"): string {
  if (typeof path !== "string") throw new KernelError("EINVAL", `${field}: must be a string`);
  const p = path.startsWith("/") ? path.slice(1) : path;
  if (p.length === 0 || p.length > limits.maxPathChars) throw new KernelError("EINVAL", `${field}: must be 1 to ${limits.maxPathChars} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new KernelError("EINVAL", `${field}: must not contain control characters`);
  if (p.split("/").some((s) => s === "" || s === "." || s === "..")) throw new KernelError("EINVAL", `${field}: segments must not be empty, "." or ".." (got ${JSON.stringify(p.slice(0, 80))})`);
  return p;
}

function validatePrefix(prefix: unknown, limits: StorageLimits): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  if (typeof prefix !== "string" || prefix.length > limits.maxPathChars) throw new KernelError("EINVAL", "prefix: must be a path prefix string");
  return prefix.startsWith("/") ? prefix.slice(1) : prefix;
}

function validateMeta(meta: unknown, limits: StorageLimits): Meta {
  if (meta === undefined) return {};
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new KernelError("EINVAL", "meta: must be a plain object");
  const { size } = classify(meta, Infinity);
  if (size > limits.maxMetaBytes) throw new KernelError("EQUOTA", `meta: ${size} bytes is over the ${limits.maxMetaBytes}-byte limit`);
  return meta as Meta;
}

function validateVersion(version: unknown): number {
  if (!Number.isSafeInteger(version) || (version as number) < 1) throw new KernelError("EINVAL", "version: must be a positive integer");
  return version as number;
}

/** IndexedDB's own failures, typed: a full disk is EQUOTA, anything else EIO. */
function storageError(error: unknown): never {
  if (error instanceof KernelError) throw error;
  const name = (error as { name?: string })?.name;
  if (name === "QuotaExceededError") throw new KernelError("EQUOTA", "storage: the browser's storage quota is full", { cause: error });
  throw new KernelError("EIO", `storage: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

const fileRange = (ns: string, path: string) => IDBKeyRange.bound([ns, path, 0], [ns, path, Infinity]);
const postingRange = (ns: string, term: string) => IDBKeyRange.bound([ns, term, ""], [ns, term, []]);
const nsRange = (ns: string, prefix = "") => IDBKeyRange.bound([ns, prefix], [ns, prefix + "\uffff\uffff"]);

export class FileStore {
  private readonly cache = new PostingCache();
  private readonly vectors = new VectorCache();
  private embedder: Embedder | null = null;
  /** An embedder load in progress: writes and searches wait for it rather than run without it. */
  private embedderLoad: Promise<void> | null = null;

  private constructor(
    private readonly db: FilesDatabase,
    readonly limits: StorageLimits,
  ) {}

  static async open(options: { name?: string; limits?: Partial<StorageLimits> } = {}): Promise<FileStore> {
    const db = await openFilesDB(options.name).catch(storageError);
    return new FileStore(db, { ...DEFAULT_LIMITS, ...options.limits });
  }

  close(): void {
    this.db.close();
  }

  /**
   * Files written from now on are embedded by `embedder` (vector and hybrid search); files embedded
   * by another model are found by vector search again once rewritten or `reembed`-ed.
   */
  attachEmbedder(embedder: Embedder | null): void {
    this.embedder = embedder;
  }

  /**
   * An embedder is loading (`load` settles when it is attached or has failed): until then, calls
   * that embed (write, import) or search wait, so nothing is written without its vector or searched
   * lexically only because the encoder was still loading after boot.
   */
  embedderLoading(load: Promise<unknown>): void {
    const settled: Promise<void> = load.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      if (this.embedderLoad === settled) this.embedderLoad = null;
    });
    this.embedderLoad = settled;
  }

  /** Resolves once no embedder load is in progress. */
  async embedderSettled(): Promise<void> {
    while (this.embedderLoad) await this.embedderLoad;
  }

  get embedderId(): string | null {
    return this.embedder?.modelId ?? null;
  }

  /** The embedding of a version's text, when an embedder is attached and there is text. */
  /** The last query's vector: one request is searched more than once in a row (the memory manager's recall, then its feedback examples). */
  private lastQuery: { model: string; text: string; vector: Promise<Float32Array> } | null = null;

  private queryVector(embedder: Embedder, text: string): Promise<Float32Array> {
    if (this.lastQuery?.model === embedder.modelId && this.lastQuery.text === text) return this.lastQuery.vector;
    const vector = embedder.embed([text]).then(([v]) => v!);
    this.lastQuery = { model: embedder.modelId, text, vector };
    vector.catch(() => this.lastQuery?.vector === vector && (this.lastQuery = null));
    return vector;
  }

  private async embed(text: string): Promise<Embedding | null> {
    await this.embedderSettled();
    const embedder = this.embedder;
    if (!embedder || !text.trim()) return null;
    const [vector] = await embedder.embed([text.slice(0, EMBED_CHARS)]);
    return { vector: vector!, model: embedder.modelId };
  }

  /** `index: false` keeps a file out of search (the kernel's own bookkeeping files). */
  async write(ns: string, path: unknown, content: unknown, meta?: unknown, options: { index?: boolean } = {}): Promise<{ path: string; version: number }> {
    validateNamespace(ns);
    const p = validatePath(path, this.limits);
    const { type, size } = classify(content, this.limits.maxFileBytes);
    const m = validateMeta(meta, this.limits);
    const text = options.index === false ? "" : await indexText(content as Content, type);
    const embedding = await this.embed(text);
    try {
      const tx = this.change();
      const prev = await tx.objectStore("files").get([ns, p]);
      const now = Date.now();
      const version = (prev?.version ?? 0) + 1;
      const pruned = version - this.limits.keepVersions >= 1 ? await this.sizeOf(tx, IDBKeyRange.bound([ns, p, 0], [ns, p, version - this.limits.keepVersions])) : 0;
      const used = await this.bytesOf(tx, ns);
      if (used - pruned + size > this.limits.maxNamespaceBytes) {
        throw new KernelError("EQUOTA", `${ns}: ${used - pruned + size} bytes would be over the app's ${this.limits.maxNamespaceBytes}-byte storage quota`);
      }
      await tx.objectStore("versions").put({ ns, path: p, version, type, content, size, meta: m, createdAt: now });
      await this.index(tx, prev, { ns, path: p, version, type, size, createdAt: prev?.createdAt ?? now, updatedAt: now, meta: m, ...this.termsOf(text) }, embedding, size - pruned);
      await tx.done;
      return { path: p, version };
    } catch (error) {
      storageError(error);
    }
  }

  async read(ns: string, path: unknown, options: { version?: unknown } = {}): Promise<ReadResult> {
    validateNamespace(ns);
    const p = validatePath(path, this.limits);
    const wanted = options.version === undefined ? undefined : validateVersion(options.version);
    const tx = this.db.transaction(["files", "versions"]);
    const file = await tx.objectStore("files").get([ns, p]);
    if (!file) throw new KernelError("ENOENT", `${p}: no such file`);
    const row = await tx.objectStore("versions").get([ns, p, wanted ?? file.version]);
    if (!row) throw new KernelError("ENOENT", `${p}: no version ${wanted} (kept: the newest ${this.limits.keepVersions}; see versions())`);
    return { path: p, version: row.version, type: row.type, content: row.content as Content, meta: row.meta, size: row.size, createdAt: row.createdAt };
  }

  async list(ns: string, prefix?: unknown): Promise<FileInfo[]> {
    validateNamespace(ns);
    const from = validatePrefix(prefix, this.limits);
    const rows = await this.db.getAll("files", nsRange(ns, from));
    return rows.map(({ path, version, type, size, createdAt, updatedAt }) => ({ path, version, type, size, createdAt, updatedAt }));
  }

  async versions(ns: string, path: unknown): Promise<VersionInfo[]> {
    validateNamespace(ns);
    const p = validatePath(path, this.limits);
    const rows = await this.db.getAll("versions", fileRange(ns, p));
    if (rows.length === 0) throw new KernelError("ENOENT", `${p}: no such file`);
    return rows.map(({ version, size, type, createdAt, meta }) => ({ version, size, type, createdAt, meta }));
  }

  /** Makes an old version current again, as a new version (history is kept, not rewritten). */
  async rollback(ns: string, path: unknown, version: unknown): Promise<{ path: string; version: number }> {
    const old = await this.read(ns, path, { version: validateVersion(version) });
    return this.write(ns, old.path, old.content, { ...old.meta, rolledBackFrom: old.version });
  }

  async remove(ns: string, path: unknown): Promise<{ path: string; versions: number }> {
    validateNamespace(ns);
    const p = validatePath(path, this.limits);
    try {
      const tx = this.change();
      const prev = await tx.objectStore("files").get([ns, p]);
      if (!prev) throw new KernelError("ENOENT", `${p}: no such file`);
      const versions = await tx.objectStore("versions").count(fileRange(ns, p));
      await this.bytesOf(tx, ns);
      const freed = await this.sizeOf(tx, fileRange(ns, p));
      await tx.objectStore("versions").delete(fileRange(ns, p));
      await this.index(tx, prev, null, null, -freed);
      await tx.done;
      return { path: p, versions };
    } catch (error) {
      storageError(error);
    }
  }

  /** Every namespace that holds files, with its file count. */
  async namespaces(): Promise<Array<{ ns: string; files: number }>> {
    const rows = await this.db.getAll("namespaces");
    return rows.filter((r) => r.docs > 0).map((r) => ({ ns: r.ns, files: r.docs }));
  }

  /** Files and bytes (all kept versions) of a namespace, or of all of them. */
  async usage(ns?: string): Promise<{ files: number; bytes: number }> {
    if (ns !== undefined) validateNamespace(ns);
    const versions = await this.db.getAll("versions", ns === undefined ? undefined : IDBKeyRange.bound([ns], [ns, []]));
    const files = await this.db.count("files", ns === undefined ? undefined : IDBKeyRange.bound([ns], [ns, []]));
    return { files, bytes: versions.reduce((sum, v) => sum + v.size, 0) };
  }

  async search(ns: string, query: unknown, options: SearchOptions = {}): Promise<SearchHit[]> {
    validateNamespace(ns);
    if (typeof query !== "string" || query.length === 0 || query.length > MAX_QUERY_CHARS) throw new KernelError("EINVAL", `query: must be a string of 1 to ${MAX_QUERY_CHARS} characters`);
    if (typeof options !== "object" || options === null) throw new KernelError("EINVAL", "options: must be an object");
    const k = options.k ?? 10;
    if (!Number.isSafeInteger(k) || k < 1 || k > MAX_K) throw new KernelError("EINVAL", `k: must be an integer from 1 to ${MAX_K}`);
    const mode = options.mode ?? "hybrid";
    if (mode !== "hybrid" && mode !== "lexical" && mode !== "vector") throw new KernelError("EINVAL", 'mode: must be "hybrid", "lexical" or "vector"');
    if (mode !== "lexical") await this.embedderSettled();
    if (mode === "vector" && !this.embedder) throw new KernelError("ENOTSUP", "mode: vector search needs an embedding model, and none is loaded");
    const prefix = validatePrefix(options.prefix, this.limits);
    const terms = [...new Set(tokenize(query))];
    let ranked: Array<[string, number]>;
    if (mode === "lexical" || !this.embedder) ranked = (await this.lexical(ns, terms, prefix)).slice(0, k);
    else if (mode === "vector") ranked = await this.nearest(ns, query, k, prefix);
    else {
      // Reciprocal-rank fusion of both lists (each cut at a few times k).
      const depth = Math.max(30, 3 * k);
      const [lexical, vector] = [(await this.lexical(ns, terms, prefix)).slice(0, depth), await this.nearest(ns, query, depth, prefix)];
      const fused = new Map<string, number>();
      for (const list of [lexical, vector]) list.forEach(([path], rank) => fused.set(path, (fused.get(path) ?? 0) + 1 / (RRF_K + rank + 1)));
      ranked = [...fused].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k);
    }
    return this.withSnippets(ns, ranked, terms);
  }

  /** Files by cosine similarity of their embedding to the query's (exact search, wasm SIMD). */
  private async nearest(ns: string, query: string, k: number, prefix: string): Promise<Array<[string, number]>> {
    const embedder = this.embedder!;
    const q = await this.queryVector(embedder, query.slice(0, EMBED_CHARS));
    const tx = this.db.transaction(["namespaces", "vectors"]);
    const generation = (await tx.objectStore("namespaces").get(ns))?.generation ?? 0;
    let space = this.vectors.get(ns, generation, embedder.modelId);
    if (!space) {
      const rows = await tx.objectStore("vectors").getAll(IDBKeyRange.bound([ns], [ns, []]));
      const index = await VectorIndex.create(embedder.dim);
      space = { generation, model: embedder.modelId, index, idOf: new Map(), pathOf: new Map(), nextId: 0 };
      for (const row of rows) {
        if (row.model !== embedder.modelId || row.vector.length !== embedder.dim) continue;
        const id = space.nextId++;
        index.add(id, row.vector);
        space.idOf.set(row.path, id);
        space.pathOf.set(id, row.path);
      }
      this.vectors.set(ns, space);
    }
    const { pathOf } = space;
    const hits = space.index.search(q!, Math.min(k, Math.max(1, space.index.size)), prefix ? { filter: (id) => pathOf.get(id)!.startsWith(prefix) } : {});
    return hits.map((h) => [pathOf.get(h.id)!, h.score]);
  }

  /** Every file matching a query term, by BM25 score. */
  private async lexical(ns: string, terms: string[], prefix: string): Promise<Array<[string, number]>> {
    if (terms.length === 0) return [];
    const tx = this.db.transaction(["postings", "namespaces"]);
    const stats = await tx.objectStore("namespaces").get(ns);
    if (!stats || stats.docs === 0) return [];
    const average = stats.totalLength / stats.docs;
    const generation = stats.generation ?? 0;
    const scores = new Map<string, number>();
    for (const term of terms) {
      let postings = this.cache.get(ns, generation, term);
      if (!postings) {
        const rows = await tx.objectStore("postings").getAll(postingRange(ns, term));
        postings = new Map<string, Posting>(rows.map((r) => [r.path, { tf: r.tf, length: r.length }]));
        this.cache.put(ns, generation, term, postings);
      }
      const termIdf = idf(stats.docs, postings.size);
      for (const [path, { tf, length }] of postings) {
        if (!path.startsWith(prefix)) continue;
        scores.set(path, (scores.get(path) ?? 0) + termScore(tf, length, average, termIdf));
      }
    }
    return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  }

  private async withSnippets(ns: string, top: Array<[string, number]>, terms: string[]): Promise<SearchHit[]> {
    const tx = this.db.transaction(["files", "versions"]);
    const rows: Array<VersionRow | undefined> = [];
    for (const [path] of top) {
      const file = await tx.objectStore("files").get([ns, path]);
      rows.push(file && (await tx.objectStore("versions").get([ns, path, file.version])));
    }
    // Blob text is read after the transaction is done with (a non-IDB await would end it).
    return Promise.all(top.map(async ([path, score], i) => ({ path, score, snippet: rows[i] ? snippet(await indexText(rows[i]!.content as Content, rows[i]!.type), terms) : "" })));
  }

  /**
   * The whole store, or one namespace, as one JSON file (Blobs as base64): `import` restores it
   * exactly — paths, every kept version with its number, content, meta and times.
   */
  async export(ns?: string): Promise<Blob> {
    if (ns !== undefined) validateNamespace(ns);
    const range = ns === undefined ? undefined : IDBKeyRange.bound([ns], [ns, []]);
    const tx = this.db.transaction(["files", "versions"]);
    const files = await tx.objectStore("files").getAll(range);
    const versions = await tx.objectStore("versions").getAll(range);
    const byFile = new Map<string, ExportedFile>(files.map((f) => [JSON.stringify([f.ns, f.path]), { ns: f.ns, path: f.path, createdAt: f.createdAt, versions: [] }]));
    for (const v of versions) {
      const entry: ExportedVersion = { version: v.version, type: v.type, createdAt: v.createdAt, meta: v.meta };
      if (v.type === "blob") Object.assign(entry, { base64: await toBase64(v.content as Blob), mime: (v.content as Blob).type });
      else entry.content = v.content as JsonValue;
      byFile.get(JSON.stringify([v.ns, v.path]))?.versions.push(entry);
    }
    const doc: ExportDocument = { format: EXPORT_FORMAT, formatVersion: 1, exportedAt: new Date().toISOString(), files: [...byFile.values()] };
    return new Blob([JSON.stringify(doc)], { type: "application/json" });
  }

  /**
   * Restores an export (a Blob or its text) in one transaction: all of it or, on any error, none.
   * With `namespace`, every file must belong to it (EPERM otherwise).
   */
  async import(data: unknown, options: { namespace?: string; reject?: (path: string) => string | null } = {}): Promise<{ files: number; versions: number }> {
    let text: string;
    if (typeof data === "string") text = data;
    else if (typeof Blob !== "undefined" && data instanceof Blob) text = await data.text();
    else throw new KernelError("EINVAL", "data: must be an export file (a Blob or its text)");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new KernelError("EINVAL", "data: not JSON; expected a file made by storage.export()");
    }
    const files = validateExport(doc, this.limits);
    const foreign = options.namespace === undefined ? undefined : files.find((f) => f.ns !== options.namespace);
    if (foreign) throw new KernelError("EPERM", `data: holds files of ${foreign.ns}; this caller may import only into ${options.namespace}`);
    for (const file of files) {
      const refused = options.reject?.(file.path);
      if (refused) throw new KernelError("EPERM", `data: ${refused}`);
    }
    // Everything that is not IndexedDB happens before the transaction.
    const prepared = await Promise.all(
      files.map(async (file) => {
        const rows: VersionRow[] = file.versions.map((v) => {
          const content = v.type === "blob" ? fromBase64(v.base64!, v.mime ?? "", `${file.path} version ${v.version}`) : v.content;
          // The same limit as a write: an import is no way around it.
          const { size } = classify(content, this.limits.maxFileBytes, `data: ${file.path} version ${v.version}`);
          return { ns: file.ns, path: file.path, version: v.version, type: v.type, content, size, meta: v.meta, createdAt: v.createdAt };
        });
        const latest = rows.reduce((a, b) => (b.version > a.version ? b : a));
        const latestText = await indexText(latest.content as Content, latest.type);
        const terms = this.termsOf(latestText);
        const row: FileRow = { ns: file.ns, path: file.path, version: latest.version, type: latest.type, size: latest.size, createdAt: file.createdAt, updatedAt: latest.createdAt, meta: latest.meta, ...terms };
        return { rows, row, embedding: await this.embed(latestText) };
      }),
    );
    try {
      const tx = this.change();
      for (const { rows, row, embedding } of prepared) {
        const prev = await tx.objectStore("files").get([row.ns, row.path]);
        const used = await this.bytesOf(tx, row.ns);
        const replaced = await this.sizeOf(tx, fileRange(row.ns, row.path));
        const added = rows.reduce((sum, r) => sum + r.size, 0);
        if (used - replaced + added > this.limits.maxNamespaceBytes) {
          throw new KernelError("EQUOTA", `data: ${row.ns} would hold ${used - replaced + added} bytes, over the app's ${this.limits.maxNamespaceBytes}-byte storage quota`);
        }
        await tx.objectStore("versions").delete(fileRange(row.ns, row.path));
        await Promise.all(rows.map((r) => tx.objectStore("versions").put(r)));
        await this.index(tx, prev, row, embedding, added - replaced);
      }
      await tx.done;
    } catch (error) {
      storageError(error);
    }
    return { files: prepared.length, versions: prepared.reduce((sum, p) => sum + p.rows.length, 0) };
  }

  private change(): ChangeTransaction {
    // "relaxed": committed once the browser has the data (it survives a tab or browser crash);
    // "strict" would also wait for the OS to flush to disk on every write.
    return this.db.transaction(["files", "versions", "postings", "namespaces", "vectors"], "readwrite", { durability: "relaxed" });
  }

  private termsOf(text: string): Pick<FileRow, "terms" | "length"> {
    const words = tokenize(text);
    return { terms: termFrequencies(words), length: words.length };
  }

  /**
   * Replaces `prev`'s index entries with `next`'s (either may be null) and writes or deletes the
   * file row, inside the caller's transaction.
   */
  /** Bytes of the versions in `range` (inside the caller's transaction). */
  private async sizeOf(store: ChangeTransaction, range: IDBKeyRange): Promise<number> {
    let bytes = 0;
    for (let cursor = await store.objectStore("versions").openCursor(range); cursor; cursor = await cursor.continue()) bytes += cursor.value.size;
    return bytes;
  }

  /**
   * Bytes an app's kept versions hold, from its namespace row; counted once (and stored) for rows
   * written before the quota existed.
   */
  private async bytesOf(store: ChangeTransaction, ns: string): Promise<number> {
    const stats = await store.objectStore("namespaces").get(ns);
    if (stats?.bytes !== undefined) return stats.bytes;
    const bytes = await this.sizeOf(store, IDBKeyRange.bound([ns], [ns, []]));
    await store.objectStore("namespaces").put({ ...(stats ?? { ns, docs: 0, totalLength: 0 }), bytes });
    return bytes;
  }

  private async index(store: ChangeTransaction, prev: FileRow | undefined, next: FileRow | null, embedding: Embedding | null, bytesDelta = 0): Promise<void> {
    const ns = (next ?? prev)!.ns;
    const path = (next ?? prev)!.path;
    const postings = store.objectStore("postings");
    const pending: Promise<unknown>[] = [];
    for (const term of Object.keys(prev?.terms ?? {})) if (!next || !(term in next.terms)) pending.push(postings.delete([ns, term, path]));
    if (next) for (const [term, tf] of Object.entries(next.terms)) pending.push(postings.put({ ns, term, path, tf, length: next.length }));
    if (embedding && next) pending.push(store.objectStore("vectors").put({ ns, path, model: embedding.model, vector: embedding.vector }));
    else pending.push(store.objectStore("vectors").delete([ns, path]));
    if (next) {
      pending.push(store.objectStore("files").put(next));
      const keepFrom = next.version - this.limits.keepVersions;
      if (keepFrom >= 1) pending.push(store.objectStore("versions").delete(IDBKeyRange.bound([ns, path, 0], [ns, path, keepFrom])));
    } else {
      pending.push(store.objectStore("files").delete([ns, path]));
    }
    const stats = (await store.objectStore("namespaces").get(ns)) ?? { ns, docs: 0, totalLength: 0 };
    const generation = stats.generation ?? 0;
    stats.docs += (next ? 1 : 0) - (prev ? 1 : 0);
    stats.totalLength += (next?.length ?? 0) - (prev?.length ?? 0);
    stats.generation = generation + 1;
    stats.bytes = Math.max(0, (stats.bytes ?? 0) + bytesDelta);
    pending.push(store.objectStore("namespaces").put(stats));
    await Promise.all(pending);
    // The cache follows once the transaction has committed.
    void store.done.then(
      () => {
        this.cache.applyChange(ns, generation, path, prev?.terms ?? {}, next?.terms ?? null, next?.length ?? 0);
        this.vectors.applyChange(ns, generation, path, embedding?.vector ?? null, embedding?.model ?? null);
      },
      () => {
        this.cache.drop(ns);
        this.vectors.drop(ns);
      },
    );
  }
}


function validateExport(doc: unknown, limits: StorageLimits): ExportedFile[] {
  const bad = (where: string, what: string): never => {
    throw new KernelError("EINVAL", `data: ${where}: ${what}`);
  };
  if (typeof doc !== "object" || doc === null || (doc as ExportDocument).format !== EXPORT_FORMAT) bad("format", `not a ${EXPORT_FORMAT} export`);
  const d = doc as ExportDocument;
  if (d.formatVersion !== 1) bad("formatVersion", `${String(d.formatVersion)} is not supported (this build reads 1)`);
  if (!Array.isArray(d.files)) bad("files", "must be an array");
  const seen = new Set<string>();
  d.files.forEach((f, i) => {
    const at = `files[${i}]`;
    if (typeof f !== "object" || f === null) bad(at, "must be an object");
    validateNamespace(f.ns);
    f.path = validatePath(f.path, limits, `${at}.path`);
    const key = JSON.stringify([f.ns, f.path]);
    if (seen.has(key)) bad(at, `${f.path} appears twice`);
    seen.add(key);
    if (!Number.isFinite(f.createdAt)) bad(`${at}.createdAt`, "must be a time in ms");
    if (!Array.isArray(f.versions) || f.versions.length === 0) bad(`${at}.versions`, "must be a non-empty array");
    const numbers = new Set<number>();
    f.versions.forEach((v, j) => {
      const vat = `${at}.versions[${j}]`;
      if (typeof v !== "object" || v === null) bad(vat, "must be an object");
      if (!Number.isSafeInteger(v.version) || v.version < 1 || numbers.has(v.version)) bad(`${vat}.version`, "must be a unique positive integer");
      numbers.add(v.version);
      if (v.type !== "text" && v.type !== "json" && v.type !== "blob") bad(`${vat}.type`, "must be text, json or blob");
      if (v.type === "text" && typeof v.content !== "string") bad(`${vat}.content`, "must be a string");
      if (v.type === "json" && v.content === undefined) bad(`${vat}.content`, "is missing");
      if (v.type === "blob" && (typeof v.base64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.base64))) bad(`${vat}.base64`, "must be base64");
      if (!Number.isFinite(v.createdAt)) bad(`${vat}.createdAt`, "must be a time in ms");
      v.meta = validateMeta(v.meta ?? {}, limits);
    });
  });
  return d.files;
}

async function toBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(base64: string, type: string, what: string): Blob {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new KernelError("EINVAL", `data: ${what}: base64 is not valid (${base64.length} characters)`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}
