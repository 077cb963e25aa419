/**
 * window.aios: the page's handle on the kernel worker (for the shell, headless tests and power
 * users). Every call is a system call into the kernel; its argument and result types come from
 * the kernel's declarations (`SyscallArgs`, `SyscallResult` in syscalls.ts). The page's own
 * connection acts as the shell (the user); each spawned process gets a port of its own, and its
 * handle calls through that port — nothing here names a pid.
 */
import * as Comlink from "comlink";
import type { ConsentAnswer, ConsentEvent, ConsentRequest, Decision } from "../kernel/access.ts";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../kernel/chat.ts";
import type { LoadProgress } from "../kernel/engine.ts";
import type { MemoryChatEvent, MemoryChatResult, TurnResultEvent } from "../kernel/memory/memory.ts";
import type { SpawnOptions } from "../kernel/process.ts";
import type { Manifest } from "../kernel/apps/manifest.ts";
import type { Meta } from "../kernel/storage/db.ts";
import type { Content, SearchOptions } from "../kernel/storage/files.ts";
import type { SyscallArgs, SyscallName, SyscallResult } from "../kernel/syscalls.ts";
import type { BootInfo, BootOptions, CallOptions, ProcessApi, ShellApi, SpawnedProcess } from "../rpc/kernel-api.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { hostDevices } from "./device-host.ts";
import { liveCameraTracks, tabDrivers, type DevicePrompts } from "./devices/index.ts";
import { hostWorkers } from "./worker-host.ts";

export interface ReadyInfo {
  engine: BootInfo["engine"];
  model: string;
  device: BootInfo["device"];
  /** The model asked for could not load; the embedded one booted instead. */
  fallback?: BootInfo["fallback"];
  /** On `aios.ready`: where the kernel's boot spent its time (the first tab's boot; a tab that attaches shares it). */
  bootMs?: BootInfo["bootMs"];
}

export interface CreateOptions {
  /** Aborting ends the generation at the next token (finish_reason "abort"). */
  signal?: AbortSignal;
}

export interface ChatCompletions {
  create(request: ChatCompletionRequest & { stream: true }, options?: CreateOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false | null }, options?: CreateOptions): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest, options?: CreateOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
}

export interface Llm {
  chat: { completions: ChatCompletions };
  /** Stops running or queued generations (the shell: all of them; a process: its own). */
  interrupt(): Promise<number>;
}

type Result<N extends SyscallName> = Promise<SyscallResult<N>>;

/** An app's files (its namespace), versioned and searchable, in IndexedDB. */
export interface Storage {
  write(path: string, content: Content, meta?: Meta): Result<"storage.write">;
  /** `namespace`: another app's files (the shell only). */
  read(path: string, options?: { version?: number; namespace?: string }): Result<"storage.read">;
  list(prefix?: string, options?: { namespace?: string }): Result<"storage.list">;
  /** Every app's namespace with its files and bytes (the shell only). */
  namespaces(): Result<"storage.namespaces">;
  versions(path: string): Result<"storage.versions">;
  rollback(path: string, version: number): Result<"storage.rollback">;
  remove(path: string): Result<"storage.remove">;
  search(query: string, options?: SearchOptions & { namespace?: string }): Result<"storage.search">;
  usage(): Result<"storage.usage">;
  /** One JSON file: this app's files (the shell's: every app's). */
  export(): Result<"storage.export">;
  import(data: Blob | string): Result<"storage.import">;
}

/**
 * A conversation the kernel keeps and fits into the context window, running the agent loop: the
 * model may call the tools the process holds. Streamed, it yields chunks and, between them, an
 * `{ object: "aios.tool_result", name, arguments, result | error }` for every tool call, and last
 * `{ object: "aios.result", ... }`: the turn's result (what `remember` proposes, the context figures).
 */
export interface MemoryChat {
  (text: string, options?: { stream?: false; max_tokens?: number }): Promise<MemoryChatResult>;
  (text: string, options: { stream: true; max_tokens?: number }): Promise<AsyncIterable<MemoryChatEvent | TurnResultEvent>>;
}

