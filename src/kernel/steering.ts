/**
 * Interrupt and steer (issue 13, part 3): the user pauses a running agent, looks at — and edits —
 * its next step or its plan, and resumes it. Pausing is the scheduler's and the agent loop's:
 *
 * - A paused process (or one whose ancestor is paused) is *held*: the scheduler runs none of its
 *   jobs (a generation stops at the next token boundary with its context kept, as a preemption),
 *   so it costs nothing while paused and resumes with identical output.
 * - The agent loop and the patterns stop at *checkpoints* — before running a reply's tool calls,
 *   after a planner's plan — while held: the proposal waits here, shown to the user, who may
 *   replace it (edited calls, an edited plan) and add a note (their own words, given to the agent
 *   before its next step), then resume. "Step" resumes until the next checkpoint and pauses there.
 *
 * Invariants:
 * - Only the user (the shell) or an ancestor of the process pauses, steers or resumes it (the
 *   kernel checks the caller); a process never unpauses itself.
 * - A checkpoint's wait ends with the process: a kill rejects it (EKILLED), nothing waits forever
 *   on a process that is gone.
 * - An edit is checked against the proposal's kind before it is taken; a bad edit is EINVAL and the
 *   proposal stays as it was.
 */
import type { ToolCall } from "./engine.ts";
import { KernelError } from "./errors.ts";

export type CheckpointKind = "tool_calls" | "plan";

/** A step a held process proposes, waiting for the user. */
export interface Checkpoint {
  pid: number;
  kind: CheckpointKind;
  /** tool_calls: [{ name, arguments }] (arguments as JSON text); plan: the steps (strings). */
  value: unknown;
  since: number;
}

export interface SteerEdit {
  /** The replacement proposal (same kind). */
  value?: unknown;
  /** The user's words to the agent, given before its next step. */
  note?: string;
}

interface Waiting extends Checkpoint {
  edit: SteerEdit;
  resolve: (edit: SteerEdit) => void;
  reject: (error: unknown) => void;
}

/** A reply's tool calls as the step the user sees and edits. */
export function callsProposal(calls: ToolCall[]): Array<{ name: string; arguments: string }> {
  return calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
}

/** The calls to run after the user's edit (checked by `steer`): theirs if they changed them, keeping the ids in order. */
export function steeredCalls(calls: ToolCall[], edit: SteerEdit, idPrefix: string): ToolCall[] {
  if (edit.value === undefined) return calls;
  return (edit.value as Array<{ name: string; arguments: string }>).map((c, i) => ({ id: calls[i]?.id ?? `${idPrefix}${i}`, type: "function" as const, function: { name: c.name, arguments: c.arguments } }));
}

export const MAX_NOTE_CHARS = 4000;
const MAX_PLAN_STEPS = 16;

/** Checks an edit against the kind of proposal it replaces. */
function checkEdit(kind: CheckpointKind, edit: SteerEdit): SteerEdit {
  if (edit.note !== undefined && (typeof edit.note !== "string" || edit.note.length > MAX_NOTE_CHARS)) throw new KernelError("EINVAL", `note: must be a string of at most ${MAX_NOTE_CHARS} characters`);
  if (edit.value === undefined) return edit;
  if (kind === "plan") {
    const steps = edit.value;
    if (!Array.isArray(steps) || steps.length < 1 || steps.length > MAX_PLAN_STEPS || !steps.every((s) => typeof s === "string" && s.trim().length > 0 && s.length <= 1000)) {
      throw new KernelError("EINVAL", `value: a plan is 1 to ${MAX_PLAN_STEPS} steps, each a non-empty string of at most 1000 characters`);
    }
    return { ...edit, value: steps.map((s: string) => s.trim()) };
  }
  const calls = edit.value;
  if (!Array.isArray(calls) || calls.length > 8) throw new KernelError("EINVAL", "value: the next step's tool calls, an array of at most 8 { name, arguments } (empty: run none)");
  for (const [i, c] of calls.entries()) {
    const call = c as { name?: unknown; arguments?: unknown };
    if (typeof call !== "object" || call === null || typeof call.name !== "string" || typeof call.arguments !== "string") throw new KernelError("EINVAL", `value[${i}]: must be { name: string, arguments: JSON text }`);
    try {
      JSON.parse(call.arguments);
    } catch {
      throw new KernelError("EINVAL", `value[${i}].arguments: not JSON`);
    }
  }
  return edit;
}

