/**
 * The kernel's transport in a worker: boot (engine choice from the browser's capabilities, the
 * file system, the access store, the tools) and the ports the kernel hands out.
 *
 * Identity comes from the channel: a page's own connection (a SharedWorker port) acts as the
 * shell, pid 1 — the user; every process the kernel spawns gets a MessagePort of its own, and a
 * call on it acts as that process and nothing else. No message names its caller. Each port is
 * guarded (`guard.ts`): only the declared entry points, with plain arguments.
 */
import * as Comlink from "comlink";
import { IndexedDBAccessStore } from "../kernel/access-db.ts";
import { AccessManager } from "../kernel/access.ts";
import { IndexedDBAppStore } from "../kernel/apps/apps-db.ts";
import { BUNDLED_APPS } from "../kernel/apps/bundled.ts";
import { TransformersSource } from "../kernel/engines/transformers-source.ts";
import { WebLLMSource } from "../kernel/engines/webllm.ts";
import { KernelError } from "../kernel/errors.ts";
import { EMBEDDERS, isEmbedderCached, loadTransformersEmbedder, type TransformersEmbedderOptions } from "../kernel/embedders/transformers.ts";
import { Kernel, type EmbedderSource, type KernelInfo } from "../kernel/kernel.ts";
import { detectGpu, type GpuCapabilities } from "../kernel/models.ts";
import type { ProcessInfo } from "../kernel/process.ts";
import { sdkDispatch, syscall } from "../kernel/syscalls.ts";
import { CodeApps, type AppWorker } from "../kernel/apps/code-apps.ts";
import { FileStore } from "../kernel/storage/files.ts";
import { DeviceHosts } from "../kernel/devices.ts";
import { deviceTools } from "../kernel/tools/devices.ts";
import { createJsTool } from "../kernel/tools/js.ts";
import { libraryTools } from "../kernel/tools/library.ts";
import { workerSandbox } from "../kernel/tools/sandbox.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";
import { guardEndpoint } from "./guard.ts";
import { WorkerHosts } from "./worker-relay.ts";

export interface BootOptions {
  /** Page origin + base path, where /models/ is served. */
  baseUrl: string;
  /**
   * Force a device for the embedded model. Default: webgpu on a hardware adapter, else wasm — a
   * software adapter (SwiftShader) decodes the embedded model ~70x slower than wasm (npm run bench).
   */
  device?: "webgpu" | "wasm";
  /** The model to boot with; if it cannot load, the embedded model boots and `fallback` says why. */
  model?: string;
}

export interface BootInfo extends KernelInfo {
  gpu: GpuCapabilities;
  /** The shell's process, which the page's own connection acts as. */
  shellPid: number;
  /** Set when the requested model could not load and the embedded one booted instead. */
  fallback?: { model: string; reason: string };
  /**
   * Where the boot's time went, in ms: since the kernel worker started (its time origin) to boot's
   * first step, detecting the GPU, opening the stores (access decisions and files, in parallel
   * with the model), loading the model, and boot in all.
   */
  bootMs: { workerToBoot: number; gpu: number; stores: number; model: number; total: number };
}

export const DEFAULT_MODEL = "aios-tiny";
export const DEFAULT_EMBEDDER = "aios-embed";

/** A spawned process's handle as it crosses to the page: its info and its own port. */
export type SpawnedProcess = ProcessInfo & { port: MessagePort };

/** The entry points of a page's (the shell's) connection, and which argument may be a callback. */
export const SHELL_ENTRY_POINTS = { boot: [], attach: [], info: [], call: [2] } as const;
/** The entry points of a process's port. */
export const PROCESS_ENTRY_POINTS = { call: [2] } as const;

/** Transformers.js's embedding models: the embedded one and real encoders downloaded on demand. */
function embedderSource(options: TransformersEmbedderOptions): EmbedderSource {
  return {
    list: async () =>
      Promise.all(
        EMBEDDERS.map(async (e) => ({ id: e.id, label: e.label, dim: e.dim, embedded: e.source === "embedded", cached: await isEmbedderCached(e), downloadMB: e.downloadMB })),
      ),
    load: (id, onProgress) => loadTransformersEmbedder(id, options, onProgress),
  };
}

export interface CallOptions {
  /** Names the request for llm.interrupt (unique per process). */
  requestId?: string;
}

