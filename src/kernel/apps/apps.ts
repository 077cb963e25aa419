/**
 * The installed apps: their manifests, which of the capabilities they ask for the user has
 * granted, and the store that keeps them across reloads (IndexedDB in browsers: apps-db.ts).
 *
 * Invariants:
 * - An app's identity is its manifest's `id`: one installed app per id; its namespace and its
 *   access decisions are keyed by it.
 * - `granted` ⊆ the manifest's capabilities. Installing grants what the manifest asks (the user
 *   saw it and chose to install); an update that asks for more leaves the additions *pending*
 *   until the user grants them (`grant`); an update that asks for less drops them.
 * - Only the user changes this table (every method but `list`/`get` is a shell call).
 * - The bundled apps are installed once, on the first boot that knows them; one the user
 *   uninstalled does not come back.
 */
import type { MailStore, StoredMailbox } from "../messages.ts";
import { KernelError } from "../errors.ts";
import { addedCapabilities, validateManifest, type Manifest } from "./manifest.ts";

export interface InstalledApp {
  manifest: Manifest;
  /** Capabilities the user granted: the manifest's, less an update's additions not yet granted. */
  granted: string[];
  installedAt: number;
  updatedAt: number;
  /** Shipped with the OS (installed on first boot). */
  bundled: boolean;
}

/** An installed app as `list` shows it: with the capabilities that wait for the user's consent. */
export interface AppInfo extends InstalledApp {
  pending: string[];
}

/** A site's (another origin's) standing answer: see sites.ts. */
export interface SiteGrant {
  origin: string;
  /** "allow": the user allowed it (these capabilities); "deny": the user refused it. */
  decision: "allow" | "deny";
  capabilities: string[];
  decidedAt: number;
}

/** Also where installed apps' mailboxes live (messages.ts). */
export interface AppStore extends MailStore {
  loadApps(): Promise<InstalledApp[]>;
  putApp(app: InstalledApp): Promise<void>;
  deleteApp(id: string): Promise<void>;
  /** The ids of bundled apps ever installed here. */
  loadBundledSeen(): Promise<string[]>;
  saveBundledSeen(ids: string[]): Promise<void>;
  /** The user's answers to sites that asked to run agents (sites.ts). */
  loadSites(): Promise<SiteGrant[]>;
  putSite(grant: SiteGrant): Promise<void>;
  deleteSite(origin: string): Promise<void>;
}

export class MemoryAppStore implements AppStore {
  private readonly apps = new Map<string, InstalledApp>();
  private seen: string[] = [];
  async loadApps() {
    return structuredClone([...this.apps.values()]);
  }
  async putApp(app: InstalledApp) {
    this.apps.set(app.manifest.id, structuredClone(app));
  }
  async deleteApp(id: string) {
    this.apps.delete(id);
  }
  async loadBundledSeen() {
    return [...this.seen];
  }
  async saveBundledSeen(ids: string[]) {
    this.seen = [...ids];
  }
  private readonly sites = new Map<string, SiteGrant>();
  async loadSites() {
    return structuredClone([...this.sites.values()]);
  }
  async putSite(grant: SiteGrant) {
    this.sites.set(grant.origin, structuredClone(grant));
  }
  async deleteSite(origin: string) {
    this.sites.delete(origin);
  }
  private readonly mail = new Map<string, StoredMailbox>();
  async loadMailboxes() {
    return structuredClone([...this.mail.values()]);
  }
  async putMailbox(box: StoredMailbox) {
    this.mail.set(box.app, structuredClone(box));
  }
  async deleteMailbox(app: string) {
    this.mail.delete(app);
  }
}

export interface AppRegistryOptions {
  store?: AppStore;
  /** Apps shipped with the OS. */
  bundled?: Manifest[];
  /** Throws EINVAL for a capability no tool of this kernel needs. */
  checkCapability?: (capability: string) => void;
}

export class AppRegistry {
  private readonly apps = new Map<string, InstalledApp>();
  private loaded: Promise<void> | null = null;
  private readonly store: AppStore;

  constructor(private readonly options: AppRegistryOptions = {}) {
    this.store = options.store ?? new MemoryAppStore();
  }

