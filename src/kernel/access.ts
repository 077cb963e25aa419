/**
 * The access manager: who may use which capability, decided by the user alone, and the audit log
 * of every decision.
 *
 * A capability is a named string ("calculator", "files", "network:127.0.0.1:8123", later the
 * devices). Holding one is decided per app and capability: "allow", "ask" (a consent prompt in an
 * open shell tab) or "deny". The user's own decisions (the shell's Permissions window, a consent
 * prompt's "Always allow", `aios.access.set`) win; otherwise the default applies:
 *   - not declared at spawn → deny;
 *   - calculator, clock, units (harmless) and files, js (no power the process lacks: its own
 *     namespace, CPU in a bounded sandbox) → allow; message:… (granted by declaring it; what a
 *     message carries is untrusted data for its receiver) → allow;
 *   - everything else (the network, the devices — files:io too) → ask.
 *
 * Invariants:
 * - Only `set` (a shell call: the user) and a consent answer (a shell call: the user's click)
 *   change a decision; nothing a process, model, tool result or file says reaches either.
 * - Every check ends in exactly one audit entry (allowed calls once their result is known). Entries
 *   are written in order, in batches, off the call's path (one transaction per turn of the event
 *   loop); reading the log waits for what is queued.
 * - A prompt never waits forever: no listener → EPERM at once; the last tab closing or no answer in
 *   `consentTimeoutMs` → EPERM. Every open tab shows every prompt; the first answer wins.
 * - A prompt blocks only the call that asked: other processes' calls go on meanwhile.
 */
import { KernelError } from "./errors.ts";
import { declares, type Process } from "./process.ts";

export type Decision = "allow" | "ask" | "deny";
/** Who decided: the policy (a stored or default decision), or the user in a consent prompt. */
export type DecidedBy = "policy" | "user-once" | "user-always" | "user-deny" | "no-consent";
export type ConsentAnswer = "once" | "always" | "deny";

export interface AuditEntry {
  seq?: number;
  at: number;
  pid: number;
  app: string;
  /** A tool's name, or "access.set" for a change of decision. */
  tool: string;
  capability: string;
  /** First 16 hex digits of SHA-256 over the arguments' JSON. */
  argsDigest: string;
  /** The call in plain words (what a consent prompt showed). */
  summary: string;
  decision: "allow" | "deny";
  by: DecidedBy | "user";
  /** Bytes of the result's JSON, or the error's code. */
  resultBytes?: number;
  error?: string;
  ms?: number;
  /** The caller's labels when it was decided: the untrusted sources and private data in its context. */
  labels?: { untrusted: string[]; private: string[] };
  /** Why the call needed the user's approval for itself (labels.ts), where it did. */
  reason?: string;
}

export interface AccessEntry {
  app: string;
  capability: string;
  decision: Decision;
  /** "user": the user set it; "default": nothing set, the default applies. */
  source: "user" | "default";
  /** A live process of this app declared it. */
  declared: boolean;
}

export interface NetworkConfig {
  proxy?: string;
}

export interface ConsentRequest {
  id: string;
  pid: number;
  app: string;
  tool: string;
  capability: string;
  /** The call in plain words, e.g. "GET http://127.0.0.1:8123/a". */
  summary: string;
  /** The arguments as JSON (at most 2000 characters). */
  arguments: string;
  at: number;
  /**
   * Set when the data-flow policy asks for this one call (labels.ts): why, in words. "Always
   * allow" is not offered then, and answering it grants nothing beyond the call.
   */
  reason?: string;
  /** "site": a page on another site asks to run an agent (Allow / Deny; `summary` says what). */
  kind?: "site";
}

/** Where decisions, the audit log and settings persist (IndexedDB in browsers, memory in Node). */
export interface AccessStore {
  loadDecisions(): Promise<Array<{ app: string; capability: string; decision: Decision }>>;
  putDecision(app: string, capability: string, decision: Decision | null): Promise<void>;
  /** Appends entries in order (one transaction). */
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** Oldest first; `dropped`: entries removed to keep the log bounded. */
  readAudit(): Promise<{ entries: AuditEntry[]; dropped: number }>;
  loadNetwork(): Promise<NetworkConfig>;
  saveNetwork(config: NetworkConfig): Promise<void>;
}