export function createKernelHost() {
  let kernel: Kernel | null = null;
  let booting: Promise<BootInfo> | null = null;
  let gpu: GpuCapabilities = { webgpu: false, shaderF16: false, software: false };
  let fallback: BootInfo["fallback"];
  /** Tabs that host the js sandbox's workers (a SharedWorker has no Worker of its own in Chromium). */
  const workerHosts = new WorkerHosts();
  /** Tabs that serve the browser's devices (geolocation, camera, clipboard, …). */
  const deviceHosts = new DeviceHosts();
  const need = (): Kernel => {
    if (!kernel) throw new KernelError("ENOTREADY", "the kernel has not booted");
    return kernel;
  };
  const bootMs: BootInfo["bootMs"] = { workerToBoot: 0, gpu: 0, stores: 0, model: 0, total: 0 };
  const bootInfo = (): BootInfo => ({ ...need().kernelInfo(), gpu, shellPid: need().shellPid, bootMs, ...(fallback ? { fallback } : {}) });

  async function boot(options: BootOptions): Promise<BootInfo> {
    const started = performance.now();
    const timed = async <T>(phase: "gpu" | "stores" | "model", work: Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await work;
      } finally {
        bootMs[phase] = performance.now() - t;
      }
    };
    // The stores open while the GPU is probed and the model loads; both are ready before `ready`.
    // Without IndexedDB (some private modes) decisions live in memory: the OS still boots.
    const accessStore = IndexedDBAccessStore.open().catch(() => undefined);
    const appStore = IndexedDBAppStore.open().catch(() => undefined);
    const files = FileStore.open().then(
      (store) => ({ store }),
      (error: Error) => ({ error }),
    );
    gpu = await timed("gpu", detectGpu());
    const device = options.device ?? (gpu.webgpu && !gpu.software ? "webgpu" : "wasm");
    if (device === "webgpu" && !gpu.webgpu) throw new KernelError("ENOTSUP", "device: this browser has no WebGPU adapter");
    const base = new URL(options.baseUrl);
    const transformers = new TransformersSource({ modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base, device) });
    // Snippets run in Workers the kernel can kill: its own where it may create them (a dedicated
    // worker), else workers hosted by the tabs (a SharedWorker in Chromium has no Worker).
    const sandbox = typeof Worker !== "undefined" ? workerSandbox() : workerSandbox({ createWorker: () => workerHosts.create("js") as Worker, fallbackInline: false });
    // Code apps: one worker each, the kernel's own where it may create them, else in the launching tab.
    const createAppWorker = (owner?: string): AppWorker =>
      typeof Worker !== "undefined" ? new Worker(new URL("../../workers/app-sandbox.worker.ts", import.meta.url), { type: "module", name: "aios-app-sandbox" }) : workerHosts.create("app", owner);
    const access = new AccessManager(await accessStore);
    const k = new Kernel([transformers, new WebLLMSource(gpu)], { access, tools: [...libraryTools(), createJsTool(sandbox), ...deviceTools(deviceHosts)], devices: deviceHosts, appStore: await appStore, bundledApps: BUNDLED_APPS });
    k.codeApps = new CodeApps({ createWorker: createAppWorker, dispatch: sdkDispatch(k) });
    // Stored decisions are in force before the first call (the loop offers tools by them).
    const stores = timed(
      "stores",
      Promise.all([
        k.access.ready().catch((error: Error) => console.warn(`AIOS: ${error.message}`)),
        k.apps.ready().catch((error: Error) => console.warn(`AIOS: ${error.message}`)),
        k.sites.ready().catch((error: Error) => console.warn(`AIOS: ${error.message}`)),
        files.then((opened) => ("store" in opened ? k.mountFiles(opened.store) : k.mountFiles(null, opened.error.message))),
      ]),
    );
    const wanted = options.model ?? DEFAULT_MODEL;
    const model = timed(
      "model",
      k.loadModel(wanted).catch(async (error: unknown) => {
        if (wanted === DEFAULT_MODEL) throw error;
        fallback = { model: wanted, reason: (error as Error).message };
        await k.loadModel(DEFAULT_MODEL);
      }),
    );
    await Promise.all([stores, model]);
    bootMs.workerToBoot = started;
    bootMs.total = performance.now() - started;
    k.setEmbedderSource(embedderSource({ modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base, device) }));
    // Vector search and recall by meaning, loaded after `ready`: writes and searches wait for it
    // (FileStore.embedderLoading); if it cannot load, search is lexical (the OS keeps running).
    void k.loadEmbedder(DEFAULT_EMBEDDER).catch((error: Error) => console.warn(`AIOS: no embedder: ${error.message}`));
    kernel = k;
    return bootInfo();
  }

  /** One system call as `pid`; a spawn or an app's launch also hands back the new process's own port. */
  async function call(pid: number, owner: string | undefined, name: string, args: unknown, emit: ((event: unknown) => unknown) | undefined, options: CallOptions | undefined) {
    const requestId = typeof options?.requestId === "string" ? options.requestId : undefined;
    return withDelivery(emit, async (send) => {
      const result = await syscall(need(), name, { pid, owner, requestId, emit: send }, args);
      if (name !== "proc.spawn" && name !== "apps.launch" && name !== "sites.connect") return result;
      const info = result as ProcessInfo;
      const { port1, port2 } = new MessageChannel();
      serveProcess(info.pid, info.owner, port1);
      return Comlink.transfer({ ...info, port: port2 } satisfies SpawnedProcess, [port2]);
    });
  }

  /**
   * A process's own port. It stays open after the process ends: later calls on it get EKILLED (a
   * closed port would leave its caller waiting forever); it goes when the page drops the handle.
   */
  function serveProcess(pid: number, owner: string | undefined, port: MessagePort): void {
    const api = {
      call: (name: string, args: unknown, emit?: (event: unknown) => unknown, options?: CallOptions) => call(pid, owner, name, args, emit, options),
    };
    Comlink.expose(api, guardEndpoint(port, PROCESS_ENTRY_POINTS));
    port.start();
  }

  /** A page's connection: it acts as the shell (the user). */
  function serveShell(port: Comlink.Endpoint): void {
    let tabId: string | undefined;
    const api = {
      /**
       * A tab announces itself (once). The tab holds the Web Lock `aios-tab:<id>` for its whole
       * life; the kernel asks for the same lock, which it gets only when the tab is gone (closed,
       * crashed, navigated away): then the tab's processes end and its consent prompts move on.
       */
      attach(id: string, workerHost?: MessagePort, deviceHost?: MessagePort): void {
        if (typeof id !== "string" || !/^tab-[a-z0-9]{1,32}$/.test(id)) throw new KernelError("EINVAL", "tabId: must look like tab-xxxx");
        if (tabId !== undefined) throw new KernelError("EBUSY", `this connection is already ${tabId}`);
        tabId = id;
        if (typeof MessagePort !== "undefined" && workerHost instanceof MessagePort) workerHosts.add(id, workerHost);
        if (typeof MessagePort !== "undefined" && deviceHost instanceof MessagePort) deviceHosts.add(id, deviceHost);
        const locks = (globalThis.navigator as Navigator | undefined)?.locks;
        void locks?.request(`aios-tab:${id}`, async () => {
          workerHosts.remove(id);
          deviceHosts.remove(id);
          kernel?.endOwner(id);
        });
      },
      /** Idempotent: every caller gets the same boot. */
      boot(options: BootOptions): Promise<BootInfo> {
        if (typeof options !== "object" || options === null || typeof options.baseUrl !== "string") throw new KernelError("EINVAL", "options: must be { baseUrl, device?, model? }");
        booting ??= boot({ baseUrl: options.baseUrl, device: options.device, model: typeof options.model === "string" ? options.model : undefined }).catch((e) => {
          booting = null;
          throw e;
        });
        return booting;
      },
      info: bootInfo,
      call: (name: string, args: unknown, emit?: (event: unknown) => unknown, options?: CallOptions) => call(need().shellPid, tabId, name, args, emit, options),
    };
    Comlink.expose(api, guardEndpoint(port, SHELL_ENTRY_POINTS));
  }

  return { serveShell };
}

/**
 * A callback from the page is a comlink proxy on its own MessagePort, so its calls are not ordered
 * with the reply to the call that carried it. Settle only after the page has taken the last one:
 * then every chunk (or progress report) arrives before the result.
 */
async function withDelivery<T, R>(callback: ((value: T) => unknown) | undefined, run: (send?: (value: T) => void) => Promise<R>): Promise<R> {
  if (!callback) return run(undefined);
  let last: Promise<unknown> = Promise.resolve();
  try {
    return await run((value) => {
      last = Promise.resolve(callback(value)).catch(() => undefined);
    });
  } finally {
    await last;
  }
}

export type KernelHost = ReturnType<typeof createKernelHost>;
/** What a page's connection offers (comlink wraps it on the page). */
export type ShellApi = {
  attach(id: string, workerHost?: MessagePort, deviceHost?: MessagePort): void;
  boot(options: BootOptions): Promise<BootInfo>;
  info(): BootInfo;
  call(name: string, args: unknown, emit?: (event: unknown) => unknown, options?: CallOptions): Promise<unknown>;
};
/** What a process's port offers. */
export type ProcessApi = Pick<ShellApi, "call">;
