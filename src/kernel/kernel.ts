/**
 * The kernel: owns the loaded engine, the process table, the requests in flight, the tools and the
 * access manager; serves OpenAI-shaped chat requests through the scheduler, runs tool calls behind
 * the access manager, swaps models. Pure TypeScript; src/rpc/ serves it over ports.
 *
 * Invariants:
 * - `engine` is always a fully loaded engine or null (before boot); a failed load never replaces it.
 * - Every method acts as a pid the caller was given by the transport (the port it came in on),
 *   never one named in a message; a process sees and ends only itself and its descendants.
 * - Every request in flight has one row in `requests` (kill, quotas and process state read it).
 * - Every public method either succeeds or throws a KernelError; none leaves the kernel wedged.
 */
import { AccessManager } from "./access.ts";
import { AppRegistry, type AppInfo, type AppStore } from "./apps/apps.ts";
import { checkOrigin, SITE_PREFIX, SITE_QUOTA, SiteGrants, siteApp, type SiteGrant } from "./apps/sites.ts";
import { validateManifest, type Manifest } from "./apps/manifest.ts";
import { DRAFT_MAX_TOKENS, DRAFT_SYSTEM, MAX_REQUEST_CHARS, draftSchema, draftableCapabilities, manifestFromSpec, reviewOf, type DraftReview } from "./apps/draft.ts";
import { addResult, addSaid, addUntrusted, approvalReason, isTrustedResult, joinLabel } from "./labels.ts";
import { McpConnections } from "./mcp.ts";
import { collaborate, CollaborateSchema, debate, DebateSchema, ensemble, EnsembleSchema, learnEnsemble, LearnSchema, type CollaborateArgs, type CollaborationResult, type DebateArgs, type DebateResult, type EnsembleArgs, type EnsembleResult, type LearnArgs, type LearnedWeights, type PatternPort } from "./patterns.ts";
import { Steering, type Checkpoint, type CheckpointKind, type SteerEdit } from "./steering.ts";
import { MESSAGE_CAPABILITY, PostOffice, TOPIC_PREFIX, type Message, type ReceiveArgs, type SendArgs } from "./messages.ts";
import { newCompletionId, usageOf, validateChatRequest, type ChatCompletion, type ChatCompletionChunk, type ToolCallDelta, type ValidatedChatRequest } from "./chat.ts";
import type { ChatMessage, Device, Engine, EngineName, GenerateParams, LoadProgress, ToolCall, ToolSpec } from "./engine.ts";
import { KernelError, toKernelError } from "./errors.ts";
import { MemoryManager, type MemoryChatEvent, type MemoryPort, type ToolCallRecord } from "./memory/memory.ts";
import type { ModelInfo, ModelSource } from "./models.ts";
import { ProcessTable, SHELL_APP, validateSpawn, type Process, type ProcessExit, type ProcessInfo } from "./process.ts";
import { RequestTable, type RequestRow } from "./requests.ts";
import { validate } from "./schema.ts";
import { Scheduler, validatePolicy, type PolicyConfig, type RequestStats } from "./scheduler.ts";
import type { Embedder } from "./embedders/embedder.ts";
import type { FileStore } from "./storage/files.ts";
import { outputProblem } from "./output-format.ts";
import { ToolCallFilter, parseToolCalls } from "./tool-calls.ts";
import { ruleApproval } from "./tool-rules.ts";
import type { DeviceHosts } from "./devices.ts";
import { ToolRegistry } from "./tools/registry.ts";
import { resultText, type AppFiles, type ToolDriver, type ToolInfo } from "./tools/tool.ts";

export interface EmbedderInfo {
  id: string;
  label: string;
  dim: number;
  /** Shipped with the app (no download). */
  embedded: boolean;
  /** Downloaded already (or embedded). */
  cached: boolean;
  downloadMB: number;
  loaded?: boolean;
}

export interface EmbedderSource {
  list(): Promise<EmbedderInfo[]>;
  load(id: string, onProgress: (p: LoadProgress) => void): Promise<Embedder>;
}

export interface KernelInfo {
  engine: EngineName;
  model: string;
  device: Device;
}

export interface KernelStats {
  /** Models loaded since the kernel started (a second tab attaching adds none). */
  loads: number;
  requests: number;
  last?: GenerationStats;
  policy: PolicyConfig;
  contextSwitches: number;
  /** Continuous batching so far: the most generations decoded together, and the bytes that batch's packed caches took. */
  batches: { largest: number; peakBytes: number };
  /** The most recent requests, oldest first: queueing, first token, run slices, preemptions (a process sees its own). */
  history: RequestStats[];
}

export interface GenerationStats {
  model: string;
  promptTokens: number;
  completionTokens: number;
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Completion tokens after the first, per second of decoding. */
  decodeTokensPerSecond: number;
  /** Milliseconds the engine spent on grammar masks (constrained output only). */
  grammarMs?: number;
}

export interface ChatCallOptions {
  /** The calling process (given by the transport); default: the shell (pid 1). */
  pid?: number;
  /** Names this request for interrupt(id); unique per process. */
  requestId?: string;
  /** Receives chunks when the request has stream: true. */
  onChunk?: (chunk: ChatCompletionChunk) => void;
}

export interface KernelOptions {
  access?: AccessManager;
  tools?: ToolDriver[];
  /** The tabs serving the browser's devices (the device tools forward to them). */
  devices?: DeviceHosts;
  /** Where installed apps persist (memory where absent). */
  appStore?: AppStore;
  /** Apps installed on the first boot that knows them. */
  bundledApps?: Manifest[];
  /** Runs code apps in sandboxes (absent: only natural-language apps launch). */
  codeApps?: CodeAppRuntime;
}

/** What runs code apps (apps/code-apps.ts): a module as a process, stoppable at any moment. */
export interface CodeAppRuntime {
  run(pid: number, owner: string | undefined, source: string, input: unknown): { done: Promise<unknown>; logs: string[]; startMs?: number };
  stop(pid: number, reason: KernelError): boolean;
}

/** An app exported as one file: its manifest and, optionally, its files and memory (a storage export of its namespace). */
export interface AppExport {
  format: typeof APP_EXPORT_FORMAT;
  formatVersion: 1;
  exportedAt: string;
  manifest: Manifest;
  data?: unknown;
}

export const APP_EXPORT_FORMAT = "aios-app";

/** A drafted app, not installed: the manifest, the user's review of it in plain words, an example request. */
export interface AppDraft {
  request: string;
  manifest: Manifest;
  review: DraftReview;
  example: string | null;
  /** Tokens the model wrote, and the draft's time. */
  tokens: number;
  ms: number;
}

/** A test run of a draft: the app's reply and the tools it called. */
export interface AppTrial {
  reply: string;
  toolCalls: ToolCallRecord[];
  tokens: number;
  ms: number;
}

/** A draft's test run is a process of this identity prefix + the draft's id (its files are deleted after). */
export const TRIAL_PREFIX = "trial:";

const DEFAULT_MAX_TOKENS = 256;
/** A code app's launch input, as JSON, at most. */
export const MAX_APP_INPUT_CHARS = 1_000_000;
const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Paths under this prefix are the memory manager's: processes may read them, never change them. */
export const RESERVED_PREFIX = ".memory/";

