import { connectKernel, createAios, type Aios } from "./client/aios.ts";

declare global {
  interface Window {
    aios: Aios;
  }
}

// The kernel starts first: its worker (and its model load) begins before the shell's code is even
// fetched, which is the longest path to `aios.ready`. This module imports nothing else statically.

// ?device=wasm|webgpu forces the embedded model's device (tests run both); default: detected.
const params = new URLSearchParams(location.search);
const device = params.get("device");
// ?kernel=dedicated runs the kernel in a worker of this tab instead of the shared one.
window.aios = createAios(connectKernel(params.get("kernel") === "dedicated" ? "dedicated" : "shared"), {
  device: device === "wasm" || device === "webgpu" ? device : undefined,
  model: params.get("model") ?? undefined,
});

const [{ mount }, { default: App }, { startAppShell }] = await Promise.all([import("svelte"), import("./shell/App.svelte"), import("./client/pwa.ts")]);

// The service worker (offline after the first visit, installable, "Reload to update"), registered
// once the kernel has booted.
const app = startAppShell(window.aios.ready);

mount(App, { target: document.getElementById("app")!, props: { aios: window.aios, app } });

// Files and memories should outlive storage pressure: ask once per visit. Browsers decide on
// their own (Chromium grants it to sites a user engages with; headless always declines), and the
// Files window shows the answer.
void navigator.storage?.persist?.().catch(() => false);
