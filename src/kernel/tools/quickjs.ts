/**
 * Runs a JavaScript snippet in QuickJS compiled to WebAssembly (quickjs-emscripten, the release
 * sync variant): a fresh runtime and context per call, with no host functions but a captured
 * `console` — no network, timers, DOM, storage, modules or anything else of the host.
 *
 * Bounds:
 * - time: an interrupt handler stops the VM at the deadline (ETIMEDOUT). QuickJS polls it only
 *   every ~10 000 calls/loop back-edges and never inside a native built-in, so a built-in walking
 *   a huge sparse length (`new Array(2**31).indexOf(1)`) or a loop of costly built-in calls
 *   (`for (;;) bigString.indexOf("y")`) runs on far past the deadline (minutes, measured): only a
 *   worker the caller can terminate bounds time absolutely (sandbox.ts).
 * - memory: the prebuilt wasm's `setMemoryLimit` counts allocations, not bytes (emscripten has no
 *   malloc_usable_size; quickjs-emscripten issues #255/#271), so it is set but cannot be relied on:
 *   the module's whole WebAssembly.Memory is capped instead at its initial 16 MiB plus
 *   `memoryBytes`, and running out is a QuickJS "out of memory" (EQUOTA). One module serves one
 *   call at a time (everything here is synchronous once loaded), so the cap is per call.
 * - stack: a QuickJS stack limit well under the host's own, so deep recursion is a RangeError-like
 *   InternalError in the VM instead of the host's stack overflowing inside wasm.
 * - output: the completion value as JSON at most `maxOutputChars`, console lines within what is
 *   left of the same budget.
 *
 * The wasm comes from our own origin in a browser (Vite emits the variant's .wasm as an asset:
 * the `?url` import) and from node_modules in Node (the variant's own loader). The module is
 * loaded once and reused; a module whose wasm trapped or aborted is dropped and loaded again.
 */
import { newQuickJSWASMModuleFromVariant, newVariant, type DisposableResult, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten-core";
import releaseSync from "@jitl/quickjs-wasmfile-release-sync";
import releaseSyncWasmUrl from "@jitl/quickjs-wasmfile-release-sync/wasm?url";
import { KernelError } from "../errors.ts";

export interface QuickJsLimits {
  /** Wall-clock milliseconds the snippet may run (ETIMEDOUT after). */
  timeoutMs: number;
  /** Bytes of heap the snippet may use (EQUOTA beyond). */
  memoryBytes: number;
  /** Characters of output: the value as JSON, then console lines in what is left. */
  maxOutputChars: number;
}

export interface QuickJsResult {
  /** The completion value, as JSON would carry it (`undefined` → null; functions → their source). */
  value: unknown;
  /** console.log/info/warn/error lines (warn and error prefixed), when there were any. */
  logs?: string[];
}

/**
 * QuickJS's own stack limit: ~740 plain recursive calls. The host's stack (wasm frames live on it)
 * overflowed at ~3× this in Node; 128 KiB was clean in Chromium's page, dedicated and shared workers.
 */
export const MAX_STACK_BYTES = 128 * 1024;
/** Console lines kept per call, and characters per line. */
export const MAX_LOG_LINES = 200;
const MAX_LOG_LINE_CHARS = 2000;
const PAGE = 64 * 1024;
/** The variant's INITIAL_MEMORY (16 MiB): static data, C stack and the first heap. */
const INITIAL_PAGES = 256;
/** wasm32 as this variant is built: at most 2 GiB. */
const MAX_PAGES = 32768;

export interface LoadedModule {
  module: QuickJSWASMModule;
  memory: WebAssembly.Memory;
  /** Its key in `modules`: the memory cap in wasm pages. */
  pages: number;
  /** Set once the wasm trapped or aborted: the module's heap can no longer be trusted. */
  broken: boolean;
}

const modules = new Map<number, Promise<LoadedModule>>();
const live = new Set<LoadedModule>();
const stats = { loads: 0, loadMs: 0, calls: 0, lastCallMs: 0, totalCallMs: 0 };

/**
 * This thread's QuickJS so far: module loads (the last one's time), calls (the last one's time
 * and the total), and the bytes of wasm memory its live modules hold (each at most 16 MiB +
 * its cap).
 */
export function quickJsStats(): typeof stats & { wasmMemoryBytes: number } {
  let wasmMemoryBytes = 0;
  for (const m of live) wasmMemoryBytes += m.memory.buffer.byteLength;
  return { ...stats, wasmMemoryBytes };
}

function pagesFor(memoryBytes: number): number {
  return Math.min(MAX_PAGES, INITIAL_PAGES + Math.ceil(Math.max(0, memoryBytes) / PAGE));
}

const inNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/**
 * Loads (once) the QuickJS module whose memory is capped for `memoryBytes`; a worker calls this
 * at start so its first call finds the module warm.
 */
export async function loadQuickJs(memoryBytes = 32 * 1024 * 1024): Promise<void> {
  await moduleFor(memoryBytes);
}

/** The loaded QuickJS module whose memory is capped for `memoryBytes` (shared by every caller in this thread with that cap). */
export function quickJsModule(memoryBytes: number): Promise<LoadedModule> {
  return moduleFor(memoryBytes);
}

function moduleFor(memoryBytes: number): Promise<LoadedModule> {
  const pages = pagesFor(memoryBytes);
  let loading = modules.get(pages);
  if (!loading) {
    loading = (async () => {
      const started = performance.now();
      const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: pages });
      // Node: the variant finds its .wasm next to itself in node_modules. Browser: the asset Vite
      // emitted into our build, on our origin.
      const variant = inNode
        ? newVariant(releaseSync, { wasmMemory: memory })
        : newVariant(releaseSync, { wasmMemory: memory, wasmLocation: new URL(releaseSyncWasmUrl, globalThis.location?.href ?? import.meta.url).href });
      const module = await newQuickJSWASMModuleFromVariant(variant);
      stats.loads++;
      stats.loadMs = performance.now() - started;
      const loaded: LoadedModule = { module, memory, pages, broken: false };
      live.add(loaded);
      return loaded;
    })();
    modules.set(pages, loading);
    loading.catch(() => modules.delete(pages));
  }
  return loading;
}

