/**
 * The installed apps on IndexedDB (through idb): manifests and grants survive reloads and browser
 * restarts. One record per app, keyed by its id, one per site that asked to run agents, keyed by
 * its origin, and one per installed app's mailbox; each change is one transaction.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { StoredMailbox } from "../messages.ts";
import type { AppStore, InstalledApp, SiteGrant } from "./apps.ts";

interface AppsDB extends DBSchema {
  apps: { key: string; value: InstalledApp & { id: string } };
  meta: { key: string; value: { key: string; value: unknown } };
  sites: { key: string; value: SiteGrant };
  mail: { key: string; value: StoredMailbox };
}

export const APPS_DB_NAME = "aios-apps";

export class IndexedDBAppStore implements AppStore {
  private constructor(private readonly db: IDBPDatabase<AppsDB>) {}

  static async open(name = APPS_DB_NAME): Promise<IndexedDBAppStore> {
    // Version 2 adds installed apps' mailboxes.
    const db = await openDB<AppsDB>(name, 2, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore("apps", { keyPath: "id" });
          db.createObjectStore("meta", { keyPath: "key" });
          db.createObjectStore("sites", { keyPath: "origin" });
        }
        if (oldVersion < 2) db.createObjectStore("mail", { keyPath: "app" });
      },
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    return new IndexedDBAppStore(db);
  }

  async loadApps(): Promise<InstalledApp[]> {
    return (await this.db.getAll("apps")).map(({ id: _id, ...app }) => app);
  }

  async putApp(app: InstalledApp): Promise<void> {
    await this.db.put("apps", { id: app.manifest.id, ...app });
  }

  async deleteApp(id: string): Promise<void> {
    await this.db.delete("apps", id);
  }

  async loadBundledSeen(): Promise<string[]> {
    return ((await this.db.get("meta", "bundled"))?.value as string[] | undefined) ?? [];
  }

  async saveBundledSeen(ids: string[]): Promise<void> {
    await this.db.put("meta", { key: "bundled", value: ids });
  }

  async loadSites(): Promise<SiteGrant[]> {
    return this.db.getAll("sites");
  }

  async putSite(grant: SiteGrant): Promise<void> {
    await this.db.put("sites", grant);
  }

  async deleteSite(origin: string): Promise<void> {
    await this.db.delete("sites", origin);
  }

  async loadMailboxes(): Promise<StoredMailbox[]> {
    return this.db.getAll("mail");
  }

  async putMailbox(box: StoredMailbox): Promise<void> {
    await this.db.put("mail", box);
  }

  async deleteMailbox(app: string): Promise<void> {
    await this.db.delete("mail", app);
  }
}
