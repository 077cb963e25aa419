/**
 * A read cache of BM25 postings per namespace, so searches do not re-read long posting lists from
 * IndexedDB. IndexedDB stays the truth; the cache is tied to the namespace's `generation`, which
 * every change transaction increments.
 *
 * Invariants:
 * - A namespace's cached terms equal the postings of IndexedDB at `generation`.
 * - A change made through this process moves the cache forward (its delta applied) only when the
 *   cache was at the change's previous generation; any other gap (another tab's kernel wrote)
 *   drops the namespace's cache, and the next search reloads what it needs.
 */
export interface Posting {
  tf: number;
  length: number;
}

type Terms = Map<string, Map<string, Posting>>;

/** Entries cached across namespaces before a namespace's cache is dropped to make room. */
const MAX_ENTRIES = 2_000_000;

export class PostingCache {
  private readonly spaces = new Map<string, { generation: number; terms: Terms; entries: number }>();
  private entries = 0;

  /** Cached postings of `term` if the cache is at `generation`. */
  get(ns: string, generation: number, term: string): Map<string, Posting> | undefined {
    const space = this.spaces.get(ns);
    if (!space || space.generation !== generation) return undefined;
    return space.terms.get(term);
  }

  /** Stores postings read in a transaction that saw `generation`. */
  put(ns: string, generation: number, term: string, postings: Map<string, Posting>): void {
    let space = this.spaces.get(ns);
    if (space && space.generation !== generation) {
      // Only a snapshot at the cache's own generation may add to it; a newer one starts afresh.
      if (generation < space.generation) return;
      this.drop(ns);
      space = undefined;
    }
    if (!space) this.spaces.set(ns, (space = { generation, terms: new Map(), entries: 0 }));
    if (this.entries + postings.size > MAX_ENTRIES) {
      for (const other of [...this.spaces.keys()]) if (other !== ns) this.drop(other);
      if (this.entries + postings.size > MAX_ENTRIES) return;
    }
    const old = space.terms.get(term)?.size ?? 0;
    space.terms.set(term, postings);
    space.entries += postings.size - old;
    this.entries += postings.size - old;
  }

  /** A committed change of one file, from generation `from` to `from + 1`. */
  applyChange(ns: string, from: number, path: string, before: Record<string, number>, after: Record<string, number> | null, length: number): void {
    const space = this.spaces.get(ns);
    if (!space) return;
    if (space.generation !== from) return this.drop(ns);
    space.generation = from + 1;
    for (const term of Object.keys(before)) {
      const list = space.terms.get(term);
      if (list?.delete(path)) {
        space.entries--;
        this.entries--;
      }
    }
    if (after) {
      for (const [term, tf] of Object.entries(after)) {
        const list = space.terms.get(term);
        if (!list) continue;
        if (!list.has(path)) {
          space.entries++;
          this.entries++;
        }
        list.set(path, { tf, length });
      }
    }
  }

  drop(ns: string): void {
    const space = this.spaces.get(ns);
    if (!space) return;
    this.entries -= space.entries;
    this.spaces.delete(ns);
  }
}
