/**
 * In-page part of `npm run bench`'s storage figures: the file system (FileStore on this page's
 * real IndexedDB) writing small documents with lexical indexing, and searching them.
 */
import { createRng } from "../kernel/sampling.ts";
import { FileStore } from "../kernel/storage/files.ts";


const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "da", "zu", "ri", "mo", "ga", "fe", "bi"];

/** A vocabulary of `n` made-up words; documents draw from it with a Zipf-like skew. */
function vocabulary(n: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    const len = 2 + Math.floor(random() * 3);
    words.add(Array.from({ length: len }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(""));
  }
  return [...words];
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;

async function run(config: { docs: number; queries: number }) {
  const random = createRng(7); // the same corpus every run
  const vocab = vocabulary(5000, random);
  const word = () => vocab[Math.floor(vocab.length * random() ** 2.5)]!;
  const doc = () => Array.from({ length: 20 + Math.floor(random() * 30) }, word).join(" ");
  const name = `bench-${Date.now()}`;
  const store = await FileStore.open({ name });
  const started = performance.now();
  for (let i = 0; i < config.docs; i++) await store.write("bench", `docs/${i}.txt`, doc());
  const writeMs = performance.now() - started;
  const queries = Array.from({ length: config.queries }, () => `${word()} ${vocab[Math.floor(random() * vocab.length)]}`);
  // Cold: posting lists read from IndexedDB; warm: the same queries again, from the posting cache.
  const timeQueries = async () => {
    const latencies: number[] = [];
    for (const query of queries) {
      const t = performance.now();
      found += (await store.search("bench", query, { mode: "lexical", k: 10 })).length > 0 ? 1 : 0;
      latencies.push(performance.now() - t);
    }
    return latencies;
  };
  let found = 0;
  const cold = await timeQueries();
  const latencies = await timeQueries();
  store.close();
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = resolve;
  });
  return { docs: config.docs, writesPerSecond: (config.docs * 1000) / writeMs, coldMedianMs: percentile(cold, 0.5), coldP95Ms: percentile(cold, 0.95), searchMedianMs: percentile(latencies, 0.5), searchP95Ms: percentile(latencies, 0.95), queriesWithHits: found / (2 * config.queries) };
}

declare global {
  interface Window {
    storageBench: { run: typeof run };
  }
}
window.storageBench = { run };