/** How an app's process is spawned: its name, the capabilities it holds, its instructions and memory settings, its tool rules. */
function appSpawnOptions(m: Manifest, capabilities: string[]) {
  const memory = Object.fromEntries(Object.entries({ system: m.instructions, contextTokens: m.memory?.contextTokens, replyTokens: m.memory?.replyTokens, maxSteps: m.memory?.maxSteps }).filter(([, v]) => v !== undefined));
  return validateSpawn({ name: m.name, capabilities, memory, ...(m.toolRules?.length ? { toolRules: m.toolRules } : {}) });
}

export class Kernel {
  private engine: Engine | null = null;
  /**
   * One model or embedder load at a time (Transformers.js's settings are global): loads queue
   * behind each other, so a load never fails with EBUSY because another (e.g. the encoder the
   * kernel loads after boot) is running.
   */
  private loads: Promise<unknown> = Promise.resolve();
  readonly scheduler = new Scheduler();
  private readonly stats: Pick<KernelStats, "loads" | "requests" | "last"> = { loads: 0, requests: 0 };
  readonly procs = new ProcessTable();
  readonly requests = new RequestTable();
  readonly tools = new ToolRegistry();
  /** MCP servers the user connected; their tools are in `tools` as mcp.<name>.<tool>. */
  readonly mcp = new McpConnections(this.tools);
  readonly access: AccessManager;
  /** The tabs that serve devices; absent where no page can (Node). */
  readonly devices: DeviceHosts | null;
  /** The installed apps: manifests and what the user granted them. */
  readonly apps: AppRegistry;
  /** Pages on other origins the user let run agents (the bridge), and those refused. */
  readonly sites: SiteGrants;
  /** Agents' mailboxes (messages.ts); installed apps' survive a restart. */
  readonly messages: PostOffice;
  /** Paused processes and the steps they wait at for the user (steering.ts). */
  readonly steering: Steering;
  /** The question to the user about a site, while it is open (one per origin). */
  private readonly siteAsks = new Map<string, Promise<void>>();
  /** The code apps' sandboxes, where this kernel has them. */
  codeApps: CodeAppRuntime | null;
  /** Callers of `wait` per pid, told when it ends. */
  private readonly waiters = new Map<number, Array<(exit: ProcessExit) => void>>();
  /** pid 1: the shell (the user), which page calls without a process of their own run as. */
  readonly shellPid: number;
  private readonly shell: Process;

  /** The file system (IndexedDB), once mounted; apps' files live in their app's namespace. */
  private files: FileStore | null = null;
  private filesProblem = "the file system is not mounted";
  /** Context windows as memory: conversations, paging, core blocks, recall, the tool loop. */
  readonly memory: MemoryManager;
  /** Where embedding models come from (the worker supplies Transformers.js's catalog). */
  private embedders: EmbedderSource | null = null;
  private embedder: Embedder | null = null;

  constructor(
    private readonly sources: ModelSource[],
    options: KernelOptions = {},
  ) {
    this.access = options.access ?? new AccessManager();
    this.devices = options.devices ?? null;
    this.shell = this.procs.spawnShell([]);
    this.shellPid = this.shell.pid;
    this.addTools(...(options.tools ?? []));
    this.memory = new MemoryManager(this.memoryPort());
    this.apps = new AppRegistry({ store: options.appStore, bundled: options.bundledApps, checkCapability: (c) => this.checkCapabilityName(c) });
    this.codeApps = options.codeApps ?? null;
    this.sites = new SiteGrants(options.appStore);
    this.messages = new PostOffice({ store: options.appStore, persistent: (app) => this.apps.installed(app), exists: (app) => app === SHELL_APP || this.apps.installed(app) || this.procs.all().some((p) => p.app === app && !p.done) });
    // The user may message anyone.
    this.shell.capabilities.push(`${MESSAGE_CAPABILITY}:*`);
    this.steering = new Steering(
      (pid) => this.procs.lineage(pid),
      () => this.scheduler.wake(),
    );
    this.scheduler.held = (pid) => this.steering.held(pid);
  }

  // --- tools -------------------------------------------------------------------------------------

  /** Registers tools; the shell (the user) may declare-use every capability they need. */
  addTools(...drivers: ToolDriver[]): void {
    this.tools.add(...drivers);
    for (const d of drivers) {
      for (const label of [this.tools.capabilityLabel(d), ...(d.capabilities ?? [])]) {
        const capability = label.includes("<") ? `${label.split(":")[0]}:*` : label;
        if (!this.shell.capabilities.includes(capability)) this.shell.capabilities.push(capability);
      }
    }
  }

  listTools(): ToolInfo[] {
    return this.tools.list();
  }

  /** The tools a process may be offered: those whose capability is not denied to it. */
  toolsFor(pid: number): ToolSpec[] {
    const proc = this.procs.live(pid);
    return this.tools
      .all()
      .filter((d) => this.mayOffer(proc, d))
      .map((d) => this.tools.spec(d.name));
  }

  private mayOffer(proc: Process, driver: ToolDriver): boolean {
    const label = this.tools.capabilityLabel(driver);
    if (!label.includes("<")) return this.access.decisionFor(proc, label).decision !== "deny";
    const family = label.split(":")[0]!;
    return proc.capabilities.some((c) => c.split(":")[0] === family);
  }

