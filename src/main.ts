import { mount } from "svelte";
import { connectKernel, createAios, type Aios } from "./client/aios.ts";
import { startAppShell } from "./client/pwa.ts";
import App from "./shell/App.svelte";

declare global {
  interface Window {
    aios: Aios;
  }
}

// ?device=wasm|webgpu forces the embedded model's device (tests run both); default: detected.
const params = new URLSearchParams(location.search);
const device = params.get("device");
// ?kernel=dedicated runs the kernel in a worker of this tab instead of the shared one.
window.aios = createAios(connectKernel(params.get("kernel") === "dedicated" ? "dedicated" : "shared"), {
  device: device === "wasm" || device === "webgpu" ? device : undefined,
  model: params.get("model") ?? undefined,
});

// The service worker (offline after the first visit, installable, "Reload to update").
const app = startAppShell();

mount(App, { target: document.getElementById("app")!, props: { aios: window.aios, app } });

// Files and memories should outlive storage pressure: ask once per visit. Browsers decide on
// their own (Chromium grants it to sites a user engages with; headless always declines), and the
// Files window shows the answer.
void navigator.storage?.persist?.().catch(() => false);