/** Never use this module again: its wasm trapped or aborted. */
export function forget(loaded: LoadedModule): void {
  if (loaded.broken) return;
  loaded.broken = true;
  modules.delete(loaded.pages);
  live.delete(loaded);
}

// Created in the VM before the snippet runs, so the snippet cannot see or replace them.
const CONSOLE_SETUP = `(function (emit) {
  "use strict";
  const stringify = JSON.stringify, S = String, max = ${MAX_LOG_LINE_CHARS};
  const fmt = (v) => {
    if (typeof v === "string") return v;
    if (v === undefined || typeof v === "function" || typeof v === "symbol" || typeof v === "bigint") return S(v);
    try { const s = stringify(v); if (typeof s === "string") return s; } catch {}
    try { return S(v); } catch { return "[value]"; }
  };
  const line = (level) => function (...args) {
    let text = "";
    for (let i = 0; i < args.length && text.length <= max; i++) text += (i ? " " : "") + fmt(args[i]);
    emit(level, text.length > max ? text.slice(0, max) + "…" : text);
  };
  const console = { log: line("log"), info: line("log"), debug: line("log"), warn: line("warn"), error: line("error") };
  Object.defineProperty(globalThis, "console", { value: console, writable: true, configurable: true, enumerable: false });
})`;

const TO_JSON = `(function () {
  "use strict";
  const stringify = JSON.stringify, S = String, finite = Number.isFinite;
  return function (v) {
    const t = typeof v;
    if (v === undefined) return "null";
    if (t === "function" || t === "symbol" || t === "bigint" || (t === "number" && !finite(v))) return stringify(S(v));
    try { const s = stringify(v); if (typeof s === "string") return s; } catch {}
    try { return stringify(S(v)); } catch { return '"[unserializable value]"'; }
  };
})()`;