export interface Memory {
  history(): Result<"memory.history">;
  /** Rates an answer (thumbs, a correction); the shell names the app (`namespace`), a process rates its own. */
  feedback(args: SyscallArgs<"memory.feedback">): Result<"memory.feedback">;
  feedbackList(namespace?: string): Result<"memory.feedback.list">;
  feedbackRemove(id: string, namespace?: string): Result<"memory.feedback.remove">;
  remember(text: string, meta?: Meta): Result<"memory.remember">;
  recall(query: string, k?: number): Result<"memory.recall">;
  blocks: {
    get(label?: string): Result<"memory.blocks.get">;
    set(label: string, value: string, options?: { limit?: number }): Result<"memory.blocks.set">;
  };
}

export interface Tools {
  /** Every tool: name, description, JSON Schema of its arguments, the capability it needs, kind. */
  list(): Result<"tools.list">;
  /** Calls a tool as this process (checked by the access manager; audited). */
  call(name: string, args?: Record<string, unknown>): Promise<unknown>;
}

/** A process spawned from this page: its requests are accounted and scheduled as its own. */
export interface ProcessHandle {
  readonly pid: number;
  readonly name: string;
  /** Its namespace and the key of its access decisions. */
  readonly app: string;
  /** The process's own channel to the kernel: calls on it act as this process. */
  readonly port: MessagePort;
  /** Any system call as this process (what the handle's other methods make). */
  call<N extends SyscallName>(name: N, args?: SyscallArgs<N>): Promise<SyscallResult<N>>;
  llm: Llm;
  storage: Storage;
  chat: MemoryChat;
  memory: Memory;
  tools: Tools;
  messages: Messages;
  /** Patterns of agents as this process (its children do the work). */
  agents: Agents;
  /** Spawns a child: same app, capabilities a subset of this process's. */
  spawn(options: SpawnOptions): Promise<ProcessHandle>;
  ps(): Result<"proc.ps">;
  kill(pid: number): Result<"proc.kill">;
  info(): Result<"proc.self">;
  exit(): Result<"proc.exit">;
}

/**
 * Messages between agents (FIPA-ACL-like envelopes): sending needs message:<app> (or :topic:<name>,
 * or :*); the sender is the calling process's app; a full mailbox refuses with EAGAIN.
 */
export interface Messages {
  send(message: SyscallArgs<"messages.send">): Result<"messages.send">;
  /** The next message to this app, waiting up to `timeoutMs` (ETIMEDOUT if none came). */
  receive(options?: SyscallArgs<"messages.receive">): Result<"messages.receive">;
  subscribe(topic: string): Result<"messages.subscribe">;
  unsubscribe(topic: string): Result<"messages.unsubscribe">;
}

/** Patterns of agents (src/kernel/patterns.ts). */
export interface Agents {
  /** N members answer in parallel (batched decode); a weighted vote or a merge step combines them; budgets: tokens, wall time. */
  ensemble(args: SyscallArgs<"agents.ensemble">): Result<"agents.ensemble">;
  /** The right answer to a named ensemble's last question: its members' weights are learned from it. */
  learn(args: SyscallArgs<"agents.learn">): Result<"agents.learn">;
  /** Two debaters argue for N rounds; a judge decides (winner, answer, reason). */
  debate(args: SyscallArgs<"agents.debate">): Result<"agents.debate">;
  /** A planner splits the task, workers do the steps in parallel, the planner merges; scratch files shared. */
  collaborate(args: SyscallArgs<"agents.collaborate">): Result<"agents.collaborate">;
}

function agentsOf(call: Call): Agents {
  return {
    ensemble: (args) => call("agents.ensemble", args),
    learn: (args) => call("agents.learn", args),
    debate: (args) => call("agents.debate", args),
    collaborate: (args) => call("agents.collaborate", args),
  };
}

