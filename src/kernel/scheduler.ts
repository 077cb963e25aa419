/**
 * The scheduler: one LLM, many processes. Requests are jobs; a generation job runs in slices of
 * decoded tokens and is preempted at a token boundary, its context kept (KV cache) or spilled
 * (text, re-prefilled on resume) when suspended caches exceed the memory budget.
 *
 * Policies: fifo (each job runs to completion, in arrival order); rr (round-robin over processes,
 * `sliceTokens` per turn); priority (highest priority first, re-chosen every slice, with aging so
 * that a waiting job gains one level per `agingSlices` slices passed over: no starvation). Fair
 * share is per process: a process's many requests take turns among themselves.
 *
 * Where the engine can batch (`Generation.batcher`), a slice runs up to `maxBatch` generations
 * together, one model call per token for all (continuous batching); the policy chooses the
 * members, and a newcomer that would change the choice joins at the next token boundary.
 *
 * Invariants:
 * - At most one slice (one job, or one batch of generations) runs at a time; between two slices
 *   the loop yields a macrotask, so messages (new requests, kills, other tabs) are never starved.
 * - A job leaves `queue` only when picked, and is resolved or rejected exactly once.
 */
import type { Generation, GenerateResult } from "./engine.ts";
import { KernelError } from "./errors.ts";
import { yieldToEventLoop } from "./yield.ts";

export type Policy = "fifo" | "rr" | "priority";

export interface PolicyConfig {
  policy: Policy;
  /** Decoded tokens per turn under rr and priority. */
  sliceTokens: number;
  /** Under priority: slices a waiting job is passed over before it gains one level. */
  agingSlices: number;
  /** Suspended KV caches above this many bytes are spilled (oldest first) to text snapshots. */
  kvBudgetBytes: number;
  /** Generations decoded together in one batch where the engine can (1: one at a time). */
  maxBatch: number;
}

export interface RequestStats {
  requestId: string;
  pid: number;
  queuedAt: number;
  firstTokenAt: number | null;
  finishedAt: number | null;
  promptTokens: number;
  completionTokens: number;
  preemptions: number;
  spills: number;
  /** Run slices, [start, end] in ms (performance.timeOrigin-relative). */
  slices: Array<[number, number]>;
}

interface Job {
  priority: number;
  age: number;
  /** Arrival order. */
  seq: number;
  signal: AbortSignal;
  /** The process it belongs to, for per-process fair share (plain jobs of the kernel: none). */
  pid?: number;
  /** A short task (a token count): under rr, and under fifo when batching, it goes first. */
  short?: boolean;
  /** For plain jobs (model loads, token counts): runs whole. */
  run?: () => Promise<unknown>;
  /** For generations: starts a sliceable one, or null when the engine cannot slice. */
  start?: () => Promise<Generation | null>;
  whole?: () => Promise<GenerateResult>;
  generation?: Generation;
  /** Told when the job starts and stops running (process state). */
  onRun?: (running: boolean) => void;
  suspendedAt?: number;
  stats?: RequestStats;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export const DEFAULT_POLICY: PolicyConfig = { policy: "fifo", sliceTokens: 16, agingSlices: 8, kvBudgetBytes: 64 * 1024 * 1024, maxBatch: 8 };
const HISTORY = 256;

export function validatePolicy(input: unknown, current: PolicyConfig): PolicyConfig {
  if (typeof input !== "object" || input === null) throw new KernelError("EINVAL", "policy: must be an object like { policy: \"rr\", sliceTokens: 16 }");
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!["policy", "sliceTokens", "agingSlices", "kvBudgetBytes", "maxBatch"].includes(key)) throw new KernelError("EINVAL", `${key}: unknown field`);
  const policy = o.policy ?? current.policy;
  if (policy !== "fifo" && policy !== "rr" && policy !== "priority") throw new KernelError("EINVAL", `policy: must be "fifo", "rr" or "priority"`);
  const int = (name: "sliceTokens" | "agingSlices" | "kvBudgetBytes" | "maxBatch", max: number) => {
    const v = o[name] ?? current[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < (name === "kvBudgetBytes" ? 0 : 1) || v > max) throw new KernelError("EINVAL", `${name}: must be an integer up to ${max}`);
    return v;
  };
  return { policy, sliceTokens: int("sliceTokens", 4096), agingSlices: int("agingSlices", 1 << 20), kvBudgetBytes: int("kvBudgetBytes", 2 ** 40), maxBatch: int("maxBatch", 64) };
}

