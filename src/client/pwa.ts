/// <reference types="vite-plugin-pwa/client" />
/**
 * The installable, offline app: registers the service worker that vite-plugin-pwa generates
 * (Workbox precache of the shell, the kernel bundles, ONNX Runtime's wasm, the embedded models and
 * the OCR data: see vite.config.ts) and tells the shell what it needs to show.
 *
 * Invariants:
 * - A new deployment never replaces the code under a running kernel: its service worker waits
 *   (registerType "prompt", no skipWaiting) until every tab of the old version is closed, so tabs
 *   opened meanwhile get the old, cached shell and join the old shared kernel.
 * - "Reload to update" activates the waiting worker and every tab of this origin reloads onto the
 *   new version (told over a BroadcastChannel, each reloading once the new worker is active), so the
 *   old and new kernels never run side by side.
 */
import { registerSW } from "virtual:pwa-register";

declare const __AIOS_BUILD__: string;

/** This build's id (vite.config.ts: AIOS_BUILD or the build time). */
export const BUILD = typeof __AIOS_BUILD__ === "string" ? __AIOS_BUILD__ : "dev";

/** How often an open tab asks the server for a new version (the browser also checks on every navigation). */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

export interface AppState {
  /** This tab's build (see BUILD). */
  build: string;
  /** The service worker is active and everything it precaches is stored: the app boots offline. */
  offlineReady: boolean;
  /** A new version is installed and waits; `update()` switches every tab to it. */
  updateReady: boolean;
  /** What `navigator.onLine` says (the network, not the app: the app works either way). */
  online: boolean;
  /** Why the service worker could not register (e.g. not a secure context), if it could not. */
  error: string | null;
}

export interface AppShell {
  state(): AppState;
  /** Calls `listener` with the state now and on every change; returns the unsubscribe. */
  subscribe(listener: (state: AppState) => void): () => void;
  /** Activates the waiting version: every open tab reloads onto it. */
  update(): Promise<void>;
}

/** Reloads this tab once no new version is still installing or waiting (it took over, or there is none). */
async function reloadWhenActive(): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration();
  const next = registration?.waiting ?? registration?.installing;
  if (next && next.state !== "activated" && next.state !== "redundant") {
    await new Promise<void>((done) => next.addEventListener("statechange", () => (next.state === "activated" || next.state === "redundant") && done()));
  }
  location.reload();
}

/**
 * `registerAfter`: the service worker is registered once it settles (main.ts passes `aios.ready`):
 * on a first visit its install downloads the whole precache (~85 MB), which would otherwise
 * compete with the kernel's boot for the network and the CPU. A returning visitor's page is
 * controlled from the start either way; registering only checks for a new version.
 */
export function startAppShell(registerAfter: Promise<unknown> = Promise.resolve()): AppShell {
  let current: AppState = { build: BUILD, offlineReady: false, updateReady: false, online: navigator.onLine, error: null };
  const listeners = new Set<(state: AppState) => void>();
  const set = (patch: Partial<AppState>) => {
    current = { ...current, ...patch };
    for (const l of listeners) l(current);
  };
  addEventListener("online", () => set({ online: true }));
  addEventListener("offline", () => set({ online: false }));

  let updateSW: (reload?: boolean) => Promise<void> = async () => {};
  // "Reload to update" in one tab reloads every tab of this origin once the new version is active,
  // also tabs the service worker does not control (a first visit's tab), which see no controllerchange.
  const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("aios-update") : null;
  if ("serviceWorker" in navigator) {
    if (tabs) tabs.onmessage = (e) => e.data === "reload" && void reloadWhenActive();
    void registerAfter.catch(() => undefined).then(() => (updateSW = registerSW({
      immediate: true,
      onNeedRefresh: () => set({ updateReady: true }),
      onOfflineReady: () => set({ offlineReady: true }),
      onRegisteredSW: (_url, registration) => {
        // Already installed on an earlier visit: the active worker has the precache.
        if (registration?.active && navigator.serviceWorker.controller) set({ offlineReady: true });
        // A tab left open for days still learns of a new deployment (only while online).
        if (registration) setInterval(() => navigator.onLine && void registration.update().catch(() => {}), UPDATE_CHECK_MS);
      },
      onRegisterError: (e: unknown) => set({ error: e instanceof Error ? e.message : String(e) }),
    })));
  } else {
    current.error = "this browser has no service workers";
  }

  return {
    state: () => current,
    subscribe(listener) {
      listeners.add(listener);
      listener(current);
      return () => listeners.delete(listener);
    },
    async update() {
      tabs?.postMessage("reload");
      await updateSW(false); // tells the waiting worker to take over (skipWaiting)
      await reloadWhenActive();
    },
  };
}
