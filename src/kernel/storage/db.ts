/**
 * The IndexedDB schema of the file system (through `idb`). Every store is keyed by namespace first
 * (an app's name, so an app's data outlives its processes), so one app's data is one key range.
 *
 * Invariants, kept by FileStore inside one readwrite transaction per change:
 * - `files[ns, path].version` is the newest row in `versions` for that path; versions older than the
 *   retention limit are gone; a removed file has no rows left in any store.
 * - `postings` holds exactly the terms of each file's current version, and `namespaces[ns]` the
 *   count and total token length of the indexed files (BM25's N and average length).
 * - `vectors[ns, path]`, where present, embeds the current version's text; a change of a file
 *   made without an embedder deletes it rather than leave a stale one.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";

export type ContentType = "text" | "json" | "blob";
export type Meta = Record<string, unknown>;

export interface FileRow {
  ns: string;
  path: string;
  version: number;
  type: ContentType;
  size: number;
  createdAt: number;
  updatedAt: number;
  meta: Meta;
  /** Term frequencies of the current version (what `postings` holds for it). */
  terms: Record<string, number>;
  /** Token count of the current version (BM25's document length). */
  length: number;
}

export interface VersionRow {
  ns: string;
  path: string;
  version: number;
  type: ContentType;
  content: string | Blob | unknown;
  size: number;
  meta: Meta;
  createdAt: number;
}

export interface PostingRow {
  ns: string;
  term: string;
  path: string;
  tf: number;
  /** The file's token count, copied here so ranking needs no second lookup (rewritten with the file). */
  length: number;
}

export interface NamespaceRow {
  ns: string;
  docs: number;
  totalLength: number;
  /** Incremented by every change transaction (caches of the index are tied to it). */
  generation?: number;
  /** Bytes of every kept version (the app's storage quota); absent in rows written before it was kept. */
  bytes?: number;
}

/** A file's embedding (of its current version's text), from the model named. */
export interface VectorRow {
  ns: string;
  path: string;
  model: string;
  vector: Float32Array;
}

export interface FilesDB extends DBSchema {
  files: { key: [string, string]; value: FileRow };
  vectors: { key: [string, string]; value: VectorRow };
  versions: { key: [string, string, number]; value: VersionRow };
  postings: { key: [string, string, string]; value: PostingRow };
  namespaces: { key: string; value: NamespaceRow };
}

export type FilesDatabase = IDBPDatabase<FilesDB>;
export const ALL_STORES = ["files", "versions", "postings", "namespaces", "vectors"] as const;
export type ChangeTransaction = IDBPTransaction<FilesDB, ["files", "versions", "postings", "namespaces", "vectors"], "readwrite">;

export const DB_NAME = "aios-files";
const DB_VERSION = 2;

/** Opens (creating or upgrading) the database; in Node tests fake-indexeddb provides `indexedDB`. */
export function openFilesDB(name = DB_NAME): Promise<FilesDatabase> {
  return openDB<FilesDB>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore("files", { keyPath: ["ns", "path"] });
        db.createObjectStore("versions", { keyPath: ["ns", "path", "version"] });
        db.createObjectStore("postings", { keyPath: ["ns", "term", "path"] });
        db.createObjectStore("namespaces", { keyPath: "ns" });
      }
      if (oldVersion < 2) db.createObjectStore("vectors", { keyPath: ["ns", "path"] });
    },
    // A newer version of the app (another tab) wants to upgrade: step aside.
    blocking(_current, _blocked, event) {
      (event.target as IDBDatabase).close();
    },
  });
}
