/**
 * The one interface every sentence-embedding backend implements (one file each under embedders/).
 * An embedder turns texts into unit-length vectors: the dot product of two is their cosine
 * similarity, which is what memory / retrieval code ranks by.
 */
import type { LoadProgress } from "../engine.ts";

export type { LoadProgress };

export interface Embedder {
  readonly modelId: string;
  /** Length of every vector `embed` returns. */
  readonly dim: number;
  /**
   * One L2-normalised vector per text, in order. Rejects with EINVAL on bad input (not a
   * non-empty array of strings, too many texts, a text too long); with the signal's reason once
   * it is aborted (checked between batches).
   */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  unload(): Promise<void>;
}

/** Loads an embedding model into a fresh embedder; progress reaches the caller while it downloads. */
export type EmbedderLoader = (modelId: string, onProgress: (p: LoadProgress) => void) => Promise<Embedder>;

/** Cosine similarity of two vectors from the same embedder (they are unit length: a dot product). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