/** An app launched from this page: its process, and its reply to the input it was launched with. */
export interface LaunchedApp extends ProcessHandle {
  kind: "nl" | "code";
  /** A natural-language app's reply to `input` (its first chat turn), when launched with one. */
  reply?: Promise<MemoryChatResult>;
  /** A code app's result: what its main resolved to (rejects with its error, e.g. ETIMEDOUT for a runaway). */
  output?: Promise<unknown>;
}

/**
 * Installed apps (src/kernel/apps/): manifests, install and launch. All of it is the user's: only
 * the shell's connection may call these.
 */
export interface Apps {
  list(): Result<"apps.list">;
  get(id: string): Result<"apps.get">;
  /** A manifest (object or JSON text), or an app file from `export` (a Blob or its text: its files and memory come too unless `data: false`). */
  install(source: Manifest | Blob | string, options?: { data?: boolean }): Result<"apps.install">;
  /** A new manifest for an installed app; capabilities it newly asks for wait for `grant`. */
  update(id: string, manifest: Manifest | string): Result<"apps.update">;
  /** The user grants capabilities the app's manifest asks for (an update's pending ones). */
  grant(id: string, capabilities: string[]): Result<"apps.grant">;
  /** Ends its processes and removes it; `keepData: false` also deletes its files, memory and access decisions. */
  uninstall(id: string, options?: { keepData?: boolean }): Result<"apps.uninstall">;
  /** One file: the manifest and, with `data: true`, its files and memory. */
  export(id: string, options?: { data?: boolean }): Result<"apps.export">;
  /** Installs an exported app file with its data. */
  import(file: Blob | string): Result<"apps.install">;
  /**
   * Starts the app as a process of its own identity. A natural-language app with `input` (text)
   * starts its first turn (`reply`); a code app's main is called with `input` (JSON) (`output`).
   */
  launch(id: string, input?: unknown): Promise<LaunchedApp>;
  /**
   * Natural-language programming: the loaded model drafts an app for `request` ("make me an app
   * that …"). Resolves to the manifest (valid by construction), its review in plain words and an
   * example request; nothing is installed. `onToken` gets the draft's text as the model writes it.
   */
  draft(request: string, options?: { onToken?: (text: string) => void }): Result<"apps.draft">;
  /** Test-runs a manifest that is not installed (a draft) on `input`: the app's reply and tool calls; nothing is kept. */
  try(manifest: Manifest | string, input: string, options?: { onEvent?: (event: MemoryChatEvent) => void }): Result<"apps.try">;
}

/** Pages on other origins running agents through the bridge (bridge.html); the user's alone. */
export interface Sites {
  /** As the bridge: run an agent for the page on `origin` (asks the user in an AIOS tab the first time). */
  connect(origin: string, capabilities: string[]): Promise<ProcessHandle>;
  list(): Result<"sites.list">;
  /** Ends the site's agents now and forgets the answer: it must ask again. */
  revoke(origin: string): Result<"sites.revoke">;
}

export interface Access {
  /** Every app's capabilities with the decision that applies ("user" set, or the "default"). */
  list(): Result<"access.list">;
  set(app: string, capability: string, decision: Decision): Result<"access.set">;
  /** Removes the user's decision: the default applies again. */
  revoke(app: string, capability: string): Result<"access.set">;
  /** The audit log (oldest first) and how many old entries were dropped to keep it bounded. */
  audit(filter?: SyscallArgs<"access.audit">): Result<"access.audit">;
  /** The audit log as a JSON file. */
  exportAudit(): Promise<Blob>;
  network(): Result<"access.network">;
  /** A proxy of the user's own for sites that refuse cross-origin reads: a URL with `{url}`. */
  configureNetwork(config: { proxy: string | null }): Result<"access.configureNetwork">;
  /**
   * Shows consent prompts (the shell does): `onAsk` gets each prompt, `onSettled` hears when one
   * was answered (here or in another tab) or withdrawn. Returns a function that stops listening.
   */
  onConsent(onAsk: (request: ConsentRequest) => void, onSettled?: (id: string) => void): () => void;
  answer(id: string, answer: ConsentAnswer): Result<"access.consent.answer">;
  pending(): Result<"access.consent.pending">;
}

