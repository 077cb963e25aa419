/**
 * The in-memory vector index of each namespace (built from IndexedDB's `vectors` store on the
 * first vector search), tied to the namespace's generation as the posting cache is: a change made
 * here moves it forward; a change made elsewhere (another tab's kernel) drops it.
 *
 * Bounded: at most MAX_SPACES namespaces keep an index (least recently used go). Each index holds
 * WebAssembly memories, and a browser gives a process room for only so many (each reserves its
 * address range with guard regions): unbounded, a kernel that had searched ~100 apps' files
 * could instantiate no more WebAssembly at all (found by the injection suite, one app per case).
 */
import type { VectorIndex } from "./vector-index.ts";

export interface NamespaceVectors {
  generation: number;
  model: string;
  index: VectorIndex;
  idOf: Map<string, number>;
  pathOf: Map<number, string>;
  nextId: number;
}

export const MAX_SPACES = 8;

export class VectorCache {
  /** In use order: the least recently used first. */
  private readonly spaces = new Map<string, NamespaceVectors>();

  constructor(private readonly maxSpaces = MAX_SPACES) {}

  get size(): number {
    return this.spaces.size;
  }

  get(ns: string, generation: number, model: string): NamespaceVectors | undefined {
    const space = this.spaces.get(ns);
    if (!space || space.generation !== generation || space.model !== model) return undefined;
    this.spaces.delete(ns);
    this.spaces.set(ns, space);
    return space;
  }

  set(ns: string, space: NamespaceVectors): void {
    this.spaces.delete(ns);
    this.spaces.set(ns, space);
    for (const oldest of this.spaces.keys()) {
      if (this.spaces.size <= this.maxSpaces) break;
      this.spaces.delete(oldest);
    }
  }

  /** A committed change of one file's vector (null: it has none now), generation `from` → `from + 1`. */
  applyChange(ns: string, from: number, path: string, vector: Float32Array | null, model: string | null): void {
    const space = this.spaces.get(ns);
    if (!space) return;
    if (space.generation !== from || (vector && model !== space.model)) return void this.spaces.delete(ns);
    space.generation = from + 1;
    const id = space.idOf.get(path);
    if (id !== undefined) {
      space.index.remove(id);
      space.idOf.delete(path);
      space.pathOf.delete(id);
    }
    if (vector) {
      const next = space.nextId++;
      space.index.add(next, vector);
      space.idOf.set(path, next);
      space.pathOf.set(next, path);
    }
  }

  drop(ns: string): void {
    this.spaces.delete(ns);
  }
}