/**
 * Evaluates `code` as a script in a fresh QuickJS runtime; resolves its completion value (a
 * promise is settled first: its jobs run, nothing else can settle it). Throws KernelError:
 * EINVAL (syntax error or uncaught exception, with its name and message), ETIMEDOUT, EQUOTA, or
 * EIO when the wasm itself failed.
 */
export async function runQuickJs(code: string, limits: QuickJsLimits): Promise<QuickJsResult> {
  let loaded = await moduleFor(limits.memoryBytes);
  if (loaded.broken) loaded = await moduleFor(limits.memoryBytes);
  const started = performance.now();
  try {
    return runLoaded(loaded, code, limits);
  } finally {
    const ms = performance.now() - started;
    stats.calls++;
    stats.lastCallMs = ms;
    stats.totalCallMs += ms;
  }
}

class Logs {
  readonly lines: string[] = [];
  chars = 0;
  dropped = 0;
  constructor(private readonly maxChars: number) {}
  push(level: string, text: string): void {
    const line = (level === "log" ? "" : `${level}: `) + text;
    if (this.lines.length >= MAX_LOG_LINES || this.chars + line.length > this.maxChars) this.dropped++;
    else {
      this.lines.push(line);
      this.chars += line.length;
    }
  }
  /** The lines that fit in `budget` characters, with a note of what was left out. */
  within(budget: number): string[] | undefined {
    const kept: string[] = [];
    let chars = 0;
    for (const line of this.lines) {
      if (chars + line.length > budget) break;
      kept.push(line);
      chars += line.length;
    }
    const dropped = this.dropped + this.lines.length - kept.length;
    if (dropped > 0) kept.push(`… ${dropped} more console line${dropped === 1 ? "" : "s"} left out (output limit)`);
    return kept.length ? kept : undefined;
  }
}

function runLoaded(loaded: LoadedModule, code: string, limits: QuickJsLimits): QuickJsResult {
  const { module } = loaded;
  const deadline = performance.now() + limits.timeoutMs;
  const timedOut = () => performance.now() >= deadline;
  const logs = new Logs(limits.maxOutputChars);
  const handles: QuickJSHandle[] = [];
  const keep = (h: QuickJSHandle) => (handles.push(h), h);
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  let wasmFailed = false;
  try {
    runtime = module.newRuntime();
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(timedOut);
    context = runtime.newContext();
    const ctx = context;
    const rt = runtime;

    const fail = (error: QuickJSHandle): never => {
      keep(error);
      throw describeFailure(ctx, error, limits, timedOut);
    };
    const ok = (result: DisposableResult<QuickJSHandle, QuickJSHandle>): QuickJSHandle => (result.error ? fail(result.error) : keep(result.value));

    // The sandbox's one host function: console output, kept within bounds.
    const emit = keep(
      ctx.newFunction("emit", (level, text) => {
        if (ctx.typeof(level) === "string" && ctx.typeof(text) === "string") logs.push(ctx.getString(level), ctx.getString(text));
      }),
    );
    ok(ctx.callFunction(ok(ctx.evalCode(CONSOLE_SETUP, "aios:console.js")), ctx.undefined, emit));
    const toJson = ok(ctx.evalCode(TO_JSON, "aios:json.js"));

    let value = ok(ctx.evalCode(code, "snippet.js", { type: "global" }));

    // Settle a promise (an async IIFE, import(), …): run its jobs; no timer or I/O can settle it later.
    const jobs = rt.executePendingJobs();
    if (jobs.error) fail(jobs.error);
    if (timedOut()) throw new KernelError("ETIMEDOUT", `js ran over ${limits.timeoutMs} ms`);
    const state = ctx.getPromiseState(value);
    if (state.type === "pending") throw new KernelError("EINVAL", "the snippet's promise never settled (the sandbox has no timers or I/O)");
    if (state.type === "rejected") fail(state.error);
    if (state.type === "fulfilled" && state.value !== value) value = keep(state.value);

    const json = ctx.getString(ok(ctx.callFunction(toJson, ctx.undefined, value)));

    if (json.length > limits.maxOutputChars) {
      const text = `${json.slice(0, limits.maxOutputChars)}… [truncated: the value was ${json.length} characters of JSON]`;
      const lines = logs.within(0);
      return lines ? { value: text, logs: lines } : { value: text };
    }
    const result = JSON.parse(json) as unknown;
    const lines = logs.within(limits.maxOutputChars - json.length);
    return lines ? { value: result, logs: lines } : { value: result };
  } catch (error) {
    if (error instanceof KernelError) throw error;
    // Not the VM's exception but the host's: the wasm trapped, aborted or overflowed the host's
    // stack. Its heap is suspect: drop the module (the next call loads a fresh one).
    wasmFailed = true;
    forget(loaded);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (timedOut()) throw new KernelError("ETIMEDOUT", `js ran over ${limits.timeoutMs} ms`, { cause: error });
    throw new KernelError("EIO", `js sandbox failed: ${message}`, { cause: error });
  } finally {
    if (!wasmFailed) {
      try {
        for (const h of handles.reverse()) if (h.alive) h.dispose();
        context?.dispose();
        runtime?.dispose();
      } catch {
        forget(loaded); // an assertion in JS_FreeRuntime: never reuse this module
      }
    }
  }
}