export interface Aios {
  ready: Promise<ReadyInfo>;
  llm: Llm;
  /** The shell's files; its export and import cover every app. */
  storage: Storage;
  /** The shell's own managed conversation (with the tool loop) and memory. */
  chat: MemoryChat;
  memory: Memory;
  tools: Tools;
  /** The shell's messages (it may message anyone), and every mailbox with the recent envelopes. */
  messages: Messages & { list(conversation?: string): Result<"messages.list"> };
  agents: Agents;
  access: Access;
  apps: Apps;
  sites: Sites;
  /**
   * MCP servers (Streamable HTTP): a connected server's tools join `tools` as mcp.<name>.<tool>;
   * a process needs the capability mcp:<name> to use them. Connecting is the user's alone.
   */
  mcp: {
    connect(options: SyscallArgs<"mcp.connect">): Result<"mcp.connect">;
    list(): Result<"mcp.list">;
    disconnect(name: string): Result<"mcp.disconnect">;
  };
  spawn(options: SpawnOptions): Promise<ProcessHandle>;
  models: EventTarget & {
    list(): Result<"models.list">;
    /**
     * Progress also fires as "progress" events (CustomEvent<LoadProgress>) on aios.models, and a
     * finished load as a "loaded" event (CustomEvent<ReadyInfo>), whoever on this page asked for it.
     */
    load(id: string, options?: { onProgress?: (p: LoadProgress) => void }): Promise<ReadyInfo>;
    delete(id: string): Result<"models.delete">;
    /** Adds an OpenAI-compatible server's models as "<host>/<id>" (asks it for /models; chats go there once one is loaded). */
    connect(endpoint: SyscallArgs<"models.connect">): Result<"models.connect">;
  };
  /** Embedding models (vector search, recall by meaning): the embedded one and real ones on demand. */
  embedders: {
    list(): Result<"embedders.list">;
    load(id: string, options?: { onProgress?: (p: LoadProgress) => void }): Result<"embedders.load">;
  };
  /** The browser's devices: this tab serves some of them to the kernel (see src/kernel/tools/devices.ts). */
  devices: {
    /** Every open tab, the devices it serves, whether it has the focus (calls go there first). */
    hosts(): Result<"devices.hosts">;
    /** The devices this tab serves now. */
    served(): Promise<string[]>;
    /** The shell's file-picker and save prompts (files.import / files.export need a person's click); null withdraws them. */
    setPrompts(prompts: DevicePrompts | null): void;
    /** Camera tracks this tab holds open now (0 between calls: no camera light left on). */
    liveCameraTracks(): number;
  };
  kernel: {
    info(): Promise<BootInfo>;
    stats(): Result<"kernel.stats">;
    ps(): Result<"proc.ps">;
    kill(pid: number): Result<"proc.kill">;
    /** How a process ended, once it has. */
    wait(pid: number): Result<"proc.wait">;
    setPolicy(config: SyscallArgs<"kernel.setPolicy">): Result<"kernel.setPolicy">;
    /** Holds a process (and its descendants): no generation runs; it stops at its next step. */
    pause(pid: number): Result<"proc.pause">;
    /** Lets it go on; `step`: until its next step, where it pauses again. */
    resume(pid: number, options?: { step?: boolean }): Result<"proc.resume">;
    /** Edits the step a paused process waits at (its tool calls or plan) and/or adds the user's note. */
    steer(pid: number, edit: { value?: unknown; note?: string }): Result<"proc.steer">;
  };
  /** What the user told an app about themselves (its human block): shown, edited, deleted by the user alone. */
  human: {
    get(app: string): Result<"memory.human.get">;
    /** Replaces it; "" deletes it. */
    set(app: string, value: string): Result<"memory.human.set">;
    /** Consent to remember one fact (as `remember` in a turn's result proposed). */
    add(app: string, fact: string): Result<"memory.human.add">;
  };
}

