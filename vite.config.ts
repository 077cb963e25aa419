import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  worker: { format: "es" },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 8192,
    // lab.html runs an engine without the kernel: the benchmarks' baseline and raw-token tests.
    rollupOptions: {
      input: { main: "index.html", lab: "lab.html" },
      // tesseract.js fetches `${langPath}/eng.traineddata.gz`: that file keeps its name (the hash
      // goes in its folder) so src/client/devices/ocr.ts can point langPath at it.
      output: { assetFileNames: (a) => (a.names.some((n) => n.endsWith(".traineddata.gz")) ? "assets/[hash]/[name][extname]" : "assets/[name]-[hash][extname]") },
    },
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
  optimizeDeps: { exclude: ["@huggingface/transformers", "onnxruntime-web"] },
  test: {
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node", testTimeout: 60_000 },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/browser/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
