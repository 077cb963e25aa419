import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { VitePWA } from "vite-plugin-pwa";

// Which build this is (shown by the shell, read by the update test): AIOS_BUILD, else the build time.
const BUILD = process.env.AIOS_BUILD ?? new Date().toISOString();

export default defineConfig({
  define: { __AIOS_BUILD__: JSON.stringify(BUILD) },
  plugins: [
    svelte(),
    // `vite preview` (npm start, the tests, the bench) gzips every response whose type it does not
    // know, on the fly, and .onnx has none: 7.5 MB of weights took ~0.5 s to compress per request
    // and came without a length. Weights hardly compress, so they go as they are.
    {
      name: "aios-weights-uncompressed",
      configurePreviewServer(server) {
        server.middlewares.use((req, _res, next) => {
          if (/\.onnx(\?|$)/.test(req.url ?? "")) delete req.headers["accept-encoding"];
          next();
        });
      },
    },
    // The installable, offline app (src/client/pwa.ts registers it): Workbox precaches everything
    // the OS needs to boot and work with the network cut — the shell, both kernel bundles, ONNX
    // Runtime's wasm, the embedded chat model and encoder, tesseract's core and English data — and
    // serves index.html for every navigation. lab.html (the benchmarks' engine page) stays online-only.
    VitePWA({
      registerType: "prompt",
      injectRegister: false,
      includeManifestIcons: false,
      manifest: {
        name: "AIOS — an AI operating system in a browser tab",
        short_name: "AIOS",
        description: "An operating system whose kernel is a local language model. Works offline.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#0f1419",
        theme_color: "#0f1419",
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icons/icon-512-maskable.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          { src: "icons/icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{html,js,mjs,css,wasm,svg,png,json,onnx,gz,webmanifest}"],
        globIgnores: ["lab.html", "assets/lab-*.js", "assets/library-baseline*.js"],
        // ONNX Runtime's wasm is ~27 MB, the chat model's fp32 ONNX ~7.6 MB.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: "index.html",
        navigateFallbackDenylist: [/^\/lab\.html/],
        cleanupOutdatedCaches: true,
        // The first install takes control of the tabs already open (so a later version waits for
        // them); a later version never skips waiting on its own (src/client/pwa.ts).
        clientsClaim: true,
        skipWaiting: false,
      },
    }),
  ],
  worker: { format: "es" },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 8192,
    // lab.html runs an engine without the kernel: the benchmarks' baseline and raw-token tests.
    rollupOptions: {
      // bridge.html: other sites embed it to run agents; sdk: their SDK, at a stable URL (/sdk/aios.js).
      input: { main: "index.html", lab: "lab.html", bridge: "bridge.html", sdk: "src/sdk/connect.ts" },
      preserveEntrySignatures: "exports-only",
      // tesseract.js fetches `${langPath}/eng.traineddata.gz`: that file keeps its name (the hash
      // goes in its folder) so src/client/devices/ocr.ts can point langPath at it.
      output: { entryFileNames: (chunk) => (chunk.name === "sdk" ? "sdk/aios.js" : "assets/[name]-[hash].js"), assetFileNames: (a) => (a.names.some((n) => n.endsWith(".traineddata.gz")) ? "assets/[hash]/[name][extname]" : "assets/[name]-[hash][extname]") },
    },
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
  optimizeDeps: { exclude: ["@huggingface/transformers", "onnxruntime-web"] },
  test: {
    projects: [
      {
        // Svelte compiles the shell's rune modules (*.svelte.ts) that unit tests import.
        plugins: [svelte()],
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
          // Conditions polled in the browser (a terminated worker leaving page.workers(), a dialog
          // closing) settle within a second on an idle machine; CI's 2 loaded cores take longer.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      {
        // The injection suite (issue 11): the real stack in Chromium, like the browser tests.
        test: {
          name: "security",
          include: ["test/security/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/browser/global-setup.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
