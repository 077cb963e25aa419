// ONNX Runtime Web's runtime files, emitted by Vite into our own build and served by our origin
// (never fetched from the library's CDN default). The plain build has no WebGPU and runs wasm
// about twice as fast as the asyncify build (which WebGPU needs), and is half its size: each
// device loads its own.
import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url";
import ortWebGpuMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import ortWebGpuWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";

export function ortWasmPaths(base: string | URL, device: "wasm" | "webgpu" | "cpu"): { mjs: string; wasm: string } {
  const [mjs, wasm] = device === "webgpu" ? [ortWebGpuMjsUrl, ortWebGpuWasmUrl] : [ortMjsUrl, ortWasmUrl];
  return { mjs: new URL(mjs, base).href, wasm: new URL(wasm, base).href };
}
