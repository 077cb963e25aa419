/**
 * Processes: every agent (and the shell) is a process with a pid, an app, a priority, quotas and
 * the capabilities it declared; every LLM request and tool call it makes is accounted to it.
 *
 * Invariants:
 * - pids are never reused; a process in state "done" accepts no new requests.
 * - A process's app (its namespace: files, memory, access decisions) is fixed at spawn: the name
 *   the user gave it when the shell spawned it, its parent's app when a process spawned it (a
 *   child never gets more than its parent: same app, capabilities a subset of the parent's).
 * - "shell" is pid 1's app alone: no other process may be named or act as it.
 * - Live processes are bounded in all, per owner (tab) and per parent: no one agent can fill the
 *   table for everyone.
 */
import { KernelError } from "./errors.ts";
import { copyLabel, emptyLabel, type ProcessLabel } from "./labels.ts";
import type { Checkpoint } from "./steering.ts";
import { Type, validate, type Static } from "./schema.ts";
import { ToolRulesSchema, type ToolRule } from "./tool-rules.ts";

export type ProcessState = "ready" | "running" | "waiting" | "done";

export const PRIORITY = { min: 0, max: 39, default: 20 } as const;
/** Live processes at most (a runaway spawner gets EQUOTA), and ended ones kept for ps(). */
export const MAX_LIVE_PROCESSES = 1024;
export const MAX_LIVE_PER_OWNER = 256;
export const MAX_LIVE_CHILDREN = 64;
const KEEP_DONE = 64;
export const SHELL_APP = "shell";

/** A capability: a family and an optional qualifier, e.g. "calculator", "network:127.0.0.1:8123". */
export const CAPABILITY = "^[a-z][a-z0-9.-]{0,31}(:[^\\s]{1,255})?$";

export const QuotaSchema = Type.Object(
  {
    maxCompletionTokens: Type.Optional(Type.Integer({ minimum: 1, description: "Completion tokens over the process's whole life (reserved when a request is admitted)." })),
    maxRequestMs: Type.Optional(Type.Integer({ minimum: 1, description: "Wall-clock limit of one request, queueing included." })),
    maxQueued: Type.Optional(Type.Integer({ minimum: 1, description: "Requests queued or running at once." })),
  },
  { additionalProperties: false },
);

export const MemoryOptionsSchema = Type.Object(
  {
    contextTokens: Type.Optional(Type.Integer({ minimum: 128, description: "The window its conversation is assembled into (at most the model's)." })),
    replyTokens: Type.Optional(Type.Integer({ minimum: 1, description: "Room kept for the reply." })),
    system: Type.Optional(Type.String({ maxLength: 20_000, description: "Its system prompt (its instructions)." })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: "Tool-loop steps per chat turn (default 4)." })),
  },
  { additionalProperties: false },
);

export const SpawnSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: "\\S" }),
    priority: Type.Optional(Type.Integer({ minimum: PRIORITY.min, maximum: PRIORITY.max })),
    quota: Type.Optional(QuotaSchema),
    memory: Type.Optional(MemoryOptionsSchema),
    capabilities: Type.Optional(Type.Array(Type.String({ pattern: CAPABILITY }), { maxItems: 64 })),
    toolRules: Type.Optional(ToolRulesSchema),
  },
  { additionalProperties: false },
);

export type Quota = Static<typeof QuotaSchema>;
export type MemoryOptions = Static<typeof MemoryOptionsSchema>;
export type SpawnOptions = Static<typeof SpawnSchema>;

export interface ProcessInfo {
  pid: number;
  name: string;
  /** Its files' namespace and the key of its access decisions. */
  app: string;
  /** The process that spawned it (none for the shell's own children). */
  parent?: number;
  state: ProcessState;
  priority: number;
  /** The tab it belongs to; closing the tab ends it. */
  owner?: string;
  quota: Quota;
  memory: MemoryOptions;
  capabilities: string[];
  /** Limits on its tool use (tool-rules.ts): its app's manifest's and any its parent had. */
  toolRules: ToolRule[];
  promptTokens: number;
  completionTokens: number;
  /** Tokens its memory manager counted (prompt assembly), charged to it. */
  countedTokens: number;
  requests: number;
  toolCalls: number;
  startedAt: number;
  /** The untrusted and private data it has been given (labels.ts); only grows. */
  label: ProcessLabel;
  /** Set once it has ended: how. */
  exit?: ProcessExit;
  /** The user (or an ancestor) paused it, or an ancestor of it (steering.ts). */
  paused?: true;
  /** Which paused process holds it: itself, or its nearest paused ancestor (resuming that one lets it go on). */
  pausedBy?: number;
  /** The step it waits at for the user, while paused. */
  checkpoint?: Checkpoint;
}

export type Process = Omit<ProcessInfo, "state"> & { done: boolean };

/** How a process ended. */
export interface ProcessExit {
  /** "exited": a code app's main returned; "failed": it threw or was stopped (runaway, memory); "killed": ended by a kill. */
  status: "exited" | "failed" | "killed";
  /** What a code app's main resolved to (JSON). */
  value?: unknown;
  error?: { code: string; message: string };
  /** A code app's last console lines. */
  logs?: string[];
  /** A code app's sandbox start: milliseconds until its VM was ready. */
  startMs?: number;
  at: number;
}

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `${field}: ${problem}`);
}