export const AUDIT_LIMIT = 5000;
const HARMLESS = new Set(["calculator", "clock", "units"]);
const OWN_RESOURCES = new Set(["files", "js"]);
export const CONSENT_TIMEOUT_MS = 5 * 60_000;

/** Keeps everything in memory (Node's server, tests); bounded like the IndexedDB store. */
export class MemoryAccessStore implements AccessStore {
  private readonly decisions = new Map<string, { app: string; capability: string; decision: Decision }>();
  private readonly audit: AuditEntry[] = [];
  private dropped = 0;
  private seq = 0;
  private network: NetworkConfig = {};

  constructor(private readonly limit = AUDIT_LIMIT) {}

  async loadDecisions() {
    return [...this.decisions.values()];
  }
  async putDecision(app: string, capability: string, decision: Decision | null) {
    const key = `${app}\u0000${capability}`;
    if (decision === null) this.decisions.delete(key);
    else this.decisions.set(key, { app, capability, decision });
  }
  async appendAudit(entries: AuditEntry[]) {
    for (const entry of entries) this.audit.push({ ...entry, seq: ++this.seq });
    const over = this.audit.length - this.limit;
    if (over > 0) {
      this.audit.splice(0, over);
      this.dropped += over;
    }
  }
  async readAudit() {
    return { entries: structuredClone(this.audit), dropped: this.dropped };
  }
  async loadNetwork() {
    return { ...this.network };
  }
  async saveNetwork(config: NetworkConfig) {
    this.network = { ...config };
  }
}

export function defaultDecision(capability: string, declared: boolean): Decision {
  if (!declared) return "deny";
  // Exact names: "files" is the app's own namespace, but "files:io" reaches the user's device.
  // A declared message capability is the user's grant (at install or spawn): what a message carries is untrusted data for its receiver, not a device.
  return HARMLESS.has(capability) || OWN_RESOURCES.has(capability) || capability.startsWith("message:") ? "allow" : "ask";
}

export async function digest(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(value) ?? "null");
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a shell tab is told: a prompt to show, or that a prompt was answered (close it). */
export type ConsentEvent = { type: "ask"; request: ConsentRequest } | { type: "settled"; id: string; answer: ConsentAnswer | "error" };

interface Listener {
  owner: string;
  send: (event: ConsentEvent) => void;
}

interface Pending {
  request: ConsentRequest;
  owner: string;
  settle: (answer: ConsentAnswer | KernelError) => void;
}

/** One tool call as the access manager checks it. */
export interface CheckedCall {
  tool: string;
  capability: string;
  summary: string;
  args: unknown;
  /** The data-flow policy's reason to ask the user about this one call (labels.ts), if any. */
  approval?: string;
}

export interface CheckResult {
  by: DecidedBy;
  /** Call once the tool has run (or failed): writes the audit entry. */
  done(outcome: { resultBytes?: number; error?: string; ms?: number }): Promise<void>;
}

export class AccessManager {
  private decisions = new Map<string, Decision>();
  private loaded: Promise<void> | null = null;
  private readonly listeners = new Map<string, Listener>();
  private readonly pending = new Map<string, Pending>();
  /** (pid, capability) pairs the user denied in a prompt: the same process is not asked again. */
  private readonly deniedForProcess = new Set<string>();
  private network: NetworkConfig = {};
  private counter = 0;
  private queued: AuditEntry[] = [];
  private flushing: Promise<void> = Promise.resolve();
  consentTimeoutMs = CONSENT_TIMEOUT_MS;

  constructor(private readonly store: AccessStore = new MemoryAccessStore()) {}

  private key(app: string, capability: string): string {
    return `${app}\u0000${capability}`;
  }

  /** Loads stored decisions and settings (once; every entry point awaits it). */
  ready(): Promise<void> {
    this.loaded ??= (async () => {
      for (const d of await this.store.loadDecisions()) this.decisions.set(this.key(d.app, d.capability), d.decision);
      this.network = await this.store.loadNetwork();
    })().catch((error) => {
      this.loaded = null;
      throw new KernelError("EIO", `access: could not read stored decisions: ${(error as Error).message}`, { cause: error });
    });
    return this.loaded;
  }

