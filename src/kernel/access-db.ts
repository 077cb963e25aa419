/**
 * The access manager's store on IndexedDB (through idb): the user's decisions, the audit log and
 * the network settings survive reloads and browser restarts. The log is bounded: past `limit`
 * entries the oldest are deleted and counted.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { AccessStore, AuditEntry, Decision, NetworkConfig } from "./access.ts";
import { AUDIT_LIMIT } from "./access.ts";

interface AccessDB extends DBSchema {
  decisions: { key: [string, string]; value: { app: string; capability: string; decision: Decision } };
  audit: { key: number; value: AuditEntry };
  meta: { key: string; value: { key: string; value: unknown } };
}

export const ACCESS_DB_NAME = "aios-access";
/** Trim the log every this many appends (one count per batch, not per call). */
const TRIM_EVERY = 64;

export class IndexedDBAccessStore implements AccessStore {
  private appends = 0;

  private constructor(
    private readonly db: IDBPDatabase<AccessDB>,
    private readonly limit: number,
  ) {}

  static async open(name = ACCESS_DB_NAME, limit = AUDIT_LIMIT): Promise<IndexedDBAccessStore> {
    const db = await openDB<AccessDB>(name, 1, {
      upgrade(db) {
        db.createObjectStore("decisions", { keyPath: ["app", "capability"] });
        db.createObjectStore("audit", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("meta", { keyPath: "key" });
      },
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    const store = new IndexedDBAccessStore(db, limit);
    await store.trim();
    return store;
  }

  async loadDecisions() {
    return this.db.getAll("decisions");
  }

  async putDecision(app: string, capability: string, decision: Decision | null) {
    if (decision === null) await this.db.delete("decisions", [app, capability]);
    else await this.db.put("decisions", { app, capability, decision });
  }

  async appendAudit(entries: AuditEntry[]) {
    // "relaxed": committed once the browser has it (survives a tab or browser crash) without
    // waiting for the disk to flush.
    const tx = this.db.transaction("audit", "readwrite", { durability: "relaxed" });
    await Promise.all(entries.map(({ seq: _seq, ...row }) => tx.store.add(row as AuditEntry)));
    await tx.done;
    const before = this.appends;
    this.appends += entries.length;
    if (Math.floor(this.appends / TRIM_EVERY) > Math.floor(before / TRIM_EVERY)) await this.trim();
  }

  /** Deletes the oldest entries past the limit, counting them. */
  private async trim(): Promise<void> {
    const tx = this.db.transaction(["audit", "meta"], "readwrite");
    const count = await tx.objectStore("audit").count();
    let over = count - this.limit;
    if (over > 0) {
      const dropped = ((await tx.objectStore("meta").get("dropped"))?.value as number | undefined) ?? 0;
      let cursor = await tx.objectStore("audit").openCursor();
      let removed = 0;
      while (cursor && over-- > 0) {
        await cursor.delete();
        removed++;
        cursor = await cursor.continue();
      }
      await tx.objectStore("meta").put({ key: "dropped", value: dropped + removed });
    }
    await tx.done;
  }

  async readAudit() {
    await this.trim();
    const tx = this.db.transaction(["audit", "meta"]);
    const entries = await tx.objectStore("audit").getAll();
    const dropped = ((await tx.objectStore("meta").get("dropped"))?.value as number | undefined) ?? 0;
    return { entries, dropped };
  }

  async loadNetwork(): Promise<NetworkConfig> {
    return ((await this.db.get("meta", "network"))?.value as NetworkConfig | undefined) ?? {};
  }

  async saveNetwork(config: NetworkConfig) {
    await this.db.put("meta", { key: "network", value: config });
  }
}
