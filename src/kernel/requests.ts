/**
 * Every request in flight — LLM generations, tool calls, token counts — in one table: who made it,
 * how to cancel it, what it reserved. A process's state (running, waiting, ready) is read from
 * here; a kill aborts exactly its rows.
 *
 * Invariants:
 * - A row exists from admission until its request settles (resolved, rejected or cancelled).
 * - Request ids are the caller's own names, unique per process: one process cannot name, block or
 *   cancel another's request.
 * - Completion tokens reserved by rows plus tokens already spent never exceed the process's
 *   `maxCompletionTokens`: a request is clamped to what is left at admission, refused when nothing is.
 */
import { KernelError } from "./errors.ts";
import type { Process } from "./process.ts";

/** "pause": a process waiting at a step for the user (steering.ts). */
export type RequestKind = "llm" | "tool" | "count" | "message" | "pause";

export interface RequestRow {
  pid: number;
  id: string;
  kind: RequestKind;
  controller: AbortController;
  /** Completion tokens held for this request (llm requests under a token quota). */
  reserved: number;
  running: boolean;
  startedAt: number;
}

export class RequestTable {
  private readonly rows = new Map<string, RequestRow>();
  private counter = 0;

  private key(pid: number, id: string): string {
    return `${pid}\u0000${id}`;
  }

  /**
   * Admits a request of `proc`: checks `maxQueued`, reserves completion tokens (at most `wanted`),
   * and returns its row. Throws EQUOTA or EBUSY.
   */
  admit(proc: Process, options: { kind: RequestKind; id?: string; wantedTokens?: number }): RequestRow {
    const id = options.id ?? `${options.kind}-${++this.counter}`;
    if (this.rows.has(this.key(proc.pid, id))) throw new KernelError("EBUSY", `request ${id} is already running`);
    const mine = this.of(proc.pid);
    const { quota } = proc;
    if (options.kind !== "count" && quota.maxQueued !== undefined && mine.filter((r) => r.kind !== "count").length >= quota.maxQueued) {
      throw new KernelError("EQUOTA", `pid ${proc.pid}: maxQueued (${quota.maxQueued}) requests already queued or running`);
    }
    let reserved = 0;
    if (options.wantedTokens !== undefined) {
      reserved = options.wantedTokens;
      if (quota.maxCompletionTokens !== undefined) {
        const held = mine.reduce((sum, r) => sum + r.reserved, 0);
        const left = quota.maxCompletionTokens - proc.completionTokens - held;
        if (left <= 0) {
          throw new KernelError("EQUOTA", `pid ${proc.pid}: maxCompletionTokens (${quota.maxCompletionTokens}) ${held > 0 ? "used up or reserved by requests in flight" : "used up"}`);
        }
        reserved = Math.min(reserved, left);
      }
    }
    const row: RequestRow = { pid: proc.pid, id, kind: options.kind, controller: new AbortController(), reserved, running: false, startedAt: Date.now() };
    this.rows.set(this.key(proc.pid, id), row);
    return row;
  }

  release(row: RequestRow): void {
    if (this.rows.get(this.key(row.pid, row.id)) === row) this.rows.delete(this.key(row.pid, row.id));
  }

  of(pid: number): RequestRow[] {
    return [...this.rows.values()].filter((r) => r.pid === pid);
  }

  all(): RequestRow[] {
    return [...this.rows.values()];
  }

  /** A process's state, from its rows. */
  stateOf(pid: number): "running" | "waiting" | "ready" {
    const mine = this.of(pid).filter((r) => r.kind !== "count");
    if (mine.some((r) => r.running)) return "running";
    return mine.length > 0 ? "waiting" : "ready";
  }

  /** Aborts `pid`'s requests (all, or the one named `id`) with `reason`; returns how many. */
  abort(pid: number, reason?: unknown, id?: string): number {
    let n = 0;
    for (const row of this.of(pid)) {
      if (id !== undefined && row.id !== id) continue;
      row.controller.abort(reason);
      n++;
    }
    return n;
  }
}
