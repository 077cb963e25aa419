import { describe, expect, it } from "vitest";
import { TextStream } from "../../../src/kernel/text-stream.ts";

function feed(stops: string[], pieces: string[]): { deltas: string[]; final: string; stopped: boolean } {
  const stream = new TextStream(stops);
  const deltas: string[] = [];
  let text = "";
  for (const piece of pieces) {
    text += piece;
    deltas.push(stream.push(text));
    if (stream.stopped) break;
  }
  deltas.push(stream.finish(text));
  return { deltas: deltas.filter(Boolean), final: stream.final, stopped: stream.stopped };
}

describe("TextStream", () => {
  it("streams everything when there is no stop string", () => {
    const r = feed([], ["Hel", "lo", " world"]);
    expect(r.final).toBe("Hello world");
    expect(r.deltas.join("")).toBe(r.final);
  });

  it("cuts at a stop string split across tokens and never emits part of it", () => {
    const r = feed(["END"], ["abc E", "N", "D tail"]);
    expect(r.final).toBe("abc ");
    expect(r.deltas.join("")).toBe("abc ");
  });

  it("releases a held-back prefix that did not become a stop string", () => {
    const r = feed(["END"], ["abc E", "X"]);
    expect(r.final).toBe("abc EX");
    expect(r.deltas).toEqual(["abc ", "EX"]);
  });

  it("holds back an incomplete UTF-8 character", () => {
    const stream = new TextStream([]);
    expect(stream.push("caf\uFFFD")).toBe("caf");
    expect(stream.push("café")).toBe("é");
  });

  it("picks the earliest of several stop strings", () => {
    expect(feed(["b", "zz"], ["a", "zz", "b"]).final).toBe("a");
  });
});