  /** Queues an audit entry; the queue is written in one transaction after this turn of the event loop. */
  private record(entry: AuditEntry): void {
    this.queued.push(entry);
    if (this.queued.length > 1) return;
    this.flushing = this.flushing.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            const batch = this.queued;
            this.queued = [];
            this.store.appendAudit(batch).then(resolve, (error: Error) => {
              console.warn(`AIOS: ${batch.length} audit entries could not be written: ${error.message}`);
              resolve();
            });
          }, 0),
        ),
    );
  }

  /** The decision that applies to `proc` using `capability` now (stored decisions count once `ready()` resolved). */
  decisionFor(proc: Pick<Process, "app" | "capabilities">, capability: string): { decision: Decision; source: "user" | "default" } {
    const stored = this.decisions.get(this.key(proc.app, capability));
    if (stored) return { decision: stored, source: "user" };
    return { decision: defaultDecision(capability, declares(proc, capability)), source: "default" };
  }

  /**
   * Checks one call. Resolves when it may run (asking the user where the decision is "ask");
   * throws EPERM, after auditing, when it may not.
   */
  async check(proc: Process, call: CheckedCall, signal?: AbortSignal): Promise<CheckResult> {
    await this.ready();
    const argsDigest = await digest(call.args);
    const base: AuditEntry = {
      at: Date.now(),
      pid: proc.pid,
      app: proc.app,
      tool: call.tool,
      capability: call.capability,
      argsDigest,
      summary: call.summary.slice(0, 200),
      decision: "deny",
      by: "policy",
      ...(proc.label.untrusted.length || proc.label.private.length ? { labels: { untrusted: [...proc.label.untrusted], private: [...proc.label.private] } } : {}),
      ...(call.approval ? { reason: call.approval } : {}),
    };
    const deny = async (by: DecidedBy, message: string): Promise<never> => {
      this.record({ ...base, decision: "deny", by, error: "EPERM" });
      throw new KernelError("EPERM", message);
    };
    const { decision, source } = this.decisionFor(proc, call.capability);
    let by: DecidedBy = "policy";
    if (decision === "deny") {
      const why = source === "user" ? "the user denied it" : `it did not declare ${call.capability} at spawn`;
      await deny("policy", `pid ${proc.pid} (${proc.app}) may not use ${call.capability} for ${call.tool}: ${why}`);
    }
    if (decision === "ask" || call.approval) {
      if (this.deniedForProcess.has(`${proc.pid}\u0000${call.capability}`)) await deny("user-deny", `the user denied ${call.capability} to pid ${proc.pid} (${proc.app})`);
      const answer = await this.ask(proc, call, signal);
      if (answer instanceof KernelError) await deny("no-consent", answer.message);
      else if (answer === "deny") {
        // A denied per-call approval denies that call; a denied capability prompt, the capability for the process.
        if (!call.approval) this.deniedForProcess.add(`${proc.pid}\u0000${call.capability}`);
        await deny("user-deny", call.approval ? `the user did not approve ${call.tool} (${call.summary.slice(0, 120)}): ${call.approval}` : `the user denied ${call.capability} to ${proc.app} for ${call.tool}`);
      } else by = answer === "always" && !call.approval ? "user-always" : "user-once";
    }
    return {
      by,
      done: async (outcome) => this.record({ ...base, decision: "allow", by, ...outcome }),
    };
  }

  /** The user's decision for an app and capability; `null` removes it (the default applies again). */
  async set(app: string, capability: string, decision: Decision | null): Promise<void> {
    await this.ready();
    await this.store.putDecision(app, capability, decision).catch((error: Error) => {
      throw new KernelError("EIO", `access: could not store the decision: ${error.message}`, { cause: error });
    });
    if (decision === null) this.decisions.delete(this.key(app, capability));
    else this.decisions.set(this.key(app, capability), decision);
    for (const key of [...this.deniedForProcess]) if (key.endsWith(`\u0000${capability}`)) this.deniedForProcess.delete(key);
    this.record({ at: Date.now(), pid: 1, app, tool: "access.set", capability, argsDigest: "", summary: `${capability} for ${app}: ${decision ?? "default"}`, decision: decision === "deny" ? "deny" : "allow", by: "user" });
  }

  /** Audits the user's answer to a site (the bridge), or its revocation. */
  recordSite(origin: string, capabilities: string[], decision: "allow" | "deny" | "revoke"): void {
    this.record({ at: Date.now(), pid: 1, app: `site:${origin}`, tool: "sites.connect", capability: "site", argsDigest: "", summary: decision === "revoke" ? `${origin}: the user revoked it` : `${origin} wants to run an agent with: ${capabilities.join(", ") || "no capabilities"}`, decision: decision === "allow" ? "allow" : "deny", by: "user" });
  }

  /** Removes every decision the user made for `app` (it was uninstalled with its data). */
  async forget(app: string): Promise<number> {
    await this.ready();
    const capabilities = [...this.decisions.keys()].map((key) => key.split("\u0000") as [string, string]).filter(([a]) => a === app).map(([, c]) => c);
    for (const capability of capabilities) await this.set(app, capability, null);
    return capabilities.length;
  }

  /** Every stored decision, and the defaults for capabilities live processes declared. */
  async list(live: Array<Pick<Process, "app" | "capabilities">>): Promise<AccessEntry[]> {
    await this.ready();
    const entries = new Map<string, AccessEntry>();
    for (const proc of live) {
      for (const capability of proc.capabilities) {
        const { decision, source } = this.decisionFor(proc, capability);
        entries.set(this.key(proc.app, capability), { app: proc.app, capability, decision, source, declared: true });
      }
    }
    for (const [key, decision] of this.decisions) {
      const [app, capability] = key.split("\u0000") as [string, string];
      const declared = live.some((p) => p.app === app && declares(p, capability));
      entries.set(key, { app, capability, decision, source: "user", declared });
    }
    return [...entries.values()].sort((a, b) => a.app.localeCompare(b.app) || a.capability.localeCompare(b.capability));
  }

  async audit(filter: { pid?: number; app?: string; since?: number; limit?: number } = {}): Promise<{ entries: AuditEntry[]; dropped: number }> {
    await this.flushed();
    const { entries, dropped } = await this.store.readAudit();
    const kept = entries.filter((e) => (filter.pid === undefined || e.pid === filter.pid) && (filter.app === undefined || e.app === filter.app) && (filter.since === undefined || e.at >= filter.since));
    return { entries: filter.limit === undefined ? kept : kept.slice(-filter.limit), dropped };
  }

  /** Resolves once every queued audit entry is written. */
  async flushed(): Promise<void> {
    while (this.queued.length > 0) await this.flushing;
    await this.flushing;
  }

  async networkConfig(): Promise<NetworkConfig> {
    await this.ready();
    return { ...this.network };
  }

  async configureNetwork(config: NetworkConfig): Promise<NetworkConfig> {
    await this.ready();
    await this.store.saveNetwork(config);
    this.network = { ...config };
    return { ...this.network };
  }

  // --- consent prompts -------------------------------------------------------------------------

  /** A shell tab that shows consent prompts; returns a function that stops listening. */
  listen(owner: string, send: (event: ConsentEvent) => void): () => void {
    const id = `listener-${++this.counter}`;
    this.listeners.set(id, { owner, send });
    // A tab opened while prompts wait shows them too: any open tab may answer.
    for (const p of this.pending.values()) {
      try {
        send({ type: "ask", request: p.request });
      } catch {
        // see deliver
      }
    }
    return () => this.unlisten(id);
  }

  private unlisten(id: string): void {
    const listener = this.listeners.get(id);
    if (!listener) return;
    this.listeners.delete(id);
    if (this.listeners.size > 0) return;
    // Every open tab shows every prompt: with the last one gone, nobody is left to ask.
    for (const p of [...this.pending.values()]) p.settle(new KernelError("EPERM", `consent for ${p.request.capability} is needed, and the tab that asked closed`));
  }

  /** Ends every listener of a tab that closed. */
  dropOwner(owner: string): void {
    for (const [id, l] of [...this.listeners]) if (l.owner === owner) this.unlisten(id);
  }

  private listenerOf(owner: string): Listener | undefined {
    return [...this.listeners.values()].find((l) => l.owner === owner);
  }

  /** Shows a prompt in every open AIOS tab (the first answer wins; the others are told to close it). */
  private deliver(p: Pending, owner: string): void {
    p.owner = owner;
    for (const l of this.listeners.values()) {
      try {
        l.send({ type: "ask", request: p.request });
      } catch {
        // A listener whose tab is gone; the tab's end drops it.
      }
    }
  }

  /** Prompts waiting for an answer (a tab opening shows them). */
  pendingRequests(): ConsentRequest[] {
    return [...this.pending.values()].map((p) => p.request);
  }

  /** The user's answer to a prompt (a shell call). */
  answer(id: string, answer: ConsentAnswer): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    p.settle(answer);
    return true;
  }

  private ask(proc: Process, call: CheckedCall, signal?: AbortSignal): Promise<ConsentAnswer | KernelError> {
    const owner = proc.owner && this.listenerOf(proc.owner) ? proc.owner : [...this.listeners.values()].at(-1)?.owner;
    if (owner === undefined) {
      return Promise.resolve(new KernelError("EPERM", `consent is needed: ${proc.app} asks to use ${call.capability} (${call.summary}), and no AIOS tab is open to ask the user`));
    }
    const request: ConsentRequest = {
      id: `consent-${++this.counter}`,
      pid: proc.pid,
      app: proc.app,
      tool: call.tool,
      capability: call.capability,
      summary: call.summary.slice(0, 500),
      arguments: (JSON.stringify(call.args) ?? "").slice(0, 2000),
      at: Date.now(),
      ...(call.approval ? { reason: call.approval } : {}),
    };
    return this.prompt(request, owner, signal, (answer) => {
      // "Always" on a per-call approval is "once": a data-flow approval never becomes a standing grant.
      if (answer === "always" && !call.approval) {
        void this.set(proc.app, call.capability, "allow").catch(() => undefined);
        for (const other of [...this.pending.values()]) if (other.request.app === proc.app && other.request.capability === call.capability) other.settle("once");
      }
    });
  }

  /**
   * Asks the user whether a page on another site may run an agent with `capabilities` (the bridge):
   * shown in an AIOS tab, never in the asking page. Resolves "once" (allowed) or "deny", or a
   * KernelError (no AIOS tab open, no answer in time, the asking page went away).
   */
  askSite(origin: string, capabilities: string[], signal?: AbortSignal): Promise<ConsentAnswer | KernelError> {
    const owner = [...this.listeners.values()].at(-1)?.owner;
    if (owner === undefined) return Promise.resolve(new KernelError("EPERM", `${origin} asks to run an agent, and no AIOS tab is open to ask the user: open AIOS in a tab first`));
    const request: ConsentRequest = {
      id: `consent-${++this.counter}`,
      pid: 0,
      app: `site:${origin}`,
      tool: "sites.connect",
      capability: "site",
      summary: `${origin} wants to run an agent${capabilities.length ? ` with: ${capabilities.join(", ")}` : " (no capabilities)"}`,
      arguments: JSON.stringify({ origin, capabilities }).slice(0, 2000),
      at: Date.now(),
      kind: "site",
    };
    return this.prompt(request, owner, signal, () => undefined);
  }

  private prompt(request: ConsentRequest, owner: string, signal: AbortSignal | undefined, onAnswer: (answer: ConsentAnswer) => void): Promise<ConsentAnswer | KernelError> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(new KernelError("EPERM", `consent for ${request.capability} was not given within ${Math.round(this.consentTimeoutMs / 1000)} s`)), this.consentTimeoutMs);
      const settle = (answer: ConsentAnswer | KernelError) => {
        if (!this.pending.delete(request.id)) return;
        clearTimeout(timer);
        for (const l of this.listeners.values()) {
          try {
            l.send({ type: "settled", id: request.id, answer: answer instanceof KernelError ? "error" : answer });
          } catch {
            // see deliver
          }
        }
        if (!(answer instanceof KernelError)) onAnswer(answer);
        resolve(answer);
      };
      const pending: Pending = { request, owner, settle };
      this.pending.set(request.id, pending);
      // A killed process's prompt goes away.
      signal?.addEventListener("abort", () => settle(new KernelError("EKILLED", `the call asking for ${request.capability} was cancelled`)), { once: true });
      this.deliver(pending, owner);
    });
  }
}
