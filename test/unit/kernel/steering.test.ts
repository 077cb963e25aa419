// Interrupt and steer, the module alone: what is held (a paused process and its descendants), the
// wait at a checkpoint, edits checked against the proposal's kind, step mode, a kill ending a wait.
import { describe, expect, it } from "vitest";
import { Steering } from "../../../src/kernel/steering.ts";

// pid 3 is a child of 2, a child of 1.
const parents: Record<number, number | undefined> = { 1: undefined, 2: 1, 3: 2, 4: 1 };
const lineage = (pid: number) => {
  const line: number[] = [];
  for (let p: number | undefined = pid; p !== undefined; p = parents[p]) line.push(p);
  return line;
};

describe("Steering", () => {
  it("holds a paused process and its descendants, not its siblings; a checkpoint goes on at once when not held", async () => {
    let changes = 0;
    const s = new Steering(lineage, () => changes++);
    expect(await s.checkpoint(3, "tool_calls", [], new AbortController().signal)).toEqual({});
    s.pause(2);
    expect([s.held(2), s.held(3), s.held(4), s.held(1)]).toEqual([true, true, false, false]);
    expect(changes).toBe(1);
    expect(() => s.resume(3)).toThrow(/not paused/);
    s.resume(2);
    expect(s.held(3)).toBe(false);
  });

  it("a held process waits at its checkpoint; the user edits the calls, adds a note, resumes", async () => {
    const s = new Steering(lineage, () => {});
    s.pause(3);
    const calls = [{ name: "calculator", arguments: '{"expression": "17*23"}' }];
    const wait = s.checkpoint(3, "tool_calls", calls, new AbortController().signal);
    expect(s.checkpointOf(3)).toMatchObject({ pid: 3, kind: "tool_calls", value: calls });
    expect(() => s.steer(3, { value: [{ name: "calculator", arguments: "not json" }] })).toThrow(/arguments: not JSON/);
    expect(() => s.steer(3, { value: "x" })).toThrow(/at most 8/);
    expect(() => s.steer(4, { note: "hi" })).toThrow(/not waiting/);
    const edited = [{ name: "calculator", arguments: '{"expression": "2+2"}' }];
    expect(s.steer(3, { value: edited, note: "use small numbers" })).toMatchObject({ value: edited });
    let settled = false;
    void wait.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    s.resume(3);
    expect(await wait).toEqual({ value: edited, note: "use small numbers" });
    expect(s.checkpointOf(3)).toBeNull();
  });

  it("a paused parent holds its child's wait until the parent resumes", async () => {
    const s = new Steering(lineage, () => {});
    s.pause(1);
    const wait = s.checkpoint(3, "plan", ["a", "b"], new AbortController().signal);
    expect(() => s.steer(3, { value: [] })).toThrow(/1 to 16 steps/);
    s.steer(3, { value: ["  only one step "] });
    s.resume(1);
    expect(await wait).toEqual({ value: ["only one step"] });
  });

  it("step: resumed, the process runs to its next checkpoint and pauses there; a kill ends a wait", async () => {
    const s = new Steering(lineage, () => {});
    s.pause(2);
    s.resume(2, { step: true });
    expect(s.held(2)).toBe(false);
    const controller = new AbortController();
    const wait = s.checkpoint(2, "tool_calls", [], controller.signal);
    expect(s.held(2)).toBe(true);
    expect(s.checkpointOf(2)).not.toBeNull();
    controller.abort(Object.assign(new Error("killed"), { code: "EKILLED" }));
    await expect(wait).rejects.toMatchObject({ code: "EKILLED" });
    expect(s.checkpointOf(2)).toBeNull();
    s.forget(2);
    expect(s.held(2)).toBe(false);
  });
});

describe("Steering, step mode across a tree", () => {
  it("a descendant of a stepping process that reaches a step pauses the stepping ancestor there", async () => {
    const s = new Steering(lineage, () => {});
    s.pause(2);
    s.resume(2, { step: true });
    expect(s.isStepping(3)).toBe(true);
    const wait = s.checkpoint(3, "plan", ["x"], new AbortController().signal);
    expect([s.isPaused(2), s.held(3), s.checkpointOf(3)?.kind]).toEqual([true, true, "plan"]);
    s.resume(2);
    expect(await wait).toEqual({});
  });
});
