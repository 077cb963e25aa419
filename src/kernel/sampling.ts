/**
 * Next-token selection for engines that run their own decode loop. Greedy when temperature is 0
 * (first maximum wins, as torch.argmax); otherwise temperature + nucleus (top-p) sampling driven by
 * a seeded PRNG, so the same seed gives the same text.
 */
export type Rng = () => number;

/** mulberry32: a small, fast 32-bit PRNG; good enough for sampling, fully determined by its seed. */
export function createRng(seed?: number): Rng {
  let state = (seed ?? randomSeed()) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0]!;
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

export interface SamplingOptions {
  temperature: number;
  topP: number;
}

export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  if (options.temperature <= 0) return argmax(logits);
  const n = logits.length;
  const invT = 1 / options.temperature;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]! * invT);
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(logits[i]! * invT - max);
    probs[i] = p;
    sum += p;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  // Nucleus: the smallest prefix of the ranking whose mass reaches topP (always at least one token).
  const limit = Math.min(1, Math.max(0, options.topP)) * sum;
  let kept = 0;
  let mass = 0;
  while (kept < n && (kept === 0 || mass < limit)) mass += probs[order[kept++]!]!;
  let r = rng() * mass;
  for (let i = 0; i < kept; i++) {
    r -= probs[order[i]!]!;
    if (r <= 0) return order[i]!;
  }
  return order[kept - 1]!;
}
