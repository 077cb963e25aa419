/**
 * Lexical retrieval: the tokenizer both indexing and queries use, and Okapi BM25 scoring over the
 * postings FileStore keeps in IndexedDB (updated in the same transaction as each write).
 */

/** Words too common to rank by (a short English list; other languages index every word). */
const STOPWORDS = new Set(
  "a an and are as at be but by for from has have he her his i if in into is it its me my of on or our she so than that the their them then there these they this to was we were what when where which who why will with you your".split(" "),
);
const MAX_TERM_CHARS = 64;

/** Light stemming: plural and possessive endings, so "dogs", "dog's" and "dog" meet. */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return word.slice(0, -3) + "y";
  if (word.length > 3 && word.endsWith("'s")) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is")) return word.slice(0, -1);
  return word;
}

/** Lower-cased, NFKC-normalised words and numbers, stemmed, without stopwords. */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize("NFKC").toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu)) {
    const word = match[0];
    if (STOPWORDS.has(word) || word.length > MAX_TERM_CHARS) continue;
    terms.push(stem(word));
  }
  return terms;
}

export function termFrequencies(terms: readonly string[]): Record<string, number> {
  const tf: Record<string, number> = Object.create(null);
  for (const t of terms) tf[t] = (tf[t] ?? 0) + 1;
  return tf;
}

export const BM25 = { k1: 1.2, b: 0.75 } as const;

/** BM25's idf (the non-negative variant Lucene uses). */
export function idf(docs: number, docFreq: number): number {
  return Math.log(1 + (docs - docFreq + 0.5) / (docFreq + 0.5));
}

export function termScore(tf: number, length: number, averageLength: number, termIdf: number): number {
  const norm = tf + BM25.k1 * (1 - BM25.b + (BM25.b * length) / Math.max(1e-9, averageLength));
  return (termIdf * tf * (BM25.k1 + 1)) / norm;
}

/**
 * A window of `text` around the densest run of query terms, at most `chars` long, on word
 * boundaries where possible.
 */
export function snippet(text: string, queryTerms: readonly string[], chars = 160): string {
  if (text.length <= chars) return text;
  const wanted = new Set(queryTerms);
  const hits: number[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu)) {
    if (wanted.has(stem(m[0].normalize("NFKC").toLowerCase()))) hits.push(m.index);
  }
  let best = 0;
  let bestCount = -1;
  for (let i = 0, j = 0; i < hits.length; i++) {
    while (hits[j]! < hits[i]! - chars / 2) j++;
    if (i - j > bestCount) {
      bestCount = i - j;
      best = hits[j]!;
    }
  }
  let start = Math.max(0, Math.min(best - 20, text.length - chars));
  const space = text.lastIndexOf(" ", start);
  if (space >= 0 && start - space < 20) start = space + 1;
  const end = Math.min(text.length, start + chars);
  return (start > 0 ? "…" : "") + text.slice(start, end).trim() + (end < text.length ? "…" : "");
}