  /**
   * Runs one tool call as process `pid`: arguments validated against the tool's schema, the
   * capability checked by the access manager (asking the user where needed), run with a time
   * limit, audited. Throws EINVAL, ENOENT, EPERM, ETIMEDOUT, EIO, EKILLED.
   */
  async callTool(pid: number, name: unknown, rawArgs: unknown, options: { signal?: AbortSignal; timing?: { runMs: number } } = {}): Promise<unknown> {
    const proc = this.procs.live(pid);
    if (typeof name !== "string") throw new KernelError("EINVAL", "name: must be a tool name string");
    const driver = this.tools.get(name);
    const args = validate(driver.parameters, rawArgs ?? {}, "args");
    const capability = driver.capability(args);
    const summary = driver.describe(args);
    const row = this.requests.admit(proc, { kind: "tool" });
    const onAbort = () => row.controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    proc.toolCalls++;
    const started = performance.now();
    try {
      // The data-flow policy (labels.ts): what the process has been given decides whether this call needs the user's approval for itself.
      const approval = approvalReason(proc.label, driver, summary, args) ?? ruleApproval(proc.toolRules, name) ?? undefined;
      const check = await this.access.check(proc, { tool: name, capability, summary, args, ...(approval ? { approval } : {}) }, row.controller.signal);
      const timeoutMs = driver.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
      const timer = setTimeout(() => row.controller.abort(new KernelError("ETIMEDOUT", `${name} took longer than ${timeoutMs} ms`)), timeoutMs);
      row.running = true;
      try {
        const aborted = new Promise<never>((_, reject) => {
          const fail = () => reject(toKernelError(row.controller.signal.reason ?? new KernelError("EKILLED", `the call to ${name} was cancelled`)));
          if (row.controller.signal.aborted) fail();
          else row.controller.signal.addEventListener("abort", fail, { once: true });
        });
        aborted.catch(() => undefined);
        const network = await this.access.networkConfig();
        const runStarted = performance.now();
        const result = await Promise.race([driver.run(args, { pid: proc.pid, app: proc.app, signal: row.controller.signal, files: this.appFiles(proc), network }), aborted]).finally(() => {
          if (options.timing) options.timing.runMs = performance.now() - runStarted;
        });
        await check.done({ resultBytes: resultText(result).length, ms: Math.round(performance.now() - started) });
        addResult(proc.label, driver, summary, result);
        return result;
      } catch (error) {
        const e = toKernelError(error, "EIO");
        // An error's text can carry what the other side said too.
        addResult(proc.label, driver, summary);
        await check.done({ error: e.code, ms: Math.round(performance.now() - started) });
        throw e;
      } finally {
        clearTimeout(timer);
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.requests.release(row);
    }
  }

  /** An app's own files as tools see them; the kernel's `.memory/` is read-only to them. */
  private appFiles(proc: Process): AppFiles {
    const fs = () => this.filesOf(proc.pid).files;
    const guard = (path: string) => {
      if (isReserved(path)) throw new KernelError("EPERM", `${path}: ${RESERVED_PREFIX} belongs to the kernel's memory manager`);
      return path;
    };
    return {
      read: async (path) => {
        const r = await fs().read(proc.app, path);
        return { path: r.path, version: r.version, content: r.content, type: r.type };
      },
      write: (path, content) => fs().write(proc.app, guard(path), content),
      list: async (prefix) => (await fs().list(proc.app, prefix)).filter((f) => !isReserved(f.path)),
      search: async (query, k = 3) => (await fs().search(proc.app, query, { k: Math.min(100, k + 8) })).filter((h) => !isReserved(h.path)).slice(0, k),
    };
  }

  // --- embedders ---------------------------------------------------------------------------------

  setEmbedderSource(source: EmbedderSource): void {
    this.embedders = source;
  }

  async listEmbedders(): Promise<EmbedderInfo[]> {
    await this.files?.embedderSettled();
    const current = this.files?.embedderId ?? null;
    return (await this.embedders?.list())?.map((e) => ({ ...e, loaded: e.id === current })) ?? [];
  }

  /** Loads an embedding model and gives it to the file system (vector and hybrid search, recall). */
  async loadEmbedder(id: unknown, onProgress: (p: LoadProgress) => void = () => {}): Promise<EmbedderInfo> {
    if (typeof id !== "string" || id.length === 0 || id.length > 256) throw new KernelError("EINVAL", "id: must be an embedding model id string");
    const embedders = this.embedders;
    const files = this.files;
    if (!embedders) throw new KernelError("ENOTSUP", "this kernel has no embedding models");
    if (!files) throw new KernelError("ENOTREADY", this.filesProblem);
    const load = this.queued(async () => {
      const entry = (await embedders.list()).find((e) => e.id === id);
      if (!entry) throw new KernelError("ENOENT", `id: no embedding model ${id} (see aios.embedders.list())`);
      if (files.embedderId === id) return { ...entry, loaded: true };
      const next = await embedders.load(id, onProgress).catch((e) => {
        throw toKernelError(e, "ELOAD");
      });
      const previous = this.embedder;
      this.embedder = next;
      files.attachEmbedder(next);
      await previous?.unload().catch(() => undefined);
      return { ...entry, loaded: true };
    });
    // Registered before anything is awaited: a write or search issued right after this call
    // (e.g. right after boot) already waits for the encoder.
    files.embedderLoading(load);
    return load;
  }

  /** Runs `load` once every load queued before it has settled. */
  private queued<T>(load: () => Promise<T>): Promise<T> {
    const run = this.loads.then(load, load);
    this.loads = run.catch(() => undefined);
    return run;
  }

  mountFiles(files: FileStore | null, problem?: string): void {
    this.files = files;
    if (problem) this.filesProblem = `the file system could not be mounted: ${problem}`;
  }

  /**
   * The file system and the calling process's namespace (its app: data outlives the process).
   * The shell (the user) may name another app's namespace.
   */
  filesOf(pid: number, namespace?: string): { files: FileStore; ns: string } {
    const proc = this.procs.live(pid);
    if (!this.files) throw new KernelError("ENOTREADY", this.filesProblem);
    if (namespace !== undefined && namespace !== proc.app && pid !== this.shellPid) throw new KernelError("EPERM", `pid ${pid} (${proc.app}) may not use namespace ${namespace}`);
    return { files: this.files, ns: namespace ?? proc.app };
  }

  // --- processes ---------------------------------------------------------------------------------

  /** Spawns a process as `callerPid` (the shell: any app name; a process: a child of its own app). */
  spawn(options: unknown, placement: { caller?: number; owner?: string } = {}): ProcessInfo {
    const caller = this.procs.live(placement.caller ?? this.shellPid);
    const valid = validateSpawn(options);
    for (const capability of valid.capabilities ?? []) this.checkCapabilityName(capability);
    // An installed app's identity is its id: no one else's process may take its namespace or decisions.
    if (caller.pid === this.shellPid && this.apps.installed(valid.name)) throw new KernelError("EPERM", `name: ${valid.name} is an installed app's id; launch it with aios.apps.launch("${valid.name}")`);
    if (caller.pid === this.shellPid && valid.name.startsWith(SITE_PREFIX)) throw new KernelError("EPERM", `name: ${SITE_PREFIX}… names a site's identity; sites connect through the bridge`);
    if (caller.pid === this.shellPid && valid.name.startsWith(TRIAL_PREFIX)) throw new KernelError("EPERM", `name: ${TRIAL_PREFIX}… names a draft's test run; use aios.apps.try`);
    const proc = this.procs.spawn(valid, { parent: caller, owner: placement.owner ?? caller.owner });
    return this.info(proc);
  }

  private checkCapabilityName(capability: string): void {
    const [family, ...rest] = capability.split(":");
    const qualifier = rest.join(":");
    // Messages are the kernel's own: message:<app>, message:topic:<name> or message:*.
    if (family === MESSAGE_CAPABILITY) {
      if (!qualifier) throw new KernelError("EINVAL", `capabilities: ${capability}: must be ${MESSAGE_CAPABILITY}:<app>, ${MESSAGE_CAPABILITY}:topic:<name> or ${MESSAGE_CAPABILITY}:*`);
      return;
    }
    if (!this.tools.families().has(family!)) throw new KernelError("EINVAL", `capabilities: no tool needs ${capability} (known: ${[...this.tools.families()].join(", ")})`);
    if (family !== "network" && !this.tools.capabilities().has(capability)) {
      throw new KernelError("EINVAL", `capabilities: no tool needs ${capability} (the ${family} tools need ${[...this.tools.capabilities()].filter((c) => c.split(":")[0] === family).join(", ")})`);
    }
    if (family === "network" && qualifier !== "*" && !/^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(:\d{1,5})?$/.test(qualifier)) throw new KernelError("EINVAL", `capabilities: ${capability}: must be network:<host>, network:<host>:<port> or network:*`);
  }

  info(proc: Process): ProcessInfo {
    const info = this.procs.info(proc, this.requests.stateOf(proc.pid));
    if (proc.done) return info;
    const checkpoint = this.steering.checkpointOf(proc.pid);
    const by = this.steering.heldBy(proc.pid);
    return { ...info, ...(by !== undefined ? { paused: true as const, pausedBy: by } : {}), ...(checkpoint ? { checkpoint } : {}) };
  }

  /** What `callerPid` may see: the shell every process; a process itself and its descendants. */
  ps(callerPid: number = this.shellPid): ProcessInfo[] {
    this.procs.live(callerPid);
    return this.procs
      .all()
      .filter((p) => callerPid === this.shellPid || this.procs.descendsFrom(p.pid, callerPid))
      .map((p) => this.info(p));
  }

  /**
   * Ends a process: its queued and running requests and tool calls reject with EKILLED. The shell
   * may end any process but itself; a process itself and its descendants.
   */
  kill(pid: unknown, callerPid: number = this.shellPid): ProcessInfo {
    const proc = this.procs.live(pid);
    if (proc.pid === this.shellPid) throw new KernelError("EPERM", "pid 1 (shell) cannot be killed");
    if (callerPid !== this.shellPid && !this.procs.descendsFrom(proc.pid, callerPid)) throw new KernelError("EPERM", `pid ${callerPid} may end only itself and the processes it spawned, not pid ${proc.pid}`);
    this.end(proc, { status: "killed", error: { code: "EKILLED", message: `killed by pid ${callerPid}${callerPid === this.shellPid ? " (the user)" : ""}` }, at: Date.now() });
    return this.info(proc);
  }

  /** Ends every live process owned by `owner` (a tab that closed); returns how many. */
  endOwner(owner: string): number {
    this.access.dropOwner(owner);
    const procs = this.procs.all().filter((p) => p.owner === owner && !p.done);
    for (const p of procs) if (!p.done) this.kill(p.pid);
    return procs.length;
  }

  // --- apps --------------------------------------------------------------------------------------

  /**
   * Launches an installed app as a process of its own identity (app = its id): its instructions
   * are its system prompt, its memory settings and tool rules apply, and it holds the capabilities
   * the user granted (not an update's pending ones). ENOTSUP when the loaded model's window is
   * smaller than the manifest's minimum.
   */
  async launch(id: string, placement: { owner?: string; input?: unknown } = {}): Promise<ProcessInfo & { kind: Manifest["kind"] }> {
    const app = await this.apps.get(id);
    const m = app.manifest;
    const window = this.contextLength();
    if (m.model?.minContextTokens !== undefined && window < m.model.minContextTokens) {
      throw new KernelError("ENOTSUP", `${m.name} needs a model with at least ${m.model.minContextTokens} tokens of context; ${this.kernelInfo().model} has ${window}${m.model.preferred?.length ? ` (it prefers ${m.model.preferred.join(", ")})` : ""}`);
    }
    if (m.kind === "code" && !this.codeApps) throw new KernelError("ENOTSUP", `${m.name} is a code app and this kernel has no sandbox to run it in`);
    const inputChars = placement.input === undefined ? 0 : (JSON.stringify(placement.input) ?? "").length;
    if (inputChars > MAX_APP_INPUT_CHARS) throw new KernelError("EINVAL", `input: ${inputChars} characters of JSON is over the ${MAX_APP_INPUT_CHARS} a launch may carry (give the app a file instead)`);
    const capabilities = m.capabilities.filter((c) => app.granted.includes(c));
    const proc = this.procs.spawn(appSpawnOptions(m, capabilities), { owner: placement.owner, app: m.id });
    try {
      if (m.memory?.blocks?.length) {
        const have = new Set((await this.memory.getBlocks(proc.pid)).map((b) => b.label));
        for (const b of m.memory.blocks) if (!have.has(b.label)) await this.memory.setBlock(proc.pid, b.label, b.value, { limit: b.limit });
      }
    } catch (error) {
      this.kill(proc.pid);
      throw error;
    }
    if (m.kind === "code") {
      // The module runs in its sandbox as this process; its end (result, error, runaway) ends the process.
      const run = this.codeApps!.run(proc.pid, placement.owner, m.entry!, placement.input ?? null);
      run.done.then(
        // An app with a view lives on after its module's main: its window acts as the app until it closes (a kill).
        (value) => (m.view ? undefined : this.end(proc, { status: "exited", value, logs: run.logs, ...(run.startMs !== undefined ? { startMs: run.startMs } : {}), at: Date.now() })),
        (error: unknown) => {
          const e = toKernelError(error);
          this.end(proc, { status: "failed", error: { code: e.code, message: e.message }, logs: run.logs, ...(run.startMs !== undefined ? { startMs: run.startMs } : {}), at: Date.now() });
        },
      );
    }
    return { ...this.info(proc), kind: m.kind };
  }

  /**
   * Resolves with how `pid` ended, once it has (at once if it had). The shell may wait for any
   * process; a process for itself and its descendants.
   */
  async wait(pid: number, callerPid: number = this.shellPid): Promise<ProcessExit> {
    const proc = this.procs.get(pid);
    if (!proc) throw new KernelError("ENOENT", `pid ${pid}: no such process`);
    if (callerPid !== this.shellPid && !this.procs.descendsFrom(pid, callerPid)) throw new KernelError("EPERM", `pid ${callerPid} may wait only for itself and the processes it spawned, not pid ${pid}`);
    if (proc.done) return structuredClone(proc.exit ?? { status: "killed", at: Date.now() });
    return new Promise<ProcessExit>((resolve) => {
      const list = this.waiters.get(pid) ?? [];
      list.push(resolve);
      this.waiters.set(pid, list);
    });
  }

  /** Ends a process with `exit`: its children and requests end (EKILLED), its sandbox stops, waiters are told. */
  private end(proc: Process, exit: ProcessExit): void {
    if (proc.done) return;
    const reason = new KernelError("EKILLED", exit.status === "killed" ? `pid ${proc.pid} (${proc.name}) was killed` : `pid ${proc.pid} (${proc.name}) has exited`);
    for (const child of this.procs.all().filter((p) => !p.done && p.parent === proc.pid)) this.kill(child.pid);
    proc.exit = exit;
    this.procs.end(proc);
    this.requests.abort(proc.pid, reason);
    // Its held jobs are let go, to end as aborted.
    this.steering.forget(proc.pid);
    this.scheduler.wake();
    this.codeApps?.stop(proc.pid, reason);
    const waiting = this.waiters.get(proc.pid) ?? [];
    this.waiters.delete(proc.pid);
    for (const tell of waiting) tell(structuredClone(exit));
  }

  /**
   * Installs an app from its manifest (an object or JSON text) or an app file (`exportApp`'s, a
   * Blob or its text), with the file's files and memory unless `data` is false. All or nothing: if
   * the data cannot be imported the app is not installed.
   */
  async installApp(source: unknown, options: { data?: boolean } = {}): Promise<AppInfo & { imported?: { files: number; versions: number } }> {
    let value = source;
    if (typeof Blob !== "undefined" && source instanceof Blob) value = await source.text();
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (error) {
        throw new KernelError("EINVAL", `source: neither a manifest nor an app file: not JSON (${(error as Error).message})`);
      }
    }
    const file = typeof value === "object" && value !== null && (value as { format?: unknown }).format === APP_EXPORT_FORMAT ? (value as AppExport) : null;
    if (file && file.formatVersion !== 1) throw new KernelError("EINVAL", `source.formatVersion: must be 1 (got ${JSON.stringify(file.formatVersion)})`);
    const app = await this.apps.install(file ? file.manifest : value);
    if (!file?.data || options.data === false) return app;
    const id = app.manifest.id;
    try {
      const { files } = this.filesOf(this.shellPid);
      const imported = await files.import(JSON.stringify(file.data), { namespace: id });
      return { ...app, imported };
    } catch (error) {
      await this.apps.remove(id).catch(() => undefined);
      const e = toKernelError(error);
      throw new KernelError(e.code, `${id} was not installed: its data could not be imported: ${e.message}`, { cause: error });
    }
  }