  /** Loads the installed apps, and installs bundled apps this device has not seen yet (once). */
  ready(): Promise<void> {
    this.loaded ??= (async () => {
      for (const app of await this.store.loadApps()) this.apps.set(app.manifest.id, app);
      const seen = new Set(await this.store.loadBundledSeen());
      const fresh = (this.options.bundled ?? []).filter((m) => !seen.has(m.id));
      for (const manifest of fresh) if (!this.apps.has(manifest.id)) await this.save(this.record(manifest, true));
      if (fresh.length) await this.store.saveBundledSeen([...seen, ...fresh.map((m) => m.id)]);
    })().catch((error) => {
      this.loaded = null;
      throw new KernelError("EIO", `apps: could not read the installed apps: ${(error as Error).message}`, { cause: error });
    });
    return this.loaded;
  }

  async list(): Promise<AppInfo[]> {
    await this.ready();
    return [...this.apps.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name)).map((a) => this.info(a));
  }

  async get(id: unknown): Promise<AppInfo> {
    await this.ready();
    const app = typeof id === "string" ? this.apps.get(id) : undefined;
    if (!app) throw new KernelError("ENOENT", `id: no installed app ${String(id).slice(0, 64)} (see aios.apps.list())`);
    return this.info(app);
  }

  /** Whether `id` is installed, as far as loaded (the kernel's boot awaits `ready()`). */
  installed(id: string): boolean {
    return this.apps.has(id);
  }

  /** Installs a new app: every capability it asks for is granted (the user chose to install it). */
  async install(raw: unknown): Promise<AppInfo> {
    await this.ready();
    const manifest = this.check(raw);
    if (this.apps.has(manifest.id)) throw new KernelError("EEXIST", `${manifest.id} is installed already (version ${this.apps.get(manifest.id)!.manifest.version}); use aios.apps.update`);
    return this.info(await this.save(this.record(manifest, false)));
  }

  /**
   * Replaces an app's manifest. Capabilities it newly asks for are pending until the user grants
   * them; the app runs meanwhile with what was granted. Returns the app and the additions.
   */
  async update(id: string, raw: unknown): Promise<{ app: AppInfo; added: string[] }> {
    const current = await this.get(id);
    const manifest = this.check(raw);
    if (manifest.id !== id) throw new KernelError("EINVAL", `manifest.id: is ${manifest.id}, but the app being updated is ${id} (an app's id never changes)`);
    if (manifest.kind !== current.manifest.kind) throw new KernelError("EINVAL", `manifest.kind: ${id} is a ${current.manifest.kind} app; an update cannot make it ${manifest.kind}`);
    const added = addedCapabilities(current.manifest.capabilities, manifest.capabilities);
    const granted = current.granted.filter((c) => manifest.capabilities.includes(c));
    const app = await this.save({ ...current, manifest, granted, updatedAt: Date.now() });
    return { app: this.info(app), added };
  }

  /** The user grants capabilities the app's manifest asks for. */
  async grant(id: string, capabilities: string[]): Promise<AppInfo> {
    const current = await this.get(id);
    const unasked = capabilities.find((c) => !current.manifest.capabilities.includes(c));
    if (unasked) throw new KernelError("EINVAL", `capabilities: ${id}'s manifest does not ask for ${unasked}`);
    const granted = [...new Set([...current.granted, ...capabilities])];
    return this.info(await this.save({ ...current, granted }));
  }

  async remove(id: string): Promise<AppInfo> {
    const app = await this.get(id);
    await this.store.deleteApp(id).catch((error: Error) => {
      throw new KernelError("EIO", `apps: could not remove ${id}: ${error.message}`, { cause: error });
    });
    this.apps.delete(id);
    return app;
  }

  private check(raw: unknown): Manifest {
    const manifest = validateManifest(raw);
    for (const capability of manifest.capabilities) {
      try {
        this.options.checkCapability?.(capability);
      } catch (error) {
        throw new KernelError("EINVAL", `manifest.${(error as Error).message}`);
      }
    }
    return manifest;
  }

  private record(manifest: Manifest, bundled: boolean): InstalledApp {
    const now = Date.now();
    return { manifest, granted: [...manifest.capabilities], installedAt: now, updatedAt: now, bundled };
  }

  private async save(app: InstalledApp): Promise<InstalledApp> {
    await this.store.putApp(app).catch((error: Error) => {
      throw new KernelError("EIO", `apps: could not store ${app.manifest.id}: ${error.message}`, { cause: error });
    });
    this.apps.set(app.manifest.id, app);
    return app;
  }

  private info(app: InstalledApp): AppInfo {
    return structuredClone({ ...app, pending: app.manifest.capabilities.filter((c) => !app.granted.includes(c)) });
  }
}
