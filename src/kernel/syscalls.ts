/**
 * The system-call table (xv6's syscall.c): each call name maps to one handler. A handler gets the
 * kernel, the caller's context and the raw arguments, and validates them itself (at the boundary:
 * nothing unvalidated reaches a subsystem). Every failure is a KernelError with a stable code.
 */
import type { ChatCompletionChunk } from "./chat.ts";
import type { LoadProgress } from "./engine.ts";
import { RemoteSource } from "./engines/remote.ts";
import { KernelError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

export interface SyscallContext {
  /** The calling process. */
  pid: number;
  /** The tab (or other client) the call came from. */
  owner?: string;
  /** Names a request so it can be interrupted. */
  requestId?: string;
  /** Streamed chunks (llm.chat with stream: true) or load progress (models.load). */
  emit?: (event: unknown) => void;
}

type Handler = (kernel: Kernel, ctx: SyscallContext, args: unknown) => unknown;

function field<T>(args: unknown, name: string, check: (v: unknown) => v is T, expected: string): T {
  const value = typeof args === "object" && args !== null ? (args as Record<string, unknown>)[name] : undefined;
  if (!check(value)) throw new KernelError("EINVAL", `${name}: must be ${expected}`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === "string";
const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
const isOptionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === "string";
/** The subsystem validates these itself (with its own messages). */
const isAny = (_v: unknown): _v is unknown => true;
const isOptionalObject = (v: unknown): v is Record<string, unknown> | undefined => v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v));
const isOptionalBoolean = (v: unknown): v is boolean | undefined => v === undefined || typeof v === "boolean";

export const SYSCALLS = {
  "llm.chat": (k, ctx, args) =>
    k.chat(args, { pid: ctx.pid, requestId: ctx.requestId, onChunk: ctx.emit as ((c: ChatCompletionChunk) => void) | undefined }),
  // The shell (the user) may stop anything; a process only its own requests.
  "llm.interrupt": (k, ctx, args) => k.interrupt(field(args ?? {}, "requestId", isOptionalString, "a string"), ctx.pid === k.shellPid ? undefined : ctx.pid),
  "proc.spawn": (k, ctx, args) => k.spawn({ ...(typeof args === "object" && args !== null ? args : {}), owner: ctx.owner }),
  "proc.exit": (k, ctx) => k.kill(ctx.pid), // a process ends itself as a kill would end it
  "proc.kill": (k, _ctx, args) => k.kill(field(args, "pid", isInteger, "an integer")),
  "proc.ps": (k) => k.ps(),
  "models.list": (k) => k.listModels(),
  "models.load": (k, ctx, args) => k.loadModel(field(args, "id", isString, "a model id string"), ctx.emit as ((p: LoadProgress) => void) | undefined),
  "models.delete": (k, _ctx, args) => k.deleteModel(field(args, "id", isString, "a model id string")),
  "models.connect": async (k, _ctx, args) => {
    const baseUrl = field(args, "baseUrl", isString, "a string");
    const apiKey = field(args, "apiKey", isOptionalString, "a string");
    const continueFinalMessage = field(args, "continueFinalMessage", isOptionalBoolean, "a boolean");
    const source = await RemoteSource.connect({ baseUrl, apiKey, continueFinalMessage });
    k.addSource(source);
    return source.list();
  },
  // Files: each process reads and writes its app's namespace (its name).
  "storage.namespaces": async (k, ctx) => {
    const { files } = k.filesOf(ctx.pid);
    if (ctx.pid !== k.shellPid) throw new KernelError("EPERM", "only the shell may list every app's namespace");
    return Promise.all((await files.namespaces()).map(async ({ ns }) => ({ ns, ...(await files.usage(ns)) })));
  },
  "storage.write": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.write(ns, field(args, "path", isAny, ""), field(args, "content", isAny, ""), field(args, "meta", isAny, ""));
  },
  "storage.read": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid, field(args, "namespace", isOptionalString, "a string"));
    return files.read(ns, field(args, "path", isAny, ""), { version: field(args, "version", isAny, "") });
  },
  "storage.list": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid, field(args ?? {}, "namespace", isOptionalString, "a string"));
    return files.list(ns, field(args ?? {}, "prefix", isAny, ""));
  },
  "storage.versions": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.versions(ns, field(args, "path", isAny, ""));
  },
  "storage.rollback": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.rollback(ns, field(args, "path", isAny, ""), field(args, "version", isAny, ""));
  },
  "storage.remove": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.remove(ns, field(args, "path", isAny, ""));
  },
  "storage.search": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid, field(args, "namespace", isOptionalString, "a string"));
    const { k: top, mode, prefix } = field(args, "options", isOptionalObject, "an object like { k: 10, mode: \"hybrid\" }") ?? {};
    return files.search(ns, field(args, "query", isAny, ""), { k: top, mode, prefix } as never);
  },
  "storage.usage": (k, ctx) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.usage(ns);
  },
  // Export and import: a process its own namespace; the shell (the user) everything.
  "storage.export": (k, ctx) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.export(ctx.pid === k.shellPid ? undefined : ns);
  },
  "storage.import": (k, ctx, args) => {
    const { files, ns } = k.filesOf(ctx.pid);
    return files.import(field(args, "data", isAny, ""), { namespace: ctx.pid === k.shellPid ? undefined : ns });
  },
  // Memory: the process's managed conversation, core blocks, recall and archival memory.
  "memory.chat": (k, ctx, args) =>
    k.memory.chat(ctx.pid, field(args, "text", isAny, ""), { maxTokens: field(args, "max_tokens", isAny, ""), onChunk: ctx.emit as ((c: ChatCompletionChunk) => void) | undefined }),
  "memory.history": (k, ctx) => k.memory.history(ctx.pid),
  "memory.remember": (k, ctx, args) => k.memory.remember(ctx.pid, field(args, "text", isAny, ""), field(args, "meta", isAny, "")),
  "memory.recall": (k, ctx, args) => k.memory.recall(ctx.pid, field(args, "query", isAny, ""), field(args, "k", isAny, "") ?? 5),
  "memory.blocks.get": (k, ctx, args) => k.memory.getBlocks(ctx.pid, field(args ?? {}, "label", isAny, "")),
  "memory.blocks.set": (k, ctx, args) => k.memory.setBlock(ctx.pid, field(args, "label", isAny, ""), field(args, "value", isAny, ""), { limit: field(args, "limit", isAny, "") }),
  "embedders.list": (k) => k.listEmbedders(),
  "embedders.load": (k, ctx, args) => {
    if (ctx.pid !== k.shellPid) throw new KernelError("EPERM", "only the shell may change the embedding model");
    return k.loadEmbedder(field(args, "id", isString, "an embedding model id string"), ctx.emit as ((p: LoadProgress) => void) | undefined);
  },
  "kernel.info": (k) => k.info(),
  "kernel.stats": (k) => k.getStats(),
  "kernel.setPolicy": (k, ctx, args) => {
    if (ctx.pid !== k.shellPid) throw new KernelError("EPERM", "only the shell may change the scheduling policy");
    return k.setPolicy(args);
  },
} satisfies Record<string, Handler>;

export type SyscallName = keyof typeof SYSCALLS;

/** Dispatches one call. Unknown names are ENOSYS; calls from a dead or unknown pid are refused. */
export async function syscall(kernel: Kernel, name: unknown, ctx: SyscallContext, args?: unknown): Promise<unknown> {
  if (typeof name !== "string" || !Object.hasOwn(SYSCALLS, name)) {
    throw new KernelError("ENOSYS", `no system call ${String(name).slice(0, 80)}`);
  }
  kernel.procs.live(ctx.pid);
  return (SYSCALLS[name as SyscallName] as Handler)(kernel, ctx, args);
}