/** Spawn options checked at the boundary, plus the cross-field rules a schema cannot say. */
/** Whether a process declared a capability ("network:*" covers every "network:<host>"). */
export function declares(proc: Pick<Process, "capabilities">, capability: string): boolean {
  if (proc.capabilities.includes(capability)) return true;
  if (capability.startsWith("message:")) return proc.capabilities.includes("message:*");
  return capability.startsWith("network:") && proc.capabilities.includes("network:*");
}

export function validateSpawn(options: unknown): SpawnOptions {
  const o = validate(SpawnSchema, options ?? undefined, "", "options");
  const m = o.memory;
  if (m?.replyTokens !== undefined && m.contextTokens !== undefined && m.replyTokens > m.contextTokens / 2) invalid("memory.replyTokens", "must be at most half of memory.contextTokens");
  if (o.name.trim().toLowerCase() === SHELL_APP) invalid("name", `"${SHELL_APP}" is reserved for the user's shell`);
  return o;
}

export interface SpawnPlacement {
  /** The spawning process (absent for the shell itself). */
  parent?: Process;
  owner?: string;
  /** An installed app's id, when the kernel launches that app (its identity; only the kernel sets it). */
  app?: string;
}

export class ProcessTable {
  private readonly procs = new Map<number, Process>();
  private nextPid = 1;

  /** The shell: pid 1, app "shell", every capability the user has. */
  spawnShell(capabilities: string[]): Process {
    if (this.procs.size > 0) throw new KernelError("EINTERNAL", "the shell is pid 1 and is spawned first");
    return this.add({ name: SHELL_APP, app: SHELL_APP, priority: PRIORITY.default, quota: {}, memory: {}, capabilities, toolRules: [] });
  }

  spawn(options: SpawnOptions, placement: SpawnPlacement): Process {
    const live = this.all().filter((p) => !p.done);
    if (live.length >= MAX_LIVE_PROCESSES) throw new KernelError("EQUOTA", `at most ${MAX_LIVE_PROCESSES} live processes`);
    if (placement.owner !== undefined && live.filter((p) => p.owner === placement.owner).length >= MAX_LIVE_PER_OWNER) {
      throw new KernelError("EQUOTA", `at most ${MAX_LIVE_PER_OWNER} live processes per tab`);
    }
    const parent = placement.parent && placement.parent.app !== SHELL_APP ? placement.parent : undefined;
    if (placement.parent && live.filter((p) => p.parent === placement.parent!.pid).length >= MAX_LIVE_CHILDREN) {
      throw new KernelError("EQUOTA", `pid ${placement.parent.pid} (${placement.parent.name}) has ${MAX_LIVE_CHILDREN} live children already`);
    }
    const capabilities = [...new Set(options.capabilities ?? [])];
    if (parent) {
      const extra = capabilities.find((c) => !declares(parent, c));
      if (extra) throw new KernelError("EPERM", `capabilities: ${extra} is not one of pid ${parent.pid} (${parent.name})'s own`);
    }
    return this.add({
      name: options.name,
      app: parent?.app ?? placement.app ?? options.name,
      parent: parent?.pid,
      owner: placement.owner,
      priority: options.priority ?? PRIORITY.default,
      quota: { ...options.quota },
      memory: { ...options.memory },
      capabilities,
      toolRules: [...(parent?.toolRules ?? []), ...(options.toolRules ?? [])],
      // A child starts with what its parent has seen: its instructions come from that context.
      ...(placement.parent ? { label: copyLabel(placement.parent.label) } : {}),
    });
  }

  private add(fields: Pick<Process, "name" | "app" | "priority" | "quota" | "memory" | "capabilities" | "toolRules"> & Partial<Pick<Process, "parent" | "owner" | "label">>): Process {
    const done = this.all().filter((p) => p.done);
    for (const old of done.slice(0, Math.max(0, done.length - KEEP_DONE + 1))) this.procs.delete(old.pid);
    const proc: Process = {
      pid: this.nextPid++,
      ...fields,
      done: false,
      promptTokens: 0,
      completionTokens: 0,
      countedTokens: 0,
      requests: 0,
      toolCalls: 0,
      startedAt: Date.now(),
      label: fields.label ?? emptyLabel(),
    };
    if (proc.parent === undefined) delete proc.parent;
    if (proc.owner === undefined) delete proc.owner;
    this.procs.set(proc.pid, proc);
    return proc;
  }

  /** The live process `pid`, or a typed error saying why there is none. */
  live(pid: unknown): Process {
    if (typeof pid !== "number" || !Number.isSafeInteger(pid)) invalid("pid", "must be an integer");
    const proc = this.procs.get(pid);
    if (!proc) throw new KernelError("ENOENT", `pid ${pid}: no such process`);
    if (proc.done) throw new KernelError("EKILLED", `pid ${pid} (${proc.name}) has exited`);
    return proc;
  }

  get(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  all(): Process[] {
    return [...this.procs.values()];
  }

  /** True when `pid` is `ancestor` or descends from it. */
  descendsFrom(pid: number, ancestor: number): boolean {
    return this.lineage(pid).includes(ancestor);
  }

  /** `pid` and its ancestors, nearest first (bounded: a parent chain never loops). */
  lineage(pid: number): number[] {
    const line: number[] = [];
    for (let p = this.procs.get(pid); p && line.length <= this.procs.size; p = p.parent === undefined ? undefined : this.procs.get(p.parent)) line.push(p.pid);
    return line;
  }

  /** Marks a process ended: it accepts no new requests. */
  end(proc: Process): void {
    proc.done = true;
  }

  info(proc: Process, state: Exclude<ProcessState, "done">): ProcessInfo {
    const { done, ...rest } = proc;
    return structuredClone({ ...rest, state: done ? "done" : state });
  }
}
