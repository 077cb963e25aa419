/**
 * A code app's virtual machine: QuickJS (WebAssembly) running the app's ES module with one global,
 * `aios` (the SDK, src/sdk/sdk.ts), and `console`. Nothing of the host is reachable: no DOM,
 * network, storage, timers, workers or module loading — only the calls `host.call` carries, which
 * the kernel runs as the app's process (and checks like any process's call).
 *
 * The module's default export is called with the launch input; what it resolves to is the app's
 * result, as JSON. The VM runs only in slices (evaluating, calling main, running promise jobs
 * after a host call settles); `host.busy` says when a slice starts and ends, so the kernel can
 * terminate a worker whose slice never ends (QuickJS's interrupt is not polled inside native
 * built-ins). Within a slice the interrupt handler stops ordinary endless loops at `sliceMs`.
 *
 * Bounds: memory (the module's WebAssembly.Memory is capped: quickjs.ts), stack, a slice's time,
 * the result's size, console lines. Every failure is a KernelError: the app's own uncaught error
 * keeps its `code` when it is a kernel code (an SDK call's error rethrown), else EINVAL.
 */
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle } from "quickjs-emscripten-core";
import { KernelError, toKernelError, type ErrorCode } from "../errors.ts";
import { describeFailure, forget, MAX_STACK_BYTES, quickJsModule } from "../tools/quickjs.ts";
import { createSdk } from "../../sdk/sdk.ts";

export interface AppVmHost {
  /** One SDK call as the app's process (or, with `as`, a process it spawned). */
  call(name: string, args: unknown, as?: number): Promise<unknown>;
  log(level: "log" | "warn" | "error", text: string): void;
  /** The VM starts (true) or ends (false) a synchronous slice. */
  busy(running: boolean): void;
}

export interface AppVmLimits {
  /** Bytes of heap (the WebAssembly memory cap). */
  memoryBytes: number;
  /** Milliseconds one synchronous slice may run. */
  sliceMs: number;
  /** Characters of the result's JSON. */
  maxOutputChars: number;
}

export const DEFAULT_APP_LIMITS: AppVmLimits = { memoryBytes: 64 * 1024 * 1024, sliceMs: 2000, maxOutputChars: 100_000 };
const MAX_LOG_CHARS = 2000;

// Runs first, in the VM: builds `aios` from the SDK's own source and a `console`, then hides the
// host functions. Everything it defines is frozen: the app cannot swap the SDK's plumbing.
const PRELUDE = `(function (hostCall, hostLog, createSdk) {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, S = String;
  const call = (name, args, as) => hostCall(name, stringify(args === undefined ? {} : args), as === undefined ? 0 : as).then((text) => parse(text));
  const freeze = (o) => { if (o && typeof o === "object" || typeof o === "function") { Object.freeze(o); for (const k of Object.keys(o)) freeze(o[k]); } return o; };
  Object.defineProperty(globalThis, "aios", { value: freeze(createSdk(call)), enumerable: false, writable: false, configurable: false });
  const fmt = (v) => { if (typeof v === "string") return v; try { const s = stringify(v); if (typeof s === "string") return s; } catch {} return S(v); };
  const line = (level) => (...args) => hostLog(level, args.map(fmt).join(" ").slice(0, ${MAX_LOG_CHARS}));
  Object.defineProperty(globalThis, "console", { value: freeze({ log: line("log"), info: line("log"), debug: line("log"), warn: line("warn"), error: line("error") }), enumerable: false, writable: true, configurable: true });
})`;

const TO_JSON = `(function (v) {
  "use strict";
  if (v === undefined) return "null";
  try { const s = JSON.stringify(v); if (typeof s === "string") return s; } catch {}
  return JSON.stringify(String(v));
})`;

