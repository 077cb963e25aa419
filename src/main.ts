import { mount } from "svelte";
import { createAios, type Aios } from "./client/aios.ts";
import App from "./shell/App.svelte";

declare global {
  interface Window {
    aios: Aios;
  }
}

// ?device=wasm|webgpu forces the embedded model's device (tests run both); default: detected.
const params = new URLSearchParams(location.search);
const device = params.get("device");
const worker = new Worker(new URL("../workers/kernel.worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
window.aios = createAios(worker, {
  device: device === "wasm" || device === "webgpu" ? device : undefined,
  model: params.get("model") ?? undefined,
});

mount(App, { target: document.getElementById("app")!, props: { aios: window.aios } });