export class Scheduler {
  config: PolicyConfig = { ...DEFAULT_POLICY };
  private readonly queue: Job[] = [];
  private readonly history: RequestStats[] = [];
  /** The generations of the last slice (a short task in between does not replace them). */
  private lastBatch: Job[] = [];
  private looping = false;
  private arrivals = 0;
  /** Per process, the slice count when it last ran (rr and priority rotate processes, not requests). */
  private readonly lastTurn = new Map<number, number>();
  private turns = 0;
  contextSwitches = 0;
  /** The most generations one slice has decoded together, and the memory the largest batch took. */
  readonly batches = { largest: 0, peakBytes: 0 };
  /**
   * Whether a process's jobs are held (the user paused it, steering.ts): held jobs stay queued
   * and are never chosen; a running batch that holds one ends its slice at the next token.
   */
  held: (pid: number) => boolean = () => false;

  /** Re-runs the loop (after a process was resumed). */
  wake(): void {
    void this.loop();
  }

  private runnable(): Job[] {
    return this.queue.filter((j) => j.pid === undefined || !this.held(j.pid));
  }

  /** A job that runs whole and alone (e.g. swapping the model). */
  exclusive<T>(run: () => Promise<T>, priority = 39): Promise<T> {
    return this.submit<T>({ run, priority, signal: new AbortController().signal });
  }

  /**
   * A short job of a process (counting tokens): runs whole between slices, at the process's
   * priority; rejects with the signal's reason if cancelled while queued.
   */
  task<T>(run: () => Promise<T>, priority: number, signal: AbortSignal, pid?: number): Promise<T> {
    return this.submit<T>({
      run: () => {
        if (signal.aborted) throw signal.reason ?? new KernelError("EKILLED", "cancelled");
        return run();
      },
      priority,
      signal,
      pid,
      short: true,
    });
  }

  generation(options: {
    requestId: string;
    pid: number;
    priority: number;
    signal: AbortSignal;
    start: () => Promise<Generation | null>;
    whole: () => Promise<GenerateResult>;
    onRun?: (running: boolean) => void;
  }): Promise<GenerateResult> {
    const stats: RequestStats = {
      requestId: options.requestId,
      pid: options.pid,
      queuedAt: performance.now(),
      firstTokenAt: null,
      finishedAt: null,
      promptTokens: 0,
      completionTokens: 0,
      preemptions: 0,
      spills: 0,
      slices: [],
    };
    this.history.push(stats);
    if (this.history.length > HISTORY) this.history.shift();
    return this.submit({ ...options, stats });
  }

  /** Marks when a request's first token was seen (the kernel calls it from the text stream). */
  firstToken(stats: RequestStats | undefined): void {
    if (stats && stats.firstTokenAt === null) stats.firstTokenAt = performance.now();
  }

  statsOf(requestId: string, pid: number): RequestStats | undefined {
    return this.history.findLast((s) => s.requestId === requestId && s.pid === pid);
  }

  requests(): RequestStats[] {
    return structuredClone(this.history);
  }