let requestCounter = 0;
const tabId = `tab-${Math.random().toString(36).slice(2, 8)}`;
/** Where the page remembers the model the user chose (restored at boot). */
const MODEL_KEY = "aios.model";

/** Where the kernel runs: one SharedWorker for all tabs when the browser has them, else a worker per tab. */
export interface KernelConnection {
  endpoint: Worker | MessagePort;
  /** Fires "error" if the worker cannot start. */
  worker: EventTarget;
  shared: boolean;
}

export function connectKernel(prefer: "shared" | "dedicated" = "shared"): KernelConnection {
  if (prefer === "shared" && typeof SharedWorker !== "undefined") {
    const worker = new SharedWorker(new URL("../../workers/kernel.shared-worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
    return { endpoint: worker.port, worker, shared: true };
  }
  const worker = new Worker(new URL("../../workers/kernel.worker.ts", import.meta.url), { type: "module", name: "aios-kernel" });
  return { endpoint: worker, worker, shared: false };
}

/** Holds this tab's life lock (see the kernel's attach); resolves once it is held. */
function holdTabLock(): Promise<void> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return Promise.resolve();
  return new Promise<void>((held) => {
    void locks.request(`aios-tab:${tabId}`, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
}

function storedModel(): string | undefined {
  try {
    return globalThis.localStorage?.getItem(MODEL_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function rememberModel(id: string): void {
  try {
    globalThis.localStorage?.setItem(MODEL_KEY, id);
  } catch {
    // Storage disabled: the choice lasts this session only.
  }
}

type RawCall = ProcessApi["call"];

/**
 * A typed system call over one port (the shell's connection or a process's own). `invoke` makes
 * the raw call; it must not hand back comlink's proxy itself (awaiting one sends a GET, which the
 * kernel's ports refuse).
 */
function typedCall(invoke: RawCall) {
  return async <N extends SyscallName>(name: N, args?: SyscallArgs<N>, extra: { emit?: (event: never) => void; requestId?: string } = {}): Promise<SyscallResult<N>> => {
    const emit = extra.emit ? Comlink.proxy(extra.emit as (event: unknown) => void) : undefined;
    const options: CallOptions | undefined = extra.requestId ? { requestId: extra.requestId } : undefined;
    return (await invoke(name, args, emit, options)) as SyscallResult<N>;
  };
}

type Call = ReturnType<typeof typedCall>;

function objectOr<T extends object>(value: T | null | undefined): Partial<T> {
  return typeof value === "object" && value !== null ? value : {};
}

function llmOf(call: Call): Llm {
  async function create(request: ChatCompletionRequest, options?: CreateOptions | null): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const opts = objectOr(options);
    const requestId = `${tabId}-${++requestCounter}`;
    const onAbort = () => void call("llm.interrupt", { requestId }).catch(() => undefined);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => opts.signal?.removeEventListener("abort", onAbort);
    if (!(request as { stream?: unknown } | null)?.stream) {
      return call("llm.chat", request, { requestId }).finally(cleanup);
    }
    const queue = new ChunkQueue<ChatCompletionChunk>();
    call("llm.chat", request, { requestId, emit: (chunk: ChatCompletionChunk) => queue.push(chunk) })
      .then(() => queue.end(), (error: unknown) => queue.fail(error))
      .finally(cleanup);
    await queue.started();
    return queue;
  }
  return {
    chat: { completions: { create: create as ChatCompletions["create"] } },
    interrupt: () => call("llm.interrupt", {}),
  };
}

function storageOf(call: Call): Storage {
  return {
    write: (path, content, meta) => call("storage.write", { path, content, meta }),
    read: (path, options) => {
      const o = objectOr(options);
      return call("storage.read", { path, version: o.version, namespace: o.namespace });
    },
    list: (prefix, options) => call("storage.list", { prefix, namespace: objectOr(options).namespace }),
    namespaces: () => call("storage.namespaces"),
    versions: (path) => call("storage.versions", { path }),
    rollback: (path, version) => call("storage.rollback", { path, version }),
    remove: (path) => call("storage.remove", { path }),
    search: (query, options) => {
      const { namespace, ...rest } = objectOr(options);
      return call("storage.search", { query, options: rest as SyscallArgs<"storage.search">["options"], namespace });
    },
    usage: () => call("storage.usage"),
    export: () => call("storage.export"),
    import: (data) => call("storage.import", { data }),
  };
}

function chatOf(call: Call): MemoryChat {
  return (async (text: string, options?: { stream?: boolean; max_tokens?: number } | null) => {
    const o = objectOr(options);
    const args = { text, max_tokens: o.max_tokens };
    if (!o.stream) return call("memory.chat", args);
    const queue = new ChunkQueue<MemoryChatEvent | TurnResultEvent>();
    call("memory.chat", args, { emit: (event: MemoryChatEvent) => queue.push(event) }).then(
      (result) => {
        queue.push({ object: "aios.result", ...(result as MemoryChatResult) });
        queue.end();
      },
      (error: unknown) => queue.fail(error),
    );
    await queue.started();
    return queue;
  }) as MemoryChat;
}

function memoryOf(call: Call): Memory {
  return {
    history: () => call("memory.history"),
    feedback: (args) => call("memory.feedback", args),
    feedbackList: (namespace) => call("memory.feedback.list", { namespace }),
    feedbackRemove: (id, namespace) => call("memory.feedback.remove", { id, namespace }),
    remember: (text, meta) => call("memory.remember", { text, meta }),
    recall: (query, k) => call("memory.recall", { query, k }),
    blocks: {
      get: (label) => call("memory.blocks.get", { label }),
      set: (label, value, options) => call("memory.blocks.set", { label, value, limit: objectOr(options).limit }),
    },
  };
}

function messagesOf(call: Call): Messages {
  return {
    send: (message) => call("messages.send", message),
    receive: (options) => call("messages.receive", options ?? {}),
    subscribe: (topic) => call("messages.subscribe", { topic }),
    unsubscribe: (topic) => call("messages.unsubscribe", { topic }),
  };
}

function toolsOf(call: Call): Tools {
  return {
    list: () => call("tools.list"),
    call: (name, args) => call("tools.call", { name, arguments: args ?? {} }),
  };
}

/** A process's handle: every call goes through its own port. */
function processHandle(spawned: SpawnedProcess): ProcessHandle {
  const api = Comlink.wrap<ProcessApi>(spawned.port);
  const call = typedCall((name, args, emit, options) => api.call(name, args, emit, options));
  const self: ProcessHandle = {
    pid: spawned.pid,
    name: spawned.name,
    app: spawned.app,
    port: spawned.port,
    call: (name, args) => call(name, args),
    llm: llmOf(call),
    storage: storageOf(call),
    chat: chatOf(call),
    memory: memoryOf(call),
    tools: toolsOf(call),
    messages: messagesOf(call),
    agents: agentsOf(call),
    spawn: async (options) => processHandle((await call("proc.spawn", options)) as unknown as SpawnedProcess),
    ps: () => call("proc.ps"),
    kill: (pid) => call("proc.kill", { pid }),
    info: () => call("proc.self"),
    exit: () => call("proc.exit"),
  };
  return self;
}

export function createAios(connection: KernelConnection | Worker, createOptions: Omit<BootOptions, "baseUrl"> & { baseUrl?: string; hosting?: boolean } = {}): Aios {
  const { endpoint, worker } = connection instanceof Worker ? { endpoint: connection, worker: connection } : connection;
  // A page that serves no devices and hosts no sandboxes (the bridge, inside another site's page).
  const { hosting = true, ...options } = createOptions;
  const kernel = Comlink.wrap<ShellApi>(endpoint);
  const models = new EventTarget() as Aios["models"];
  const emitProgress = (p: LoadProgress) => models.dispatchEvent(new CustomEvent("progress", { detail: p }));

  const baseUrl = options.baseUrl ?? new URL(import.meta.env.BASE_URL, location.href).href;
  // A worker that fails to start (bad bundle, out of memory) never answers: fail boot clearly.
  const workerFailed = new Promise<never>((_, reject) =>
    worker.addEventListener("error", (e) => reject(new Error(`the kernel worker failed: ${(e as ErrorEvent).message || "could not start"}`)), { once: true }),
  );
  workerFailed.catch(() => undefined);
  // This tab hosts workers the kernel can kill (the js sandbox), where the kernel cannot make its own.
  const relay = new MessageChannel();
  if (hosting) hostWorkers(relay.port1);
  // This tab serves the browser's devices it has (geolocation, camera, …) to the kernel.
  let prompts: DevicePrompts | null = null;
  const deviceChannel = new MessageChannel();
  const deviceHost = hostDevices(deviceChannel.port1, hosting ? tabDrivers(() => prompts) : []);
  const booted = Promise.race([
    holdTabLock()
      .then(() => (hosting ? kernel.attach(tabId, Comlink.transfer(relay.port2, [relay.port2]), Comlink.transfer(deviceChannel.port2, [deviceChannel.port2])) : kernel.attach(tabId)))
      .then(() => kernel.boot({ ...options, model: options.model ?? storedModel(), baseUrl })),
    workerFailed,
  ]);
  const ready: Promise<ReadyInfo> = booted.then(({ engine, model, device, fallback, bootMs }) => ({ engine, model, device, bootMs, ...(fallback ? { fallback } : {}) }));
  // The shell's calls wait for boot: before it, the kernel has nothing to serve them with.
  const call = typedCall(async (name, args, emit, options) => {
    await booted;
    return kernel.call(name, args, emit, options);
  });

  models.list = () => call("models.list");
  models.load = async (id, loadOptions) => {
    const onProgress = objectOr(loadOptions).onProgress;
    const info = await call("models.load", { id }, {
      emit: (p: LoadProgress) => {
        emitProgress(p);
        onProgress?.(p);
      },
    });
    rememberModel(info.model);
    const ready: ReadyInfo = { engine: info.engine, model: info.model, device: info.device };
    models.dispatchEvent(new CustomEvent("loaded", { detail: ready }));
    return ready;
  };
  models.delete = (id) => call("models.delete", { id });
  models.connect = async (endpoint) => (await call("models.connect", endpoint)).map((m) => ({ ...m, loaded: false }));

  const access: Access = {
    list: () => call("access.list"),
    set: (app, capability, decision) => call("access.set", { app, capability, decision }),
    revoke: (app, capability) => call("access.set", { app, capability, decision: null }),
    audit: (filter) => call("access.audit", objectOr(filter)),
    exportAudit: async () => {
      const log = await call("access.audit", {});
      return new Blob([JSON.stringify({ format: "aios-audit", exportedAt: new Date().toISOString(), ...log }, null, 1)], { type: "application/json" });
    },
    network: () => call("access.network"),
    configureNetwork: (config) => call("access.configureNetwork", { proxy: objectOr(config).proxy ?? null }),
    onConsent(onAsk, onSettled) {
      let listening = true;
      void call("access.consent.listen", {}, {
        emit: (event: ConsentEvent) => {
          if (!listening) return;
          if (event.type === "ask") onAsk(event.request);
          else onSettled?.(event.id);
        },
      }).catch((error: unknown) => console.warn("AIOS: consent prompts unavailable:", error));
      return () => {
        listening = false;
      };
    },
    answer: (id, answer) => call("access.consent.answer", { id, answer }),
    pending: () => call("access.consent.pending"),
  };

  const apps: Apps = {
    list: () => call("apps.list"),
    get: (id) => call("apps.get", { id }),
    install: (source, installOptions) => call("apps.install", { source, data: objectOr(installOptions).data }),
    update: (id, manifest) => call("apps.update", { id, manifest }),
    grant: (id, capabilities) => call("apps.grant", { id, capabilities }),
    uninstall: (id, uninstallOptions) => call("apps.uninstall", { id, keepData: objectOr(uninstallOptions).keepData }),
    export: (id, exportOptions) => call("apps.export", { id, data: objectOr(exportOptions).data }),
    import: (file) => call("apps.install", { source: file, data: true }),
    draft: (request, draftOptions) => {
      const onToken = objectOr(draftOptions).onToken;
      return call("apps.draft", { request }, { emit: (chunk: ChatCompletionChunk) => { const t = chunk.choices[0]?.delta?.content; if (t) onToken?.(t); } });
    },
    try: (manifest, input, tryOptions) => {
      const onEvent = objectOr(tryOptions).onEvent;
      return call("apps.try", { manifest, input }, { emit: (e: MemoryChatEvent) => onEvent?.(e) });
    },
    launch: async (id, input) => {
      const launched = (await call("apps.launch", { id, input })) as unknown as SpawnedProcess & { kind: "nl" | "code" };
      const handle: LaunchedApp = Object.assign(processHandle(launched), { kind: launched.kind });
      if (launched.kind === "code") {
        handle.output = call("proc.wait", { pid: launched.pid }).then((exit) => {
          if (exit.status === "exited") return exit.value;
          throw Object.assign(new Error(exit.error?.message ?? `the app ended: ${exit.status}`), { code: exit.error?.code ?? "EKILLED", name: "KernelError", logs: exit.logs });
        });
      } else if (input !== undefined) handle.reply = handle.chat(String(input));
      handle.output?.catch(() => undefined);
      handle.reply?.catch(() => undefined);
      return handle;
    },
  };

  const sites: Sites = {
    connect: async (origin, capabilities) => processHandle((await call("sites.connect", { origin, capabilities })) as unknown as SpawnedProcess),
    list: () => call("sites.list"),
    revoke: (origin) => call("sites.revoke", { origin }),
  };

  return {
    ready,
    llm: llmOf(call),
    storage: storageOf(call),
    chat: chatOf(call),
    memory: memoryOf(call),
    tools: toolsOf(call),
    messages: { ...messagesOf(call), list: (conversation) => call("messages.list", { conversation }) },
    agents: agentsOf(call),
    access,
    apps,
    sites,
    mcp: {
      connect: (connectOptions) => call("mcp.connect", connectOptions),
      list: () => call("mcp.list"),
      disconnect: (name) => call("mcp.disconnect", { name }),
    },
    spawn: async (spawnOptions) => processHandle((await call("proc.spawn", spawnOptions)) as unknown as SpawnedProcess),
    models,
    embedders: {
      list: () => call("embedders.list"),
      load: (id, loadOptions) => {
        const onProgress = objectOr(loadOptions).onProgress;
        return call("embedders.load", { id }, {
          emit: (p: LoadProgress) => {
            emitProgress(p);
            onProgress?.(p);
          },
        });
      },
    },
    devices: {
      hosts: () => call("devices.hosts"),
      served: () => deviceHost.served(),
      setPrompts(next) {
        prompts = next;
        deviceHost.announce();
      },
      liveCameraTracks,
    },
    kernel: {
      info: async () => (await booted, kernel.info()),
      stats: () => call("kernel.stats"),
      ps: () => call("proc.ps"),
      kill: (pid) => call("proc.kill", { pid }),
      wait: (pid) => call("proc.wait", { pid }),
      setPolicy: (config) => call("kernel.setPolicy", objectOr(config)),
      pause: (pid) => call("proc.pause", { pid }),
      resume: (pid, options) => call("proc.resume", { pid, step: objectOr(options).step as boolean | undefined }),
      steer: (pid, edit) => call("proc.steer", { pid, ...objectOr(edit) }),
    },
    human: {
      get: (app) => call("memory.human.get", { namespace: app }),
      set: (app, value) => call("memory.human.set", { namespace: app, value }),
      add: (app, fact) => call("memory.human.add", { namespace: app, fact }),
    },
  };
}
