/**
 * What the kernel worker exposes to pages over comlink. The transport-free Kernel does the work;
 * this adds boot (engine choice from the browser's capabilities) and nothing else.
 */
import type { ChatCompletionChunk } from "../kernel/chat.ts";
import type { LoadProgress } from "../kernel/engine.ts";
import { TransformersSource } from "../kernel/engines/transformers-source.ts";
import { RemoteSource, type RemoteEndpoint } from "../kernel/engines/remote.ts";
import { WebLLMSource } from "../kernel/engines/webllm.ts";
import { KernelError } from "../kernel/errors.ts";
import { Kernel, type KernelInfo } from "../kernel/kernel.ts";
import { detectGpu, type GpuCapabilities } from "../kernel/models.ts";
import { ortWasmPaths } from "../platform/ort-assets.ts";

export interface BootOptions {
  /** Page origin + base path, where /models/ is served. */
  baseUrl: string;
  /**
   * Force a device for the embedded model. Default: webgpu on a hardware adapter, else wasm — a
   * software adapter (SwiftShader) decodes the embedded model ~18x slower than wasm (npm run bench).
   */
  device?: "webgpu" | "wasm";
  model?: string;
}

export interface BootInfo extends KernelInfo {
  gpu: GpuCapabilities;
}

export const DEFAULT_MODEL = "aios-tiny";

export function createKernelApi() {
  let kernel: Kernel | null = null;
  let booting: Promise<BootInfo> | null = null;
  let gpu: GpuCapabilities = { webgpu: false, shaderF16: false, software: false };

  const need = (): Kernel => {
    if (!kernel) throw new KernelError("ENOTREADY", "the kernel has not booted");
    return kernel;
  };

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
    await kernel.loadModel(options.model ?? DEFAULT_MODEL);
    return { ...kernel.info(), gpu };
  }

  return {
    /** Idempotent: every caller gets the same boot. */
    boot(options: BootOptions): Promise<BootInfo> {
      booting ??= boot(options).catch((e) => {
        booting = null;
        throw e;
      });
      return booting;
    },
    info: () => ({ ...need().info(), gpu }),
    stats: () => need().getStats(),
    listModels: () => need().listModels(),
    loadModel: (id: string, onProgress?: (p: LoadProgress) => void) => withDelivery(onProgress, (report) => need().loadModel(id, report)),
    deleteModel: (id: string) => need().deleteModel(id),
    /** Connects an OpenAI-compatible server the user chose; its models join the catalog. */
    connectRemote: async (endpoint: RemoteEndpoint) => {
      if (typeof endpoint !== "object" || endpoint === null || typeof endpoint.baseUrl !== "string") {
        throw new KernelError("EINVAL", "baseUrl: must be a string");
      }
      if (endpoint.apiKey !== undefined && typeof endpoint.apiKey !== "string") throw new KernelError("EINVAL", "apiKey: must be a string");
      const source = await RemoteSource.connect({ baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey });
      need().addSource(source);
      return source.list();
    },
    chat: (request: unknown, requestId?: string, onChunk?: (c: ChatCompletionChunk) => void) =>
      withDelivery(onChunk, (send) => need().chat(request, { requestId, onChunk: send })),
    interrupt: (requestId?: string) => need().interrupt(requestId),
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