/** Runs the app's module to the end of its default export; resolves its result (JSON-safe). */
export async function runAppVm(source: string, input: unknown, host: AppVmHost, limits: AppVmLimits = DEFAULT_APP_LIMITS): Promise<unknown> {
  const loaded = await quickJsModule(limits.memoryBytes);
  const runtime = loaded.module.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(MAX_STACK_BYTES);
  let sliceStarted = 0;
  runtime.setInterruptHandler(() => sliceStarted > 0 && performance.now() - sliceStarted > limits.sliceMs);
  const ctx = runtime.newContext();
  const handles: QuickJSHandle[] = [];
  const keep = (h: QuickJSHandle) => (handles.push(h), h);
  const pending = new Set<QuickJSDeferredPromise>();
  let closed = false;
  let wasmFailed = false;
  const vmLimits = { timeoutMs: limits.sliceMs, memoryBytes: limits.memoryBytes, maxOutputChars: limits.maxOutputChars };

  // A slice of synchronous VM work, timed for the watchdog and the interrupt handler.
  const slice = <T>(work: () => T): T => {
    sliceStarted = performance.now();
    host.busy(true);
    try {
      return work();
    } finally {
      sliceStarted = 0;
      host.busy(false);
    }
  };
  const failure = (error: QuickJSHandle): KernelError => {
    keep(error);
    const code = ctx.typeof(error) === "object" ? ctx.getProp(error, "code") : undefined;
    try {
      const own = code && ctx.typeof(code) === "string" ? ctx.getString(code) : undefined;
      if (own && /^E[A-Z]{2,12}$/.test(own)) {
        const message = ctx.getProp(error, "message");
        const text = ctx.typeof(message) === "string" ? ctx.getString(message) : own;
        message.dispose();
        return toKernelError(Object.assign(new Error(text), { code: own as ErrorCode }));
      }
    } finally {
      code?.dispose();
    }
    const e = describeFailure(ctx, error, vmLimits, () => false);
    if (e.code === "ETIMEDOUT") return new KernelError("ETIMEDOUT", `the app ran over ${limits.sliceMs} ms without yielding (an endless loop?) and was stopped`);
    if (e.code === "EQUOTA" && /MB/.test(e.message)) return new KernelError("EQUOTA", `the app used more than its ${Math.round(limits.memoryBytes / 2 ** 20)} MB of memory and was stopped`);
    return e;
  };
  const ok = <T extends { error?: QuickJSHandle; value?: QuickJSHandle }>(result: T): QuickJSHandle => {
    if (result.error) throw failure(result.error);
    return keep(result.value!);
  };

  let fatal: KernelError | undefined;
  let wake: (() => void) | undefined;
  /** Runs the jobs a settled host call queued (the app's awaits continue). */
  const pump = () => {
    if (closed) return;
    try {
      const r = slice(() => runtime.executePendingJobs());
      if (r.error) fatal ??= failure(r.error);
    } catch (error) {
      fatal ??= toKernelError(error, "EIO");
    }
    wake?.();
  };

  try {
    const hostCall = keep(
      ctx.newFunction("hostCall", (nameH, argsH, asH) => {
        const deferred = ctx.newPromise();
        pending.add(deferred);
        const name = ctx.getString(nameH);
        const as = ctx.getNumber(asH);
        let args: unknown;
        try {
          args = JSON.parse(ctx.getString(argsH));
        } catch {
          args = undefined;
        }
        host.call(name, args, as > 0 ? as : undefined).then(
          (value) => {
            if (closed) return;
            const text = ctx.newString(JSON.stringify(value ?? null));
            deferred.resolve(text);
            text.dispose();
            pending.delete(deferred);
            deferred.dispose();
            pump();
          },
          (error: unknown) => {
            if (closed) return;
            const e = toKernelError(error);
            const handle = ctx.newError({ name: "KernelError", message: e.message });
            const code = ctx.newString(e.code);
            ctx.setProp(handle, "code", code);
            code.dispose();
            deferred.reject(handle);
            handle.dispose();
            pending.delete(deferred);
            deferred.dispose();
            pump();
          },
        );
        return deferred.handle;
      }),
    );
    const hostLog = keep(
      ctx.newFunction("hostLog", (levelH, textH) => {
        const level = ctx.getString(levelH);
        host.log(level === "warn" || level === "error" ? level : "log", ctx.getString(textH).slice(0, MAX_LOG_CHARS));
      }),
    );
    const sdkFactory = ok(ctx.evalCode(`(${createSdk.toString()})`, "aios:sdk.js", { type: "global" }));
    slice(() => ok(ctx.callFunction(ok(ctx.evalCode(PRELUDE, "aios:prelude.js", { type: "global" })), ctx.undefined, hostCall, hostLog, sdkFactory)));
    const toJson = ok(ctx.evalCode(TO_JSON, "aios:json.js", { type: "global" }));

    // The module: its exports (a promise of them with top-level await).
    let exports = slice(() => ok(ctx.evalCode(source, "app.js", { type: "module" })));
    pump();
    if (fatal) throw fatal;
    exports = await settle(ctx, exports, keep, () => fatal, (w) => (wake = w), () => pending.size, failure);
    const main = keep(ctx.getProp(exports, "default"));
    if (ctx.typeof(main) !== "function") throw new KernelError("EINVAL", "the app's module must `export default` a function (it is called with the launch input)");
    const inputHandle = keep(ctx.evalCode(`(${JSON.stringify(input ?? null)})`, "aios:input.js", { type: "global" }).unwrap());
    const returned = slice(() => ok(ctx.callFunction(main, ctx.undefined, inputHandle, keep(ctx.getProp(ctx.global, "aios")))));
    pump();
    if (fatal) throw fatal;
    const value = await settle(ctx, returned, keep, () => fatal, (w) => (wake = w), () => pending.size, failure);
    const json = ctx.getString(ok(ctx.callFunction(toJson, ctx.undefined, value)));
    if (json.length > limits.maxOutputChars) throw new KernelError("EQUOTA", `the app's result is ${json.length} characters of JSON, over the ${limits.maxOutputChars} allowed`);
    return JSON.parse(json) as unknown;
  } catch (error) {
    if (error instanceof KernelError) throw error;
    // The host's exception, not the VM's: the wasm trapped or aborted; never reuse the module.
    wasmFailed = true;
    forget(loaded);
    throw new KernelError("EIO", `the app's sandbox failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  } finally {
    closed = true;
    if (!wasmFailed) {
      try {
        for (const d of pending) if (d.alive) d.dispose();
        for (const h of handles.reverse()) if (h.alive) h.dispose();
        ctx.dispose();
        runtime.dispose();
      } catch {
        forget(loaded);
      }
    }
  }
}

/**
 * Waits for a VM promise to settle: host calls settle it (each `pump` runs its jobs). With no host
 * call in flight and the promise still pending, nothing can ever settle it (no timers): EINVAL.
 */
async function settle(
  ctx: QuickJSContext,
  handle: QuickJSHandle,
  keep: (h: QuickJSHandle) => QuickJSHandle,
  fatal: () => KernelError | undefined,
  onWake: (wake: () => void) => void,
  inFlight: () => number,
  failure: (error: QuickJSHandle) => KernelError,
): Promise<QuickJSHandle> {
  for (;;) {
    const problem = fatal();
    if (problem) throw problem;
    const state = ctx.getPromiseState(handle);
    if (state.type === "fulfilled") return state.value === handle ? handle : keep(state.value);
    if (state.type === "rejected") throw failure(state.error);
    if (inFlight() === 0) throw new KernelError("EINVAL", "the app's promise never settled: it waits for nothing the sandbox can deliver (there are no timers or events)");
    await new Promise<void>((resolve) => onWake(resolve));
  }
}