  /**
   * A page on `origin` (as the browser reported it to the bridge) asks to run an agent with
   * `capabilities`. The first time — or when it asks for more than it was allowed — the user is
   * asked in an AIOS tab; a site the user denied is refused without asking. Allowed: a process of
   * the site's own identity (`site:<origin>`: namespace, decisions) with those capabilities and the
   * sites' quotas, owned by the bridge's tab (it ends when the page goes).
   */
  async connectSite(origin: unknown, capabilities: string[], placement: { owner?: string; signal?: AbortSignal } = {}): Promise<ProcessInfo> {
    const o = checkOrigin(origin);
    const wanted = [...new Set(capabilities)];
    for (const c of wanted) this.checkCapabilityName(c);
    const grant = await this.sites.get(o);
    if (grant?.decision === "deny") throw new KernelError("EPERM", `the user denied ${o} running agents (they can clear that in Permissions)`);
    const allowed = grant?.decision === "allow" ? grant.capabilities : null;
    if (!allowed || wanted.some((c) => !allowed.includes(c))) {
      // One question per site at a time: a page that connects again and again while the user
      // decides gets that answer, not a pile of prompts.
      const asking = this.siteAsks.get(o);
      if (asking) {
        await asking.catch(() => undefined);
        return this.connectSite(o, capabilities, placement);
      }
      const asked = [...new Set([...(allowed ?? []), ...wanted])];
      const ask = (async () => {
        const answer = await this.access.askSite(o, asked, placement.signal);
        if (answer instanceof KernelError) throw answer;
        if (answer === "deny") {
          if (!allowed) await this.sites.decide(o, "deny", asked);
          this.access.recordSite(o, asked, "deny");
          throw new KernelError("EPERM", allowed ? `the user did not allow ${o} more than ${allowed.join(", ") || "no capabilities"}` : `the user denied ${o} running agents`);
        }
        await this.sites.decide(o, "allow", asked);
        this.access.recordSite(o, asked, "allow");
      })();
      this.siteAsks.set(o, ask);
      try {
        await ask;
      } finally {
        this.siteAsks.delete(o);
      }
    }
    const name = new URL(o).host.slice(0, 64);
    const proc = this.procs.spawn(validateSpawn({ name, capabilities: wanted, quota: { ...SITE_QUOTA } }), { owner: placement.owner, app: siteApp(o) });
    return this.info(proc);
  }