function mb(bytes: number): string {
  return String(Math.round((bytes / 2 ** 20) * 10) / 10);
}

/** The VM's exception as a KernelError; reads it from the host side (getters are still bounded by the interrupt). */
export function describeFailure(ctx: QuickJSContext, error: QuickJSHandle, limits: QuickJsLimits, timedOut: () => boolean): KernelError {
  const timeout = () => new KernelError("ETIMEDOUT", `js ran over ${limits.timeoutMs} ms`);
  const oom = () => new KernelError("EQUOTA", `js used more than ${mb(limits.memoryBytes)} MB`);
  if (timedOut()) return timeout();
  let text: string;
  try {
    const type = ctx.typeof(error);
    if (type === "object" && ctx.sameValue(error, ctx.null)) {
      // QuickJS throws null when it could not even allocate its "out of memory" error.
      return probeOutOfMemory(ctx) ? oom() : new KernelError("EINVAL", "Uncaught null");
    }
    const message = type === "object" ? stringProp(ctx, error, "message") : undefined;
    if (message !== undefined) {
      const name = stringProp(ctx, error, "name") ?? "Error";
      if (name === "InternalError" && message === "out of memory") return oom();
      if (name === "InternalError" && message === "interrupted") return timeout();
      // QuickJS's own cap on a string (2^30 - 1 characters), reached by doubling a rope string.
      if (name === "InternalError" && message === "string too long") return new KernelError("EQUOTA", "js made a string longer than the sandbox allows (2^30 - 1 characters)");
      const at = /(?:snippet|app)\.js:(\d+):(\d+)/.exec(stringProp(ctx, error, "stack") ?? "");
      text = `${name}: ${clip(message, 1000)}${at ? ` (line ${at[1]}, column ${at[2]})` : ""}`;
    } else {
      const dumped = ctx.dump(error) as unknown;
      text = `Uncaught ${clip(typeof dumped === "string" ? dumped : (JSON.stringify(dumped) ?? String(dumped)), 1000)}`;
    }
  } catch {
    if (timedOut()) return timeout();
    return probeOutOfMemory(ctx) ? oom() : new KernelError("EINVAL", "Uncaught exception (it could not be read)");
  }
  return timedOut() ? timeout() : new KernelError("EINVAL", text);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function stringProp(ctx: QuickJSContext, object: QuickJSHandle, key: string): string | undefined {
  const h = ctx.getProp(object, key);
  try {
    return ctx.typeof(h) === "string" ? ctx.getString(h) : undefined;
  } finally {
    h.dispose();
  }
}

/** True when the VM cannot allocate even 64 KiB more. */
function probeOutOfMemory(ctx: QuickJSContext): boolean {
  try {
    const r = ctx.evalCode("new ArrayBuffer(65536).byteLength", "aios:probe.js");
    if (r.error) return r.error.dispose(), true;
    r.value.dispose();
    return false;
  } catch {
    return true;
  }
}
