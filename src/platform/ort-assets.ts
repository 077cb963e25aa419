// ONNX Runtime Web's runtime files, emitted by Vite into our own build and served by our origin
// (never fetched from the library's CDN default).
import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";

export function ortWasmPaths(base: string | URL): { mjs: string; wasm: string } {
  return { mjs: new URL(ortMjsUrl, base).href, wasm: new URL(ortWasmUrl, base).href };
}
