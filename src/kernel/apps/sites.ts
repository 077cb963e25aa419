/**
 * Sites: pages on other origins that run agents through the OS's bridge (bridge.html). A site's
 * identity is its origin — as the browser reports it (`MessageEvent.origin`) to the bridge, never a
 * name in a message — and it becomes an app identity `site:<origin>`: its own namespace, access
 * decisions and quotas. The user answers once in an AIOS tab; the answer is kept until revoked.
 *
 * Invariants: only the user's answer (a consent prompt) or the Permissions window changes a grant;
 * a site gets at most the capabilities the user allowed it; a denied site is refused without asking
 * again until the user forgets the denial (revoke).
 */
import { KernelError } from "../errors.ts";
import { MemoryAppStore, type AppStore, type SiteGrant } from "./apps.ts";

export type { SiteGrant };


export const SITE_PREFIX = "site:";
/** Quotas of each site's process: a page cannot queue unbounded work or spend unbounded tokens. */
export const SITE_QUOTA = { maxQueued: 4, maxCompletionTokens: 200_000 } as const;

/** The app identity of an origin. */
export function siteApp(origin: string): string {
  return `${SITE_PREFIX}${origin}`;
}

/** An origin as browsers serialise one (http/https, no path), or EINVAL. */
export function checkOrigin(origin: unknown): string {
  let url: URL;
  try {
    url = new URL(String(origin));
  } catch {
    throw new KernelError("EINVAL", `origin: ${String(origin).slice(0, 100)} is not an origin`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin) throw new KernelError("EINVAL", `origin: must be an http(s) origin such as https://example.com (got ${String(origin).slice(0, 100)})`);
  return origin;
}

export class SiteGrants {
  private readonly grants = new Map<string, SiteGrant>();
  private loaded: Promise<void> | null = null;

  constructor(private readonly store: AppStore = new MemoryAppStore()) {}

  ready(): Promise<void> {
    this.loaded ??= (async () => {
      for (const g of await this.store.loadSites()) this.grants.set(g.origin, g);
    })().catch((error) => {
      this.loaded = null;
      throw new KernelError("EIO", `sites: could not read the sites' grants: ${(error as Error).message}`, { cause: error });
    });
    return this.loaded;
  }

  async get(origin: string): Promise<SiteGrant | undefined> {
    await this.ready();
    return structuredClone(this.grants.get(origin));
  }

  async list(): Promise<SiteGrant[]> {
    await this.ready();
    return structuredClone([...this.grants.values()].sort((a, b) => a.origin.localeCompare(b.origin)));
  }

  async decide(origin: string, decision: "allow" | "deny", capabilities: string[]): Promise<SiteGrant> {
    await this.ready();
    const grant: SiteGrant = { origin, decision, capabilities: [...new Set(capabilities)], decidedAt: Date.now() };
    await this.store.putSite(grant).catch((error: Error) => {
      throw new KernelError("EIO", `sites: could not store the answer for ${origin}: ${error.message}`, { cause: error });
    });
    this.grants.set(origin, grant);
    return structuredClone(grant);
  }

  async forget(origin: string): Promise<boolean> {
    await this.ready();
    if (!this.grants.has(origin)) return false;
    await this.store.deleteSite(origin);
    this.grants.delete(origin);
    return true;
  }
}
