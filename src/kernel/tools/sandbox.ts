/**
 * Where a `js` snippet runs. Two runners behind one signature:
 *
 * - `workerSandbox()` (browsers): each call runs in a dedicated Worker (workers/js-sandbox.worker.ts)
 *   that the caller can always kill: past `timeoutMs` + a grace (a VM wedged in a native built-in
 *   the interrupt handler never sees) or when the signal aborts, `worker.terminate()`. One idle
 *   worker is kept warm (its QuickJS module loaded) for the next call. Where `Worker` is missing or
 *   cannot be constructed it falls back to the inline runner (`isolation` says which is in use).
 * - `inlineSandbox()` (Node, fallback): QuickJS in the calling thread; the interrupt handler and
 *   the memory cap bound it, but a long native built-in cannot be preempted.
 */
import { KernelError } from "../errors.ts";
import type { QuickJsLimits, QuickJsResult } from "./quickjs.ts";

export type SandboxLimits = QuickJsLimits;
export type SandboxResult = QuickJsResult;

export interface SandboxRunner {
  (code: string, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxResult>;
  /** "worker" when calls run in a Worker the runner can terminate, "inline" when in this thread. */
  readonly isolation?: "worker" | "inline";
}

/** A message to the sandbox worker. */
export interface SandboxRequest {
  id: number;
  code: string;
  limits: SandboxLimits;
}

/** A message from the sandbox worker: `ready` once its QuickJS is loaded, then one reply per request. */
export type SandboxReply =
  | { ready: true; loadMs: number }
  | { id: number; ok: SandboxResult }
  | { id: number; error: { code: string; message: string } };

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new KernelError("EKILLED", "the js call was aborted");
}