  /** Sites that asked, with the user's answer and their live processes. */
  async listSites(): Promise<Array<SiteGrant & { app: string; live: number }>> {
    const live = this.procs.all().filter((p) => !p.done);
    return (await this.sites.list()).map((g) => ({ ...g, app: siteApp(g.origin), live: live.filter((p) => p.app === siteApp(g.origin)).length }));
  }

  /** Forgets the user's answer for a site: its live processes end now; it must ask again to connect. */
  async revokeSite(origin: unknown): Promise<{ origin: string; processes: number }> {
    const o = checkOrigin(origin);
    const live = this.procs.all().filter((p) => p.app === siteApp(o) && !p.done);
    for (const p of live) if (!p.done) this.kill(p.pid);
    if (!(await this.sites.forget(o)) && live.length === 0) throw new KernelError("ENOENT", `origin: ${o} has not asked to run agents`);
    this.access.recordSite(o, [], "revoke");
    return { origin: o, processes: live.length };
  }

  /** One file with the app's manifest and, with `data`, its files and memory (its namespace). */
  async exportApp(id: string, options: { data?: boolean } = {}): Promise<Blob> {
    const app = await this.apps.get(id);
    const doc: AppExport = { format: APP_EXPORT_FORMAT, formatVersion: 1, exportedAt: new Date().toISOString(), manifest: app.manifest };
    if (options.data) doc.data = JSON.parse(await (await this.filesOf(this.shellPid).files.export(id)).text());
    return new Blob([JSON.stringify(doc)], { type: "application/json" });
  }

  /**
   * Uninstalls an app: its live processes end; unless `keepData`, its files, memory and the
   * user's access decisions for it go too (kept by default: reinstalling it finds them).
   */
  async uninstallApp(id: string, options: { keepData?: boolean } = {}): Promise<{ id: string; processes: number; files: number }> {
    await this.apps.get(id);
    const live = this.procs.all().filter((p) => p.app === id && !p.done);
    for (const p of live) if (!p.done) this.kill(p.pid);
    await this.apps.remove(id);
    let removed = 0;
    if (options.keepData === false) {
      removed = await this.removeFiles(id);
      await this.access.forget(id);
      await this.messages.forget(id);
    }
    return { id, processes: live.length, files: removed };
  }

  /** Deletes every file (and the memory kept in files) of namespace `ns`, or those under `prefix`; returns how many. */
  private async removeFiles(ns: string, prefix?: string): Promise<number> {
    const { files } = this.filesOf(this.shellPid);
    let removed = 0;
    for (const f of await files.list(ns, prefix)) {
      await files.remove(ns, f.path);
      removed++;
    }
    return removed;
  }

  // --- messages between agents ----------------------------------------------------------------------

  /**
   * Sends a message as process `pid` (its app is the sender: never a field of the message). Needs
   * `message:<to>` (a topic: `message:topic:<name>`) or `message:*`, checked and audited by the
   * access manager. EAGAIN when a recipient's mailbox is full.
   */
  async sendMessage(pid: number, args: SendArgs): Promise<Message> {
    const proc = this.procs.live(pid);
    const capability = `${MESSAGE_CAPABILITY}:${args.to}`;
    await this.access.check(proc, { tool: "messages.send", capability, summary: `${args.performative} to ${args.to}`, args: { to: args.to, performative: args.performative, conversation: args.conversation } });
    return this.messages.send({ app: proc.app, pid: proc.pid }, args);
  }

  /**
   * The next message to process `pid`'s app, waiting up to `timeoutMs`. What it carries is
   * untrusted data for the receiver: its label says so (labels.ts), whatever the sender was.
   */
  async receiveMessage(pid: number, args: ReceiveArgs): Promise<Message> {
    const proc = this.procs.live(pid);
    const row = this.requests.admit(proc, { kind: "message" });
    try {
      const message = await this.messages.receive(proc.app, args, row.controller.signal);
      if (proc.app !== SHELL_APP) addUntrusted(proc.label, `a message from ${message.from}`);
      return message;
    } finally {
      this.requests.release(row);
    }
  }

  /** Process `pid`'s app gets the messages sent to `topic:<topic>` from now on. */
  subscribe(pid: number, topic: string): Promise<{ topics: string[] }> {
    return this.messages.subscribe(this.procs.live(pid).app, topic);
  }

  unsubscribe(pid: number, topic: string): Promise<{ topics: string[] }> {
    return this.messages.unsubscribe(this.procs.live(pid).app, topic);
  }

  // --- patterns of agents (patterns.ts) ---------------------------------------------------------------

  /** N members answer `question` in parallel as children of `pid` (decoded together); a weighted vote or a merge step combines them. */
  async ensemble(pid: number, raw: EnsembleArgs): Promise<EnsembleResult> {
    this.procs.live(pid);
    return ensemble(this.patternPort(), pid, validate(EnsembleSchema, raw, "args"));
  }

