/**
 * Processes: every agent (and the shell) is a process with a pid, a priority and quotas; every
 * LLM request it makes is accounted to it.
 *
 * Invariants:
 * - pids are never reused; a process in state "done" accepts no new requests.
 * - `inFlight` holds exactly the process's queued and running requests.
 * - `completionTokens` never exceeds `quota.maxCompletionTokens` by more than zero: requests are
 *   clamped to what is left, and refused (EQUOTA) once nothing is.
 */
import { KernelError } from "./errors.ts";

export type ProcessState = "ready" | "running" | "waiting" | "done";

export interface Quota {
  /** Completion tokens over the process's whole life. */
  maxCompletionTokens?: number;
  /** Wall-clock limit of one request, queueing included. */
  maxRequestMs?: number;
  /** Requests queued or running at once. */
  maxQueued?: number;
}

/** How the kernel manages a process's context window (see memory/memory.ts). */
export interface MemoryOptions {
  /** The window its conversation is assembled into (at most the model's). */
  contextTokens?: number;
  /** Room kept for the reply. */
  replyTokens?: number;
  /** Its system prompt. */
  system?: string;
}

export interface SpawnOptions {
  name: string;
  priority?: number;
  quota?: Quota;
  memory?: MemoryOptions;
  /** Who owns it (a tab); ending the owner ends its processes. */
  owner?: string;
}

export interface ProcessInfo {
  pid: number;
  name: string;
  state: ProcessState;
  priority: number;
  owner?: string;
  quota: Quota;
  memory: MemoryOptions;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  startedAt: number;
}

export interface Process extends ProcessInfo {
  inFlight: Map<string, AbortController>;
  runningRequest: string | null;
}

export const PRIORITY = { min: 0, max: 39, default: 20 } as const;
/** Live processes at most (a runaway spawner gets EQUOTA), and ended ones kept for ps(). */
export const MAX_LIVE_PROCESSES = 1024;
const KEEP_DONE = 64;
const NAME_MAX = 64;

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `${field}: ${problem}`);
}

function positiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) invalid(field, `must be a positive integer, got ${String(value).slice(0, 40)}`);
  return value;
}

export function validateSpawn(options: unknown): SpawnOptions {
  if (typeof options !== "object" || options === null) invalid("options", "must be an object with a name");
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!["name", "priority", "quota", "memory", "owner"].includes(key)) invalid(key, "unknown field");
  if (typeof o.name !== "string" || o.name.trim().length === 0 || o.name.length > NAME_MAX) invalid("name", `must be a non-empty string of at most ${NAME_MAX} characters`);
  let priority: number | undefined;
  if (o.priority !== undefined) {
    if (typeof o.priority !== "number" || !Number.isInteger(o.priority) || o.priority < PRIORITY.min || o.priority > PRIORITY.max) {
      invalid("priority", `must be an integer from ${PRIORITY.min} (lowest) to ${PRIORITY.max} (highest)`);
    }
    priority = o.priority;
  }
  let quota: Quota = {};
  if (o.quota !== undefined) {
    if (typeof o.quota !== "object" || o.quota === null) invalid("quota", "must be an object");
    const q = o.quota as Record<string, unknown>;
    for (const key of Object.keys(q)) if (!["maxCompletionTokens", "maxRequestMs", "maxQueued"].includes(key)) invalid(`quota.${key}`, "unknown field");
    quota = {
      maxCompletionTokens: positiveInteger(q.maxCompletionTokens, "quota.maxCompletionTokens"),
      maxRequestMs: positiveInteger(q.maxRequestMs, "quota.maxRequestMs"),
      maxQueued: positiveInteger(q.maxQueued, "quota.maxQueued"),
    };
  }
  let memory: MemoryOptions = {};
  if (o.memory !== undefined) {
    if (typeof o.memory !== "object" || o.memory === null) invalid("memory", "must be an object");
    const m = o.memory as Record<string, unknown>;
    for (const key of Object.keys(m)) if (!["contextTokens", "replyTokens", "system"].includes(key)) invalid(`memory.${key}`, "unknown field");
    if (m.system !== undefined && (typeof m.system !== "string" || m.system.length > 20_000)) invalid("memory.system", "must be a string of at most 20000 characters");
    memory = { contextTokens: positiveInteger(m.contextTokens, "memory.contextTokens"), replyTokens: positiveInteger(m.replyTokens, "memory.replyTokens"), system: m.system as string | undefined };
    if (memory.contextTokens !== undefined && memory.contextTokens < 128) invalid("memory.contextTokens", "must be at least 128");
    if (memory.replyTokens !== undefined && memory.contextTokens !== undefined && memory.replyTokens > memory.contextTokens / 2) invalid("memory.replyTokens", "must be at most half of memory.contextTokens");
  }
  if (o.owner !== undefined && typeof o.owner !== "string") invalid("owner", "must be a string");
  return { name: o.name, priority, quota, memory, owner: o.owner as string | undefined };
}

export class ProcessTable {
  private readonly procs = new Map<number, Process>();
  private nextPid = 1;

  spawn(options: SpawnOptions): Process {
    const all = [...this.procs.values()];
    if (all.filter((p) => p.state !== "done").length >= MAX_LIVE_PROCESSES) {
      throw new KernelError("EQUOTA", `at most ${MAX_LIVE_PROCESSES} live processes`);
    }
    const done = all.filter((p) => p.state === "done");
    for (const old of done.slice(0, Math.max(0, done.length - KEEP_DONE + 1))) this.procs.delete(old.pid);
    const proc: Process = {
      pid: this.nextPid++,
      name: options.name,
      state: "ready",
      priority: options.priority ?? PRIORITY.default,
      owner: options.owner,
      quota: Object.fromEntries(Object.entries(options.quota ?? {}).filter(([, v]) => v !== undefined)),
      memory: Object.fromEntries(Object.entries(options.memory ?? {}).filter(([, v]) => v !== undefined)),
      promptTokens: 0,
      completionTokens: 0,
      requests: 0,
      startedAt: Date.now(),
      inFlight: new Map(),
      runningRequest: null,
    };
    this.procs.set(proc.pid, proc);
    return proc;
  }

  /** The live process `pid`, or a typed error saying why there is none. */
  live(pid: unknown): Process {
    if (typeof pid !== "number" || !Number.isSafeInteger(pid)) invalid("pid", "must be an integer");
    const proc = this.procs.get(pid);
    if (!proc) throw new KernelError("ENOENT", `pid ${pid}: no such process`);
    if (proc.state === "done") throw new KernelError("EKILLED", `pid ${pid} (${proc.name}) has exited`);
    return proc;
  }

  all(): Process[] {
    return [...this.procs.values()];
  }

  /** Recomputes a live process's state from its requests. */
  refresh(proc: Process): void {
    if (proc.state === "done") return;
    proc.state = proc.runningRequest ? "running" : proc.inFlight.size > 0 ? "waiting" : "ready";
  }

  info(proc: Process): ProcessInfo {
    const { inFlight: _inFlight, runningRequest: _running, ...info } = proc;
    return structuredClone(info);
  }
}
