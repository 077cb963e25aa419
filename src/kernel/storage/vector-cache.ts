/**
 * The in-memory vector index of each namespace (built from IndexedDB's `vectors` store on the
 * first vector search), tied to the namespace's generation as the posting cache is: a change made
 * here moves it forward; a change made elsewhere (another tab's kernel) drops it.
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

export class VectorCache {
  private readonly spaces = new Map<string, NamespaceVectors>();

  get(ns: string, generation: number, model: string): NamespaceVectors | undefined {
    const space = this.spaces.get(ns);
    return space && space.generation === generation && space.model === model ? space : undefined;
  }

  set(ns: string, space: NamespaceVectors): void {
    this.spaces.set(ns, space);
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