  /** Tells a named ensemble of `pid`'s app the right answer to its last question; its members' weights change and persist. */
  async learnEnsemble(pid: number, raw: LearnArgs): Promise<LearnedWeights> {
    this.procs.live(pid);
    return learnEnsemble(this.patternPort(), pid, validate(LearnSchema, raw, "args"));
  }

  /** Two debaters argue for N rounds as children of `pid`; a judge decides. */
  async debate(pid: number, raw: DebateArgs): Promise<DebateResult> {
    this.procs.live(pid);
    return debate(this.patternPort(), pid, validate(DebateSchema, raw, "args"));
  }

  /** A planner splits `task`, workers do the steps in parallel, the planner merges; scratch files in `pid`'s namespace. */
  async collaborate(pid: number, raw: CollaborateArgs): Promise<CollaborationResult> {
    this.procs.live(pid);
    return collaborate(this.patternPort(), pid, validate(CollaborateSchema, raw, "args"));
  }

  private patternPort(): PatternPort {
    return {
      spawnChild: (parent, name, { tools }) => {
        const caller = this.procs.live(parent);
        // A member that uses tools holds what its caller declared (a child never gets more).
        const capabilities = tools ? caller.capabilities.filter((c) => c.split(":")[0] !== MESSAGE_CAPABILITY) : [];
        return this.spawn({ name, capabilities }, { caller: parent }).pid;
      },
      chat: (member, request) => this.chat(request, { pid: member }),
      tools: (member) => this.toolsFor(member),
      callTool: (member, name, args) => this.callTool(member, name, args),
      kill: (member, caller) => void this.kill(member, caller),
      handOff: (conversation, from, to, performative) => {
        const a = this.procs.get(from);
        const b = this.procs.get(to);
        if (!a || !b) return;
        // A pattern's agents are children sharing their caller's app: each is drawn as app/name (a top process as its app).
        const lane = (p: Process) => (p.parent === undefined ? p.app : `${p.app}/${p.name}`);
        this.messages.note({ conversation, from: lane(a), fromPid: a.pid, to: lane(b), performative });
      },
      joinLabel: (into, from) => {
        const reader = this.procs.get(into);
        const writer = this.procs.get(from);
        if (reader && writer) joinLabel(reader.label, writer.label);
      },
      checkpoint: (member, kind, value) => this.checkpoint(member, kind, value),
      writeFile: async (caller, path, content) => {
        const { files, ns } = this.filesOf(caller);
        await files.write(ns, path, content as never, undefined, { index: !isReserved(path) });
      },
      readFile: async (caller, path) => {
        const { files, ns } = this.filesOf(caller);
        return (await files.read(ns, path)).content;
      },
      removeFiles: async (caller, prefix) => void (await this.removeFiles(this.procs.live(caller).app, prefix)),
    };
  }

  // --- interrupt and steer (steering.ts) ------------------------------------------------------------

  /** The user or an ancestor may pause, steer and resume a process; a process never itself. */
  private steerable(pid: unknown, callerPid: number): Process {
    const proc = this.procs.live(pid);
    if (proc.pid === this.shellPid) throw new KernelError("EPERM", "pid 1 (shell) cannot be paused");
    if (callerPid !== this.shellPid && (proc.pid === callerPid || !this.procs.descendsFrom(proc.pid, callerPid))) throw new KernelError("EPERM", `pid ${callerPid} may pause and steer only the processes it spawned, not pid ${proc.pid}`);
    return proc;
  }

  /** Holds a process and its descendants: no generation of theirs runs, and they stop at their next step (tool calls, a plan). */
  pause(pid: unknown, callerPid: number = this.shellPid): ProcessInfo {
    const proc = this.steerable(pid, callerPid);
    this.steering.pause(proc.pid);
    return this.info(proc);
  }

  /** Lets a paused process go on (`step`: until its next step, where it pauses again). */
  resume(pid: unknown, callerPid: number = this.shellPid, options: { step?: boolean } = {}): ProcessInfo {
    const proc = this.steerable(pid, callerPid);
    this.steering.resume(proc.pid, options);
    return this.info(proc);
  }

  /** Edits the step a paused process waits at (its tool calls or its plan) and/or gives it the user's note. */
  steer(pid: unknown, edit: SteerEdit, callerPid: number = this.shellPid): Checkpoint {
    const proc = this.steerable(pid, callerPid);
    return this.steering.steer(proc.pid, edit);
  }

  /** A process reached a step: it waits here while held (a kill ends the wait). */
  private async checkpoint(pid: number, kind: CheckpointKind, value: unknown): Promise<SteerEdit> {
    const proc = this.procs.live(pid);
    if (!this.steering.held(pid) && !this.steering.isStepping(pid)) return {};
    const row = this.requests.admit(proc, { kind: "pause" });
    try {
      return await this.steering.checkpoint(pid, kind, value, row.controller.signal);
    } finally {
      this.requests.release(row);
    }
  }

  // --- natural-language programming ----------------------------------------------------------------

  /**
   * Drafts an app for a request in the user's words: the loaded model writes an app spec under a
   * JSON-Schema grammar (draft.ts), which becomes a manifest that always validates. Nothing is
   * installed: the user reviews it (`review`), may try it (`tryApp`), and installs it. The model's
   * tokens stream to `onChunk` (the shell shows the draft being written).
   */
  async draftApp(request: unknown, options: { onChunk?: (chunk: ChatCompletionChunk) => void } = {}): Promise<AppDraft> {
    if (typeof request !== "string" || !request.trim()) throw new KernelError("EINVAL", "request: say what the app should do, e.g. \"make me an app that converts units\"");
    if (request.length > MAX_REQUEST_CHARS) throw new KernelError("EINVAL", `request: ${request.length} characters is over the ${MAX_REQUEST_CHARS} a draft takes`);
    const known = draftableCapabilities(this.tools.capabilities());
    const started = performance.now();
    const completion = await this.chat(
      {
        messages: [
          { role: "system", content: DRAFT_SYSTEM },
          { role: "user", content: request.trim() },
        ],
        response_format: { type: "json_schema", json_schema: { name: "app", schema: draftSchema(known), strict: true } },
        max_tokens: DRAFT_MAX_TOKENS,
        temperature: 0,
        stream: options.onChunk !== undefined,
      },
      { pid: this.shellPid, onChunk: options.onChunk },
    );
    const choice = completion.choices[0]!;
    if (choice.finish_reason === "length") throw new KernelError("EINVAL", `draft: the model's app ran over ${DRAFT_MAX_TOKENS} tokens before it was complete; say it more simply, or load a larger model`);
    let spec: unknown;
    try {
      spec = JSON.parse(choice.message.content ?? "");
    } catch (error) {
      throw new KernelError("EIO", `draft: the model's reply was not the app's JSON (${(error as Error).message})`, { cause: error });
    }
    const taken = (await this.apps.list()).map((a) => a.manifest.id);
    const manifest = manifestFromSpec(spec, { known, taken });
    const example = typeof (spec as { example?: unknown }).example === "string" ? ((spec as { example: string }).example.trim().slice(0, 500) || null) : null;
    const toolsByCapability = new Map<string, string[]>();
    for (const t of this.tools.list()) {
      const c = t.capability.includes("<") ? `${t.capability.split(":")[0]}:*` : t.capability;
      toolsByCapability.set(c, [...(toolsByCapability.get(c) ?? []), t.name]);
    }
    return { request: request.trim(), manifest, review: reviewOf(manifest, toolsByCapability), example, tokens: completion.usage.completion_tokens, ms: Math.round(performance.now() - started) };
  }