  private submit<T>(job: Omit<Job, "resolve" | "reject" | "age" | "seq">): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ ...job, age: 0, seq: this.arrivals++, resolve: resolve as (v: unknown) => void, reject });
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      for (let runnable = this.runnable(); runnable.length > 0; runnable = this.runnable()) {
        const chosen = this.choose(runnable);
        for (const job of runnable) if (!chosen.includes(job)) job.age++;
        for (const job of chosen) {
          this.queue.splice(this.queue.indexOf(job), 1);
          job.age = 0;
        }
        if (chosen[0]!.run) await this.runTask(chosen[0]!);
        else await this.runSlice(chosen);
        await yieldToEventLoop();
      }
    } finally {
      this.looping = false;
    }
  }

  /** Effective priority: one level more per `agingSlices` slices passed over. */
  private level(job: Job): number {
    return job.priority + Math.floor(job.age / this.config.agingSlices);
  }

  /**
   * What runs next, by policy: one plain job alone, or a batch of generations of one batcher.
   * fifo: arrival order (short tasks first when batching, so a newcomer can join a batch that has
   * room). rr: processes in turn — the one that ran longest ago first — and a process's own
   * requests in turn. priority: the highest effective level only, processes in turn within it.
   * Batch slots go one per process per round, so a process with many requests takes spare slots,
   * never another process's.
   */
  private choose(candidates: readonly Job[]): Job[] {
    const { policy, maxBatch } = this.config;
    const shortFirst = policy !== "fifo" || maxBatch > 1;
    const turn = (j: Job) => (j.pid === undefined ? -1 : (this.lastTurn.get(j.pid) ?? -1));
    const ordered = [...candidates].sort((a, b) => {
      if (policy === "priority" && this.level(a) !== this.level(b)) return this.level(b) - this.level(a);
      if (shortFirst && !!a.short !== !!b.short) return a.short ? -1 : 1;
      if (policy !== "fifo" && turn(a) !== turn(b)) return turn(a) - turn(b);
      return a.seq - b.seq;
    });
    const lead = ordered[0]!;
    if (lead.run || (lead.generation && !lead.generation.batcher)) return [lead];
    const limit = Math.min(maxBatch, lead.generation?.batcher?.maxBatch ?? maxBatch);
    const fits = (j: Job) =>
      !j.run && (policy !== "priority" || this.level(j) === this.level(lead)) && (!j.generation || !lead.generation || j.generation.batcher === lead.generation.batcher);
    const pool = ordered.filter(fits);
    if (policy === "fifo") return pool.slice(0, limit);
    // One slot per process per round, processes in the order above.
    const byProcess = new Map<number | undefined, Job[]>();
    for (const j of pool) {
      const jobs = byProcess.get(j.pid);
      if (jobs) jobs.push(j);
      else byProcess.set(j.pid, [j]);
    }
    const batch: Job[] = [];
    for (let round = 0; batch.length < limit; round++) {
      const before = batch.length;
      for (const jobs of byProcess.values()) if (jobs[round] && batch.length < limit) batch.push(jobs[round]!);
      if (batch.length === before) break;
    }
    return batch;
  }

  private async runTask(job: Job): Promise<void> {
    job.onRun?.(true);
    try {
      job.resolve(await job.run!());
    } catch (error) {
      job.reject(error);
    } finally {
      job.onRun?.(false);
    }
  }

  /** Runs one slice of the chosen generations: together where they share a batcher, else the first alone. */
  private async runSlice(chosen: Job[]): Promise<void> {
    const batch: Job[] = [];
    for (const job of chosen) {
      if (!(await this.started(job))) continue;
      const batcher = batch[0]?.generation!.batcher;
      if (batch.length === 0 || (batcher && job.generation!.batcher === batcher)) batch.push(job);
      else this.queue.unshift(job);
    }
    if (batch.length === 0) return;
    // A member of the last batch left out while unfinished was preempted.
    for (const job of this.lastBatch) {
      if (!batch.includes(job) && this.queue.includes(job)) {
        job.stats!.preemptions++;
        this.contextSwitches++;
      }
    }
    this.lastBatch = batch;
    const turn = ++this.turns;
    if (this.lastTurn.size > 1024) for (const pid of this.lastTurn.keys()) if (!this.queue.some((j) => j.pid === pid)) this.lastTurn.delete(pid);
    for (const job of batch) {
      this.lastTurn.set(job.pid!, turn);
      job.suspendedAt = undefined;
      job.onRun?.(true);
    }
    const { policy, sliceTokens } = this.config;
    const n = policy === "fifo" ? Infinity : sliceTokens;
    const slice: [number, number] = [performance.now(), 0];
    try {
      // A lone member of a batcher still runs through it, so that newcomers can join between tokens.
      if (!batch[0]!.generation!.batcher) await batch[0]!.generation!.step(n);
      else {
        const batcher = batch[0]!.generation!.batcher!;
        let seen = this.arrivals;
        let rounds = 0;
        // A batch runs on, packed, until something waits for its turn (rr and priority: after a
        // slice) or an arrival would change the choice (at the next token boundary). The members'
        // token counts are kept current meanwhile (the monitor and the stats read them).
        const interrupt = () => {
          this.batches.peakBytes = Math.max(this.batches.peakBytes, batcher.peakBatchBytes);
          rounds++;
          for (const job of batch) this.recordTokens(job);
          if (batch.some((j) => this.held(j.pid!))) return true;
          if (policy !== "fifo" && rounds >= sliceTokens && this.runnable().length > 0) return true;
          if (seen === this.arrivals) return false;
          seen = this.arrivals;
          const again = this.choose([...batch, ...this.runnable()]);
          return again.length !== batch.length || again.some((j) => !batch.includes(j));
        };
        this.batches.largest = Math.max(this.batches.largest, batch.length);
        await batcher.stepMany(
          batch.map((j) => j.generation!),
          Infinity,
          interrupt,
        );
        this.batches.peakBytes = Math.max(this.batches.peakBytes, batcher.peakBatchBytes);
      }
    } catch (error) {
      for (const job of batch) await this.fail(job, error);
      return;
    } finally {
      slice[1] = performance.now();
      for (const job of batch) job.onRun?.(false);
    }
    for (const job of batch) {
      const generation = job.generation!;
      job.stats!.slices.push([slice[0], slice[1]]);
      this.recordTokens(job);
      if (!generation.done) {
        job.suspendedAt = slice[1];
        this.queue.push(job);
        continue;
      }
      try {
        const result = await generation.finish();
        job.stats!.finishedAt = performance.now();
        job.resolve(result);
      } catch (error) {
        await this.fail(job, error);
      }
    }
    await this.enforceKvBudget();
  }

  /** A generation's tokens so far into its request's stats. */
  private recordTokens(job: Job): void {
    job.stats!.completionTokens = job.generation!.tokens;
    if (job.generation!.tokens > 0) this.firstToken(job.stats);
  }

  /** Starts a generation job if it has not started; false when it ended instead (aborted, whole, failed). */
  private async started(job: Job): Promise<boolean> {
    if (job.generation) return true;
    if (job.signal.aborted) {
      job.resolve({ text: "", finishReason: "abort", promptTokens: 0, completionTokens: 0, timeToFirstTokenMs: 0, totalMs: 0 } satisfies GenerateResult);
      return false;
    }
    job.onRun?.(true);
    try {
      const generation = await job.start!();
      if (!generation) {
        await this.finishWhole(job);
        return false;
      }
      job.generation = generation;
      job.stats!.promptTokens = generation.promptTokens;
      return true;
    } catch (error) {
      await this.fail(job, error);
      return false;
    } finally {
      job.onRun?.(false);
    }
  }

  private async fail(job: Job, error: unknown): Promise<void> {
    if (job.stats) job.stats.finishedAt = performance.now();
    await job.generation?.finish().catch(() => undefined);
    job.reject(error);
  }

  private async finishWhole(job: Job): Promise<void> {
    const slice: [number, number] = [performance.now(), 0];
    const result = await job.whole!();
    slice[1] = performance.now();
    Object.assign(job.stats!, { slices: [slice], promptTokens: result.promptTokens, completionTokens: result.completionTokens, finishedAt: slice[1] });
    job.resolve(result);
  }

  /** Spills the longest-suspended caches until the suspended total fits the budget. */
  private async enforceKvBudget(): Promise<void> {
    const suspended = this.queue.filter((j) => j.generation && j.generation.cacheBytes > 0).sort((a, b) => a.suspendedAt! - b.suspendedAt!);
    let total = suspended.reduce((sum, j) => sum + j.generation!.cacheBytes, 0);
    for (const job of suspended) {
      if (total <= this.config.kvBudgetBytes) break;
      total -= job.generation!.cacheBytes;
      await job.generation!.spill();
      job.stats!.spills++;
    }
  }
}