export class Steering {
  /** Processes the user paused; `step`: resumed until the next checkpoint. */
  private readonly paused = new Set<number>();
  private readonly stepping = new Set<number>();
  private readonly waiting = new Map<number, Waiting>();

  /**
   * @param lineage a pid and its ancestors (the kernel's process table)
   * @param changed told whenever what is held changes (the scheduler re-runs its loop)
   */
  constructor(
    private readonly lineage: (pid: number) => number[],
    private readonly changed: () => void,
  ) {}

  /** Whether the process or an ancestor of it is paused. */
  held(pid: number): boolean {
    if (this.paused.size === 0) return false;
    return this.lineage(pid).some((p) => this.paused.has(p));
  }

  /** The paused process that holds `pid` (itself or its nearest paused ancestor). */
  heldBy(pid: number): number | undefined {
    if (this.paused.size === 0) return undefined;
    return this.lineage(pid).find((p) => this.paused.has(p));
  }

  isPaused(pid: number): boolean {
    return this.paused.has(pid);
  }

  /** Whether the process or an ancestor of it was resumed to run until its next step. */
  isStepping(pid: number): boolean {
    return this.stepping.size > 0 && this.lineage(pid).some((p) => this.stepping.has(p));
  }

  pause(pid: number): void {
    this.paused.add(pid);
    this.stepping.delete(pid);
    this.changed();
  }

  /** Resumes; with `step`, the process runs until its next checkpoint and pauses there. */
  resume(pid: number, options: { step?: boolean } = {}): void {
    if (!this.paused.has(pid)) throw new KernelError("EINVAL", `pid ${pid} is not paused`);
    this.paused.delete(pid);
    if (options.step) this.stepping.add(pid);
    // Every wait no longer held goes on (a paused parent holds its children's too).
    for (const [p, waiting] of [...this.waiting]) {
      if (this.held(p)) continue;
      this.waiting.delete(p);
      waiting.resolve(waiting.edit);
    }
    this.changed();
  }

  /** Replaces the proposal a paused process waits with, and/or adds the user's note. */
  steer(pid: number, edit: SteerEdit): Checkpoint {
    const waiting = this.waiting.get(pid);
    if (!waiting) throw new KernelError("EINVAL", `pid ${pid} is not waiting at a step (pause it; it stops before its next tool calls or after its plan)`);
    const valid = checkEdit(waiting.kind, edit);
    if (valid.value !== undefined) waiting.value = valid.value;
    if (valid.note !== undefined) waiting.edit.note = valid.note;
    waiting.edit.value = waiting.value;
    return this.view(waiting);
  }

  /** The step a process waits at, if it does. */
  checkpointOf(pid: number): Checkpoint | null {
    const w = this.waiting.get(pid);
    return w ? this.view(w) : null;
  }

  /**
   * A process reached a step: it goes on at once unless it is held (or was stepping), in which
   * case it waits for the user here. Resolves with the user's edit (empty: go on as proposed).
   */
  checkpoint(pid: number, kind: CheckpointKind, value: unknown, signal: AbortSignal): Promise<SteerEdit> {
    // A process stepping (or one of its descendants) reaching a step pauses it there.
    const stepper = this.stepping.size ? this.lineage(pid).find((p) => this.stepping.has(p)) : undefined;
    if (stepper !== undefined) {
      this.stepping.delete(stepper);
      this.paused.add(stepper);
    }
    if (!this.held(pid)) return Promise.resolve({});
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<SteerEdit>((resolve, reject) => {
      const onAbort = () => {
        if (this.waiting.get(pid)?.resolve === done) this.waiting.delete(pid);
        reject(signal.reason ?? new KernelError("EKILLED", `pid ${pid} was ended while paused`));
      };
      const done = (edit: SteerEdit) => {
        signal.removeEventListener("abort", onAbort);
        resolve(edit);
      };
      this.waiting.set(pid, { pid, kind, value, since: Date.now(), edit: {}, resolve: done, reject });
      signal.addEventListener("abort", onAbort, { once: true });
      this.changed();
    });
  }

  /** Forgets an ended process (its waits were rejected by its abort). */
  forget(pid: number): void {
    this.paused.delete(pid);
    this.stepping.delete(pid);
    this.waiting.delete(pid);
  }

  private view(w: Waiting): Checkpoint {
    return structuredClone({ pid: w.pid, kind: w.kind, value: w.value, since: w.since });
  }
}