  /**
   * A test run of an app that is not installed (a draft under review): one turn of its agent
   * loop on `input`, as a process of its own identity (`trial:<id>`) declaring the manifest's
   * capabilities — the user asked for this run after seeing them; sensitive ones still ask as they
   * would for the installed app. The process, its files and its memory are gone afterwards.
   */
  async tryApp(rawManifest: unknown, input: unknown, options: { owner?: string; onChunk?: (e: MemoryChatEvent) => void } = {}): Promise<AppTrial> {
    const manifest = validateManifest(rawManifest);
    if (manifest.kind !== "nl") throw new KernelError("ENOTSUP", "tryApp: only natural-language apps can be tried before they are installed");
    for (const c of manifest.capabilities) this.checkCapabilityName(c);
    if (typeof input !== "string" || !input.trim()) throw new KernelError("EINVAL", "input: a request to try the app with");
    const ns = `${TRIAL_PREFIX}${manifest.id}`;
    const proc = this.procs.spawn(appSpawnOptions(manifest, manifest.capabilities), { owner: options.owner, app: ns });
    const started = performance.now();
    try {
      const turn = await this.memory.chat(proc.pid, input, { onChunk: options.onChunk });
      return { reply: turn.content, toolCalls: turn.toolCalls, tokens: turn.usage.completion_tokens, ms: Math.round(performance.now() - started) };
    } finally {
      if (!proc.done) this.kill(proc.pid);
      await this.removeFiles(ns).catch(() => undefined);
    }
  }

  // --- models ------------------------------------------------------------------------------------

  /** Adds a source of models, e.g. a remote endpoint the user connected; earlier sources win on equal ids. */
  addSource(source: ModelSource): void {
    this.sources.push(source);
  }

  kernelInfo(): KernelInfo {
    const engine = this.requireEngine();
    return { engine: engine.name, model: engine.modelId, device: engine.device };
  }

  /** The loaded model's context window (4096 where the engine does not say). */
  contextLength(): number {
    return this.requireEngine().contextLength ?? 4096;
  }

  /**
   * Tokens of a prompt by the loaded model's own tokenizer and chat template: a scheduler job of
   * process `pid`, charged to it (a remote engine counts with a one-token request).
   */
  async countTokens(messages: ChatMessage[], pid: number = this.shellPid, tools?: ToolSpec[]): Promise<number> {
    const proc = this.procs.live(pid);
    const engine = this.requireEngine();
    const row = this.requests.admit(proc, { kind: "count" });
    try {
      const n = await this.scheduler.task(() => engine.countTokens(messages, tools), proc.priority, row.controller.signal, proc.pid);
      proc.countedTokens += n;
      return n;
    } finally {
      this.requests.release(row);
    }
  }

  getStats(callerPid: number = this.shellPid): KernelStats {
    const all = callerPid === this.shellPid;
    return {
      ...structuredClone(this.stats),
      policy: { ...this.scheduler.config },
      contextSwitches: this.scheduler.contextSwitches,
      batches: { ...this.scheduler.batches },
      history: this.scheduler.requests().filter((r) => all || r.pid === callerPid),
    };
  }

  /** Changes the scheduling policy; takes effect at the next slice. */
  setPolicy(config: unknown): PolicyConfig {
    this.scheduler.config = validatePolicy(config, this.scheduler.config);
    return { ...this.scheduler.config };
  }

  async listModels(): Promise<ModelInfo[]> {
    const lists = await Promise.all(this.sources.map((s) => s.list().catch(() => [])));
    return lists.flat().map((m) => ({ ...m, loaded: m.id === this.engine?.modelId }));
  }

  /** Loads `id` into a new engine and swaps it in once no generation is running. */
  async loadModel(id: unknown, onProgress: (p: LoadProgress) => void = () => {}): Promise<KernelInfo> {
    if (typeof id !== "string" || id.length === 0 || id.length > 256) throw new KernelError("EINVAL", "id: must be a model id string");
    const source = this.sourceOf(id);
    return this.queued(async () => {
      if (this.engine?.modelId === id) return this.kernelInfo();
      onProgress({ modelId: id, progress: 0, text: `Loading ${id}` });
      const next = await source.load(id, onProgress).catch((e) => {
        throw toKernelError(e, "ELOAD");
      });
      await this.scheduler.exclusive(async () => {
        const previous = this.engine;
        this.engine = next;
        this.stats.loads++;
        await previous?.unload().catch(() => undefined);
      });
      onProgress({ modelId: id, progress: 1, text: `${id} ready` });
      return this.kernelInfo();
    });
  }

  async deleteModel(id: unknown): Promise<void> {
    if (typeof id !== "string") throw new KernelError("EINVAL", "id: must be a model id string");
    const source = this.sourceOf(id);
    if (!source.remove) throw new KernelError("ENOTSUP", `${id} is embedded in the app and cannot be deleted`);
    if (this.engine?.modelId === id) throw new KernelError("EBUSY", `${id} is loaded; load another model first`);
    await source.remove(id);
  }

  // --- chat --------------------------------------------------------------------------------------

