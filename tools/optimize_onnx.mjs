// Writes, next to each embedded ONNX file, a copy already optimized for ONNX Runtime's CPU kernels
// (the wasm build in browsers, onnxruntime-node's cpu in Node):
//   public/models/<model>/onnx/model.onnx            -> onnx/model_cpu.onnx
//   public/models/<model>/onnx/model_quantized.onnx  -> onnx/model_cpu_quantized.onnx
// ONNX Runtime's own graph optimizer runs once, here ("extended": constant folding, RMSNorm,
// FusedMatMul, QuickGelu…; no layout transforms, so nothing specific to this machine), and the
// kernel loads these files with the optimizer off. In a browser that optimizer is most of a
// session's creation (its code is compiled lazily on first use): ~0.4 s of every cold start on
// the wasm path, at the same decode speed. WebGPU loads the source files (its kernels fuse on their own).
// The engine's Node tests run on these files and compare them with the torch fixture.
//
// Usage (repo root): node tools/optimize_onnx.mjs [model dir…]   (default: every public/models/*)
// make_model.py and make_embedder.py run it after each export.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.join(ROOT, 'public/models');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync(MODELS).map((d) => path.join(MODELS, d));

/** Source file name → optimized file name (what Transformers.js loads for model_file_name "model_cpu"). */
const VARIANTS = { 'model.onnx': 'model_cpu.onnx', 'model_quantized.onnx': 'model_cpu_quantized.onnx' };

let written = 0;
for (const dir of dirs) {
  for (const [source, target] of Object.entries(VARIANTS)) {
    const from = path.join(dir, 'onnx', source);
    if (!fs.existsSync(from)) continue;
    const to = path.join(dir, 'onnx', target);
    const session = await ort.InferenceSession.create(from, { executionProviders: ['cpu'], graphOptimizationLevel: 'extended', optimizedModelFilePath: to });
    await session.release();
    console.log(`${path.relative(ROOT, from)} (${(fs.statSync(from).size / 1e6).toFixed(2)} MB) -> ${path.relative(ROOT, to)} (${(fs.statSync(to).size / 1e6).toFixed(2)} MB)`);
    written++;
  }
}
if (written === 0) {
  console.error(`no ONNX files under ${dirs.join(', ')}`);
  process.exit(1);
}
