/**
 * The scheduler: one LLM, many processes. Requests are jobs; a generation job runs in slices of
 * decoded tokens and is preempted at a token boundary, its context kept (KV cache) or spilled
 * (text, re-prefilled on resume) when suspended caches exceed the memory budget.
 *
 * Policies: fifo (each job runs to completion, in arrival order); rr (round-robin, `sliceTokens`
 * per turn); priority (highest priority first, re-chosen every slice, with aging so that a
 * waiting job gains one level per `agingSlices` slices passed over: no starvation).
 *
 * Invariants:
 * - At most one job runs at a time; between two slices the loop yields a macrotask, so messages
 *   (new requests, kills, other tabs) are never starved.
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
  signal: AbortSignal;
  /** For plain jobs (model loads): runs whole. */
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

export const DEFAULT_POLICY: PolicyConfig = { policy: "fifo", sliceTokens: 16, agingSlices: 8, kvBudgetBytes: 64 * 1024 * 1024 };
const HISTORY = 256;

export function validatePolicy(input: unknown, current: PolicyConfig): PolicyConfig {
  if (typeof input !== "object" || input === null) throw new KernelError("EINVAL", "policy: must be an object like { policy: \"rr\", sliceTokens: 16 }");
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!["policy", "sliceTokens", "agingSlices", "kvBudgetBytes"].includes(key)) throw new KernelError("EINVAL", `${key}: unknown field`);
  const policy = o.policy ?? current.policy;
  if (policy !== "fifo" && policy !== "rr" && policy !== "priority") throw new KernelError("EINVAL", `policy: must be "fifo", "rr" or "priority"`);
  const int = (name: "sliceTokens" | "agingSlices" | "kvBudgetBytes", max: number) => {
    const v = o[name] ?? current[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < (name === "kvBudgetBytes" ? 0 : 1) || v > max) throw new KernelError("EINVAL", `${name}: must be an integer up to ${max}`);
    return v;
  };
  return { policy, sliceTokens: int("sliceTokens", 4096), agingSlices: int("agingSlices", 1 << 20), kvBudgetBytes: int("kvBudgetBytes", 2 ** 40) };
}

export class Scheduler {
  config: PolicyConfig = { ...DEFAULT_POLICY };
  private readonly queue: Job[] = [];
  private readonly history: RequestStats[] = [];
  private last: Job | null = null;
  private looping = false;
  contextSwitches = 0;

  /** A job that runs whole and alone (e.g. swapping the model). */
  exclusive<T>(run: () => Promise<T>, priority = 39): Promise<T> {
    return this.submit<T>({ run, priority, age: 0, signal: new AbortController().signal });
  }

  /**
   * A short job of a process (counting tokens): runs whole between slices, at the process's
   * priority; rejects with the signal's reason if cancelled while queued.
   */
  task<T>(run: () => Promise<T>, priority: number, signal: AbortSignal): Promise<T> {
    return this.submit<T>({
      run: () => {
        if (signal.aborted) throw signal.reason ?? new KernelError("EKILLED", "cancelled");
        return run();
      },
      priority,
      age: 0,
      signal,
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
    return this.submit({ ...options, age: 0, stats });
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

  private submit<T>(job: Omit<Job, "resolve" | "reject">): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ ...job, resolve: resolve as (v: unknown) => void, reject });
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.queue.length > 0) {
        const job = this.pick();
        // A short task (a token count) between two slices is not a context switch.
        if (!job.run && this.last && this.last !== job && this.last.generation && !this.last.generation.done && this.queue.includes(this.last)) {
          this.last.stats!.preemptions++;
          this.contextSwitches++;
        }
        if (!job.run) this.last = job;
        await this.runSlice(job);
        await yieldToEventLoop();
      }
    } finally {
      this.looping = false;
    }
  }

  private pick(): Job {
    let at = 0;
    if (this.config.policy === "priority") {
      const level = (j: Job) => j.priority + Math.floor(j.age / this.config.agingSlices);
      for (let i = 1; i < this.queue.length; i++) if (level(this.queue[i]!) > level(this.queue[at]!)) at = i;
      this.queue.forEach((j, i) => i !== at && j.age++);
    }
    const [job] = this.queue.splice(at, 1);
    job!.age = 0;
    return job!;
  }

  private async runSlice(job: Job): Promise<void> {
    job.onRun?.(true);
    try {
      if (job.run) return job.resolve(await job.run());
      if (!job.generation) {
        if (job.signal.aborted) {
          return job.resolve({ text: "", finishReason: "abort", promptTokens: 0, completionTokens: 0, timeToFirstTokenMs: 0, totalMs: 0 } satisfies GenerateResult);
        }
        const generation = await job.start!();
        if (!generation) return await this.finishWhole(job);
        job.generation = generation;
        job.stats!.promptTokens = generation.promptTokens;
      }
      const generation = job.generation;
      const slice: [number, number] = [performance.now(), 0];
      job.suspendedAt = undefined;
      await generation.step(this.config.policy === "fifo" ? Infinity : this.config.sliceTokens);
      slice[1] = performance.now();
      job.stats!.slices.push(slice);
      job.stats!.completionTokens = generation.tokens;
      if (generation.tokens > 0) this.firstToken(job.stats);
      if (generation.done) {
        const result = await generation.finish();
        job.stats!.finishedAt = performance.now();
        return job.resolve(result);
      }
      job.suspendedAt = slice[1];
      this.queue.push(job);
      await this.enforceKvBudget();
    } catch (error) {
      if (job.stats) job.stats.finishedAt = performance.now();
      await job.generation?.finish().catch(() => undefined);
      job.reject(error);
    } finally {
      job.onRun?.(false);
    }
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