  /**
   * One Chat Completions request. Non-streaming: resolves to a `chat.completion`. Streaming:
   * chunks go to `onChunk` as tokens decode, and it resolves to the same completion at the end.
   */
  async chat(request: unknown, options: ChatCallOptions = {}): Promise<ChatCompletion> {
    const proc = this.procs.live(options.pid ?? this.shellPid);
    const req = validateChatRequest(request);
    if (options.requestId !== undefined && (typeof options.requestId !== "string" || options.requestId.length > 128)) throw new KernelError("EINVAL", "requestId: must be a string of at most 128 characters");
    const row = this.requests.admit(proc, { kind: "llm", id: options.requestId, wantedTokens: req.maxTokens ?? DEFAULT_MAX_TOKENS });
    const { quota } = proc;
    const { controller } = row;
    const timer =
      quota.maxRequestMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new KernelError("EQUOTA", `pid ${proc.pid}: maxRequestMs (${quota.maxRequestMs} ms) exceeded`)), quota.maxRequestMs);
    // A kill or quota abort rejects at once, even while the request is still queued.
    const cancelled = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => controller.signal.reason instanceof KernelError && reject(controller.signal.reason), { once: true }));
    cancelled.catch(() => undefined);
    proc.requests++;
    try {
      const run = this.generate(proc, row, { ...req, maxTokens: row.reserved }, options.onChunk).then((completion) => {
        proc.promptTokens += completion.usage.prompt_tokens;
        proc.completionTokens += completion.usage.completion_tokens;
        if (controller.signal.reason instanceof KernelError) throw controller.signal.reason;
        return completion;
      });
      return await Promise.race([run, cancelled]);
    } finally {
      clearTimeout(timer);
      this.requests.release(row);
    }
  }

  /**
   * Stops requests: one (by the caller's own request id) or all of the caller's; the shell's
   * interrupt without an id stops every process's. A running generation ends at the next token
   * with finish_reason "abort".
   */
  interrupt(requestId?: unknown, callerPid: number = this.shellPid): number {
    if (requestId !== undefined && typeof requestId !== "string") throw new KernelError("EINVAL", "requestId: must be a string");
    const rows = requestId === undefined && callerPid === this.shellPid ? this.requests.all() : this.requests.of(callerPid);
    return rows.filter((r) => r.kind === "llm" && (requestId === undefined || r.id === requestId)).reduce((n, r) => n + this.requests.abort(r.pid, undefined, r.id), 0);
  }

  private async generate(proc: Process, row: RequestRow, req: ValidatedChatRequest & { maxTokens: number }, onChunk?: (c: ChatCompletionChunk) => void): Promise<ChatCompletion> {
    const engine = this.requireEngine();
    if (req.model !== undefined && req.model !== engine.modelId) {
      throw new KernelError("ENOENT", `model: ${req.model} is not loaded (loaded: ${engine.modelId}); call aios.models.load first`);
    }
    const requestId = row.id;
    const signal = row.controller.signal;
    const id = newCompletionId();
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: ChatCompletionChunk["choices"][0]["delta"], finish: ChatCompletionChunk["choices"][0]["finish_reason"]): ChatCompletionChunk => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: engine.modelId,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    const stream = req.stream && onChunk ? onChunk : undefined;
    stream?.(chunk({ role: "assistant", content: "" }, null));
    this.stats.requests++;
    let stats: RequestStats | undefined;
    // Engines without native tools: the model writes <tool_call> text, which the kernel parses
    // (and never streams as content). A forced choice is a prefill of the call's opening.
    const offered = req.tools?.map((t) => t.function.name) ?? [];
    const prompted = req.tools !== undefined && !engine.nativeTools;
    const filter = prompted ? new ToolCallFilter(offered) : null;
    let messages = req.messages;
    let continueFinal = req.continueFinal;
    let prefill = "";
    // (An engine that constrains its output needs no prefill: its grammar makes the call.)
    if (prompted && engine.supportsPrefill && !engine.constrainsOutput && req.toolChoice !== undefined && req.toolChoice !== "auto") {
      prefill = typeof req.toolChoice === "object" ? `<tool_call>{"name": ${JSON.stringify(req.toolChoice.function.name)}, "arguments": ` : `<tool_call>{"name": "`;
      messages = [...messages, { role: "assistant", content: prefill }];
      continueFinal = true;
      filter!.push(prefill);
    }
    const params: GenerateParams = {
      messages,
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      topP: req.topP,
      seed: req.seed,
      stop: req.stop,
      continueFinal,
      signal,
      tools: req.tools,
      toolChoice: req.toolChoice,
      ...(req.parallelToolCalls === false ? { parallelToolCalls: false } : {}),
      ...(req.responseFormat ? { responseFormat: req.responseFormat } : {}),
      onText: (text) => {
        this.scheduler.firstToken((stats ??= this.scheduler.statsOf(requestId, proc.pid)));
        const shown = filter ? filter.push(text) : text;
        if (shown) stream?.(chunk({ content: shown }, null));
      },
    };
    const result = await this.scheduler
      .generation({
        requestId,
        pid: proc.pid,
        priority: proc.priority,
        signal,
        start: async () => (engine.start ? engine.start(params) : null),
        whole: () => engine.generate(params),
        onRun: (running) => {
          row.running = running;
        },
      })
      .catch((e) => {
        throw toKernelError(e);
      });
    let content = result.text;
    let toolCalls: ToolCall[] | undefined = result.toolCalls?.length ? result.toolCalls : undefined;
    if (filter) {
      const parsed = filter.finish();
      if (parsed.tail && !parsed.calls.length) stream?.(chunk({ content: parsed.tail }, null));
      if (parsed.calls.length) {
        toolCalls = parsed.calls;
        content = parsed.content;
      } else if (prefill) content = prefill + result.text;
    }
    const finishReason = toolCalls && result.finishReason !== "abort" ? "tool_calls" : result.finishReason;
    // A reply that ended by itself must be in its format: engines that constrain decoding write
    // nothing else; a server that ignored response_format is caught here.
    if (req.responseFormat && !toolCalls && finishReason === "stop") {
      const problem = outputProblem(req.responseFormat, content);
      const why = engine.constrainsOutput
        ? "the grammar leaves bounds on non-integer numbers to this check (XGrammar's are wrong), or a stop string ended the reply early"
        : `${engine.modelId} (${engine.name}) did not enforce it`;
      if (problem) throw new KernelError("EINVAL", `response_format: ${problem}; ${why}`);
    }
    if (toolCalls && stream) {
      toolCalls.forEach((call, index) => {
        const opening: ToolCallDelta = { index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } };
        stream(chunk({ tool_calls: [opening] }, null));
        stream(chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }, null));
      });
    }
    const usage = usageOf(result.promptTokens, result.completionTokens);
    stream?.(chunk({}, finishReason));
    if (stream && req.includeUsage) stream({ ...chunk({}, null), choices: [], usage });
    const decodeMs = result.totalMs - result.timeToFirstTokenMs;
    this.stats.last = {
      model: engine.modelId,
      promptTokens: result.promptTokens,
      completionTokens: result.completionTokens,
      timeToFirstTokenMs: result.timeToFirstTokenMs,
      totalMs: result.totalMs,
      decodeTokensPerSecond: decodeMs > 0 ? ((result.completionTokens - 1) * 1000) / decodeMs : 0,
      ...(result.grammarMs !== undefined ? { grammarMs: result.grammarMs } : {}),
    };
    const message: ChatCompletion["choices"][0]["message"] = toolCalls ? { role: "assistant", content: content || null, tool_calls: toolCalls } : { role: "assistant", content };
    return { id, object: "chat.completion", created, model: engine.modelId, choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }], usage };
  }

  private requireEngine(): Engine {
    if (!this.engine) throw new KernelError("ENOTREADY", "no model is loaded yet");
    return this.engine;
  }

  private sourceOf(id: string): ModelSource {
    const source = this.sources.find((s) => s.has(id));
    if (source) return source;
    throw new KernelError("ENOENT", `id: no model ${id} in the catalog (see aios.models.list())`);
  }

  /** The narrow port the memory manager uses: it is a client of the kernel, charged like any. */
  private memoryPort(): MemoryPort {
    return {
      process: (pid) => {
        const p = this.procs.live(pid);
        return { app: p.app, memory: { ...p.memory }, toolRules: p.toolRules };
      },
      files: (pid) => this.filesOf(pid),
      contextLength: () => this.contextLength(),
      countTokens: (pid, messages, tools) => this.countTokens(messages, pid, tools),
      chat: (pid, request, onChunk) => this.chat(request, { pid, onChunk }),
      tools: (pid) => this.toolsFor(pid),
      callTool: (pid, name, args, signal, timing) => this.callTool(pid, name, args, { signal, timing }),
      untrusted: (pid, source) => addUntrusted(this.procs.live(pid).label, source),
      said: (pid, text) => addSaid(this.procs.live(pid).label, text),
      trustedResult: (pid, name, result) => {
        const driver = this.tools.find(name);
        return driver !== undefined && isTrustedResult(this.procs.live(pid).label, driver, result);
      },
      checkpoint: (pid, calls) => this.checkpoint(pid, "tool_calls", calls),
    };
  }
}

export function isReserved(path: string): boolean {
  const p = path.startsWith("/") ? path.slice(1) : path;
  return p === RESERVED_PREFIX.slice(0, -1) || p.startsWith(RESERVED_PREFIX);
}

