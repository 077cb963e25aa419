/**
 * What the kernel worker exposes to pages over comlink: boot (engine choice from the browser's
 * capabilities) and one entry point, `syscall`, into the kernel's system-call table.
 */
import { TransformersSource } from "../kernel/engines/transformers-source.ts";
import { WebLLMSource } from "../kernel/engines/webllm.ts";
import { KernelError } from "../kernel/errors.ts";
import { EMBEDDERS, isEmbedderCached, loadTransformersEmbedder, type TransformersEmbedderOptions } from "../kernel/embedders/transformers.ts";
import { Kernel, type EmbedderSource, type KernelInfo } from "../kernel/kernel.ts";
import { detectGpu, type GpuCapabilities } from "../kernel/models.ts";
import { syscall, type SyscallContext } from "../kernel/syscalls.ts";
import { FileStore } from "../kernel/storage/files.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";

export interface BootOptions {
  /** Page origin + base path, where /models/ is served. */
  baseUrl: string;
  /**
   * Force a device for the embedded model. Default: webgpu on a hardware adapter, else wasm — a
   * software adapter (SwiftShader) decodes the embedded model ~70x slower than wasm (npm run bench).
   */
  device?: "webgpu" | "wasm";
  model?: string;
}

export interface BootInfo extends KernelInfo {
  gpu: GpuCapabilities;
  /** The shell's process, which page calls without a process of their own run as. */
  shellPid: number;
}

export const DEFAULT_MODEL = "aios-tiny";
export const DEFAULT_EMBEDDER = "aios-embed";

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

export function createKernelApi() {
  let kernel: Kernel | null = null;
  let booting: Promise<BootInfo> | null = null;
  let gpu: GpuCapabilities = { webgpu: false, shaderF16: false, software: false };

  const need = (): Kernel => {
    if (!kernel) throw new KernelError("ENOTREADY", "the kernel has not booted");
    return kernel;
  };
  const bootInfo = (): BootInfo => ({ ...need().info(), gpu, shellPid: need().shellPid });

  async function boot(options: BootOptions): Promise<BootInfo> {
    gpu = await detectGpu();
    const device = options.device ?? (gpu.webgpu && !gpu.software ? "webgpu" : "wasm");
    if (device === "webgpu" && !gpu.webgpu) throw new KernelError("ENOTSUP", "device: this browser has no WebGPU adapter");
    const base = new URL(options.baseUrl);
    const transformers = new TransformersSource({
      modelBaseUrl: new URL("models/", base).pathname,
      device,
      wasmPaths: ortWasmPaths(base),
    });
    kernel = new Kernel([transformers, new WebLLMSource(gpu)]);
    // Without IndexedDB (some private modes) the OS still boots; file calls then say why they fail.
    await FileStore.open().then(
      (files) => kernel!.mountFiles(files),
      (error: Error) => kernel!.mountFiles(null, error.message),
    );
    await kernel.loadModel(options.model ?? DEFAULT_MODEL);
    kernel.setEmbedderSource(embedderSource({ modelBaseUrl: new URL("models/", base).pathname, device, wasmPaths: ortWasmPaths(base) }));
    // Vector search and recall by meaning; without it search is lexical (the OS still boots).
    await kernel.loadEmbedder(DEFAULT_EMBEDDER).catch((error: Error) => console.warn(`AIOS: no embedder: ${error.message}`));
    return bootInfo();
  }

  return {
    /**
     * A tab announces itself. The tab holds the Web Lock `aios-tab:<id>` for its whole life; the
     * kernel asks for the same lock, which it gets only when the tab is gone (closed, crashed,
     * navigated away): then the tab's processes end.
     */
    attach(tabId: string): void {
      if (typeof tabId !== "string" || !/^tab-[a-z0-9]{1,32}$/.test(tabId)) throw new KernelError("EINVAL", "tabId: must look like tab-xxxx");
      const locks = (globalThis.navigator as Navigator | undefined)?.locks;
      void locks?.request(`aios-tab:${tabId}`, async () => {
        kernel?.endOwner(tabId);
      });
    },
    /** Idempotent: every caller gets the same boot. */
    boot(options: BootOptions): Promise<BootInfo> {
      booting ??= boot(options).catch((e) => {
        booting = null;
        throw e;
      });
      return booting;
    },
    info: bootInfo,
    syscall: (name: string, ctx: Omit<SyscallContext, "emit">, args?: unknown, emit?: (event: unknown) => void) => {
      if (typeof ctx !== "object" || ctx === null) throw new KernelError("EINVAL", "context: must be an object with a pid");
      return withDelivery(emit, (send) => syscall(need(), name, { pid: ctx.pid, owner: ctx.owner, requestId: ctx.requestId, emit: send }, args));
    },
  };
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

export type KernelApi = ReturnType<typeof createKernelApi>;
