import { describe, expect, it } from "vitest";
import { argmax, createRng, sampleToken } from "../../../src/kernel/sampling.ts";

describe("sampling", () => {
  it("greedy picks the first maximum", () => {
    expect(argmax([0.1, 3, -1, 3])).toBe(1);
    expect(sampleToken([0, 5, 5, 1], { temperature: 0, topP: 1 }, createRng(1))).toBe(1);
  });

  it("the same seed gives the same sequence; another seed differs", () => {
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 2);
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits, { temperature: 1, topP: 1 }, rng));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("top-p keeps only the nucleus", () => {
    const logits = [10, 9.5, 0, 0, 0, 0];
    const rng = createRng(3);
    const seen = new Set(Array.from({ length: 500 }, () => sampleToken(logits, { temperature: 1, topP: 0.9 }, rng)));
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it("sampling follows the distribution", () => {
    const logits = [Math.log(3), Math.log(1)];
    const rng = createRng(11);
    let zeros = 0;
    for (let i = 0; i < 4000; i++) if (sampleToken(logits, { temperature: 1, topP: 1 }, rng) === 0) zeros++;
    expect(zeros / 4000).toBeGreaterThan(0.72);
    expect(zeros / 4000).toBeLessThan(0.78);
  });
});