/** Runs snippets in this thread. */
export function inlineSandbox(): SandboxRunner {
  const run = async (code: string, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxResult> => {
    if (signal.aborted) throw abortReason(signal);
    // Loaded on first use: a kernel whose snippets run in workers never bundles QuickJS itself.
    const { runQuickJs } = await import("./quickjs.ts");
    return runQuickJs(code, limits);
  };
  return Object.assign(run, { isolation: "inline" as const });
}

export interface WorkerSandboxOptions {
  /** Milliseconds past `timeoutMs` before a still-running worker is terminated (default 250). */
  graceMs?: number;
  /** Milliseconds a new worker may take to load its QuickJS module (default 10 000). */
  startMs?: number;
  /** Milliseconds an idle warm worker is kept (default 60 000). */
  idleMs?: number;
  /** Makes a worker (tests); default: workers/js-sandbox.worker.ts as a module worker. */
  createWorker?: () => Worker;
  /** Called once when the runner falls back to running inline, with why. */
  onFallback?: (reason: string) => void;
  /**
   * Run inline when no worker can be made (default true). False for workers relayed from a tab:
   * a tab that is gone now may be back for the next call, and inline is what the relay avoids.
   */
  fallbackInline?: boolean;
}

interface SandboxWorker {
  worker: Worker;
  ready: boolean;
  /** Resolves when the worker has loaded QuickJS; rejects if it failed to start. */
  started: Promise<void>;
  /** Called with the worker's messages while a call owns it. */
  onReply?: (reply: SandboxReply) => void;
  onCrash?: (message: string) => void;
  idleTimer?: ReturnType<typeof setTimeout>;
}

function defaultWorker(): Worker {
  return new Worker(new URL("../../../workers/js-sandbox.worker.ts", import.meta.url), { type: "module", name: "aios-js-sandbox" });
}

/** Runs each snippet in a dedicated Worker; falls back to `inlineSandbox()` where there are none. */
export function workerSandbox(options: WorkerSandboxOptions = {}): SandboxRunner {
  const graceMs = options.graceMs ?? 250;
  const startMs = options.startMs ?? 10_000;
  const idleMs = options.idleMs ?? 60_000;
  const createWorker = options.createWorker ?? defaultWorker;
  const inline = inlineSandbox();
  let fallback: string | undefined;
  let idle: SandboxWorker | undefined;
  let nextId = 1;
  /** Whether any worker of this runner has started: until one has, a failed start means no workers here. */
  let anyStarted = false;

  const fallbackInline = options.fallbackInline ?? true;
  /** Why the last worker could not be made (when not falling back inline). */
  let unavailable: string | undefined;
  const fallBack = (reason: string) => {
    if (!fallbackInline) {
      unavailable = reason;
      return;
    }
    if (fallback) return;
    fallback = reason;
    options.onFallback?.(reason);
  };
  // Chromium has no Worker inside a SharedWorker (where the kernel runs), nor does Node.
  if (typeof Worker === "undefined" && !options.createWorker) fallBack("this context has no Worker (e.g. a SharedWorker in Chromium, or Node)");

  const spawn = (): SandboxWorker | undefined => {
    let worker: Worker;
    try {
      worker = createWorker();
    } catch (error) {
      fallBack(`a Worker could not be created: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    let resolveStarted!: () => void;
    let rejectStarted!: (error: unknown) => void;
    const sandbox: SandboxWorker = { worker, ready: false, started: new Promise((resolve, reject) => ((resolveStarted = resolve), (rejectStarted = reject))) };
    sandbox.started.catch(() => {});
    worker.onmessage = (event: MessageEvent<SandboxReply>) => {
      const reply = event.data;
      if ("ready" in reply) {
        sandbox.ready = anyStarted = true;
        resolveStarted();
      } else sandbox.onReply?.(reply);
    };
    const crashed = (message: string) => {
      worker.terminate();
      clearTimeout(sandbox.idleTimer);
      if (idle === sandbox) idle = undefined;
      rejectStarted(new KernelError("EIO", `the js sandbox worker failed to start: ${message}`));
      sandbox.onCrash?.(message);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      crashed(event.message || "an error in the worker");
    };
    worker.onmessageerror = () => crashed("a message could not be read");
    return sandbox;
  };

  /** Keeps `sandbox` as the warm worker, or ends it if one is kept already. */
  const park = (sandbox: SandboxWorker) => {
    sandbox.onReply = sandbox.onCrash = undefined;
    if (idle) return sandbox.worker.terminate();
    idle = sandbox;
    sandbox.idleTimer = setTimeout(() => {
      if (idle === sandbox) idle = undefined;
      sandbox.worker.terminate();
    }, idleMs);
  };

  const take = (): SandboxWorker | undefined => {
    const warm = idle;
    if (!warm) return spawn();
    idle = undefined;
    clearTimeout(warm.idleTimer);
    return warm;
  };

  const run = async (code: string, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxResult> => {
    if (signal.aborted) throw abortReason(signal);
    const sandbox = fallback ? undefined : take();
    if (!sandbox && !fallbackInline) throw new KernelError("EIO", `the js sandbox is unavailable: ${unavailable ?? "no worker"}`);
    if (!sandbox) return inline(code, limits, signal);
    return new Promise<SandboxResult>((resolve, reject) => {
      const id = nextId++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (outcome: () => void, reusable: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (reusable) park(sandbox);
        else {
          sandbox.onReply = sandbox.onCrash = undefined;
          sandbox.worker.terminate();
          // Keep the next call warm: a worker killed mid-call is replaced at once.
          if (!idle && !fallback) {
            const next = spawn();
            if (next) park(next);
          }
        }
        outcome();
      };
      const onAbort = () => finish(() => reject(abortReason(signal)), false);
      signal.addEventListener("abort", onAbort, { once: true });
      sandbox.onReply = (reply) => {
        if (!("id" in reply) || reply.id !== id) return;
        if ("ok" in reply) finish(() => resolve(reply.ok), true);
        else finish(() => reject(new KernelError(reply.error.code as KernelError["code"], reply.error.message)), true);
      };
      sandbox.onCrash = (message) => {
        if (!sandbox.ready && !anyStarted && fallbackInline) {
          // No worker has ever started here (blocked or unsupported): run inline from now on.
          fallBack(`the js sandbox worker failed to start: ${message}`);
          return finish(() => resolve(inline(code, limits, signal)), false);
        }
        finish(() => reject(new KernelError("EIO", `the js sandbox crashed: ${message}`)), false);
      };
      // The kill timer runs from when the worker can start the VM: a cold worker first loads QuickJS.
      const armKill = () => {
        if (done) return;
        timer = setTimeout(() => finish(() => reject(new KernelError("ETIMEDOUT", `js ran over ${limits.timeoutMs} ms`)), false), limits.timeoutMs + graceMs);
      };
      if (sandbox.ready) armKill();
      else {
        timer = setTimeout(() => finish(() => reject(new KernelError("EIO", `the js sandbox worker did not start within ${startMs} ms`)), false), startMs);
        sandbox.started.then(() => {
          clearTimeout(timer);
          armKill();
        }, () => {});
      }
      sandbox.worker.postMessage({ id, code, limits } satisfies SandboxRequest);
    });
  };
  return Object.defineProperty(run, "isolation", { get: () => (fallback ? "inline" : "worker"), enumerable: true }) as SandboxRunner;
}
