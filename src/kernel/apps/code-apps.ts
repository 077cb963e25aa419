/**
 * Code apps: each launch runs the app's module in a QuickJS VM (app-vm.ts) inside a worker the
 * kernel can terminate (in the browser a dedicated Worker, relayed through a tab where the kernel is
 * a SharedWorker; inline only in Node). The worker's one way out is this runner: every SDK call it
 * sends is dispatched as the app's process — identity comes from which worker sent it, never from
 * the message — and only the SDK's calls are accepted.
 *
 * Protocol (kernel → worker): { op: "start", source, input, limits }, { op: "reply", id, ok | error }.
 * (worker → kernel): { op: "ready" }, { op: "call", id, name, args, as? }, { op: "log", level, text },
 * { op: "busy", running }, { op: "exit", ok | error }.
 *
 * Invariants: one worker per running app; it is terminated when the app ends, is killed, or runs a
 * slice past `sliceMs` + `graceMs` (a runaway: the process ends with ETIMEDOUT and a reason the
 * user is shown); a worker that crashes ends its app with EIO. Nothing the app sends can outlive it.
 */
import { KernelError, toKernelError } from "../errors.ts";
import { SDK_CALLS } from "../../sdk/sdk.ts";
import { DEFAULT_APP_LIMITS, type AppVmLimits } from "./app-vm.ts";

/** The part of a Worker the runner uses (a real Worker, a tab-relayed one, or an inline stand-in). */
export interface AppWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

export type AppWorkerCommand = { op: "start"; source: string; input: unknown; limits: AppVmLimits } | { op: "reply"; id: number; ok?: unknown; error?: { code: string; message: string } };
export type AppWorkerEvent =
  | { op: "ready" }
  | { op: "call"; id: number; name: string; args: unknown; as?: number }
  | { op: "log"; level: "log" | "warn" | "error"; text: string }
  | { op: "busy"; running: boolean }
  | { op: "exit"; ok?: unknown; error?: { code: string; message: string } };

export interface CodeAppsOptions {
  /** A fresh worker for one app (`owner`: the tab that launched it, to host it where possible). */
  createWorker(owner?: string): AppWorker;
  /** Runs one SDK call as `pid` (or as `as`, a process `pid` spawned). */
  dispatch(pid: number, name: string, args: unknown, as?: number): Promise<unknown>;
  limits?: Partial<AppVmLimits>;
  /** Past a slice's `sliceMs`, how long before the worker is terminated (default 1000). */
  graceMs?: number;
  /** How long a worker may take to load QuickJS (default 15 000). */
  startMs?: number;
}

export interface AppRun {
  /** The app's result, or its failure as a KernelError. */
  done: Promise<unknown>;
  /** Console lines (the last 200). */
  logs: string[];
  /** Milliseconds from start until the VM was ready. */
  startMs?: number;
}

const SDK = new Set<string>(SDK_CALLS);
/** SDK calls one app may have in flight at once; more are EQUOTA (a flood cannot queue unbounded work). */
export const MAX_CALLS_IN_FLIGHT = 64;
const MAX_LOGS = 200;

export class CodeApps {
  private readonly running = new Map<number, (reason: KernelError) => void>();
  readonly limits: AppVmLimits;

  constructor(private readonly options: CodeAppsOptions) {
    this.limits = { ...DEFAULT_APP_LIMITS, ...options.limits };
  }

  /** Starts `source` as process `pid`; `done` settles when it ends (or is stopped). */
  run(pid: number, owner: string | undefined, source: string, input: unknown): AppRun {
    if (this.running.has(pid)) throw new KernelError("EBUSY", `pid ${pid} already runs an app`);
    const graceMs = this.options.graceMs ?? 1000;
    const startMs = this.options.startMs ?? 15_000;
    const logs: string[] = [];
    const run: AppRun = { logs, done: Promise.resolve() };
    const began = performance.now();
    let worker: AppWorker;
    try {
      worker = this.options.createWorker(owner);
    } catch (error) {
      run.done = Promise.reject(new KernelError("EIO", `the app's sandbox could not start: ${(error as Error).message}`));
      return run;
    }
    run.done = new Promise<unknown>((resolve, reject) => {
      let ended = false;
      let inFlight = 0;
      let watchdog: ReturnType<typeof setTimeout> | undefined = setTimeout(() => stop(new KernelError("EIO", `the app's sandbox did not start within ${startMs} ms`)), startMs);
      const finish = (outcome: () => void) => {
        if (ended) return;
        ended = true;
        clearTimeout(watchdog);
        this.running.delete(pid);
        worker.onmessage = worker.onerror = null;
        worker.terminate();
        outcome();
      };
      const stop = (reason: KernelError) => finish(() => reject(reason));
      this.running.set(pid, stop);
      worker.onerror = (event) => {
        event.preventDefault?.();
        stop(new KernelError("EIO", `the app's sandbox crashed: ${event.message || "an error in its worker"}`));
      };
      worker.onmessage = (event) => {
        const m = event.data as AppWorkerEvent;
        if (ended || typeof m !== "object" || m === null) return;
        if (m.op === "ready") {
          clearTimeout(watchdog);
          watchdog = undefined;
          run.startMs = performance.now() - began;
        } else if (m.op === "busy") {
          clearTimeout(watchdog);
          watchdog = m.running ? setTimeout(() => stop(new KernelError("ETIMEDOUT", `the app ran over ${this.limits.sliceMs} ms without yielding (an endless loop?) and was stopped`)), this.limits.sliceMs + graceMs) : undefined;
        } else if (m.op === "log") {
          logs.push(`${m.level === "log" ? "" : `${m.level}: `}${String(m.text).slice(0, 2000)}`);
          if (logs.length > MAX_LOGS) logs.shift();
        } else if (m.op === "call") {
          const reply = (outcome: { ok?: unknown; error?: { code: string; message: string } }) => {
            if (!ended) worker.postMessage({ op: "reply", id: m.id, ...outcome } satisfies AppWorkerCommand);
          };
          const name = String(m.name);
          const attempt =
            inFlight >= MAX_CALLS_IN_FLIGHT
              ? Promise.reject(new KernelError("EQUOTA", `at most ${MAX_CALLS_IN_FLIGHT} calls of an app in flight at once`))
              : SDK.has(name)
                ? this.options.dispatch(pid, name, m.args, typeof m.as === "number" ? m.as : undefined)
                : Promise.reject(new KernelError("ENOSYS", `${name.slice(0, 64)} is not an SDK call`));
          inFlight++;
          attempt.finally(() => inFlight--).catch(() => undefined);
          attempt.then(
            (ok) => reply({ ok }),
            (error: unknown) => {
              const e = toKernelError(error);
              reply({ error: { code: e.code, message: e.message } });
            },
          );
        } else if (m.op === "exit") {
          if (m.error) stop(toKernelError(Object.assign(new Error(m.error.message), { code: m.error.code })));
          else finish(() => resolve(m.ok));
        }
      };
      worker.postMessage({ op: "start", source, input, limits: this.limits } satisfies AppWorkerCommand);
    });
    run.done.catch(() => undefined);
    return run;
  }

  /** Stops the app running as `pid` (killed): its worker is terminated at once. */
  stop(pid: number, reason: KernelError): boolean {
    const stop = this.running.get(pid);
    stop?.(reason);
    return stop !== undefined;
  }

  /** Apps running now. */
  count(): number {
    return this.running.size;
  }
}
