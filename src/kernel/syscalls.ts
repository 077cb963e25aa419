/**
 * The system-call table (xv6's syscall.c): each call is declared once — its name, the JSON Schema
 * of its arguments, who may make it, and its handler. `syscall()` checks the arguments at the
 * boundary (one validator, `schema.ts`), so a handler gets typed, validated values; the page's
 * client types (`SyscallArgs`, `SyscallResult`) are derived from the same declarations.
 *
 * Identity is not an argument: `ctx.pid` is the process whose port the call came in on (the
 * transport sets it), and `shell: true` calls are the user's alone (pid 1, the shell's own
 * connection). Every failure is a KernelError with a stable code.
 */
import type { ChatCompletionChunk } from "./chat.ts";
import { ChatRequestSchema } from "./chat.ts";
import type { LoadProgress } from "./engine.ts";
import { RemoteSource } from "./engines/remote.ts";
import { KernelError } from "./errors.ts";
import { isReserved, RESERVED_PREFIX, type Kernel } from "./kernel.ts";
import { MCP_NAME } from "./mcp.ts";
import type { MemoryChatEvent } from "./memory/memory.ts";
import { ReceiveSchema, SendSchema, TopicSchema } from "./messages.ts";
import { CollaborateSchema, DebateSchema, EnsembleSchema, LearnSchema } from "./patterns.ts";
import { giveFeedback, HUMAN_BLOCK, HUMAN_LIMIT, listFeedback, removeFeedback, validateFeedback, withFact } from "./memory/feedback.ts";
import { readHuman, writeHuman } from "./memory/memory.ts";
import { CAPABILITY, SpawnSchema } from "./process.ts";
import { Type, validate, type Static, type TSchema } from "./schema.ts";
import type { ConsentEvent } from "./access.ts";
import { APP_ID } from "./apps/manifest.ts";

export interface SyscallContext {
  /** The calling process: set by the transport from the port the call came in on. */
  pid: number;
  /** The tab (or other client) the call came from. */
  owner?: string;
  /** Names a request so it can be interrupted (unique per process). */
  requestId?: string;
  /** Streamed chunks (llm.chat with stream: true), load progress, consent prompts. */
  emit?: (event: unknown) => void;
}

interface Declaration<A extends TSchema, R> {
  /** JSON Schema of the arguments (an object; absent arguments are checked as `{}`). */
  args: A;
  /** The user's alone: only the shell (pid 1) may make it. */
  shell?: true;
  handler: (kernel: Kernel, ctx: SyscallContext, args: Static<A>) => R;
}

function declare<A extends TSchema, R>(d: Declaration<A, R>): Declaration<A, R> {
  return d;
}

const NoArgs = Type.Object({}, { additionalProperties: false });
const Path = Type.String({ minLength: 1, maxLength: 1024 });
const Namespace = Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Another app's namespace (the shell only)." }));
const Id = Type.String({ minLength: 1, maxLength: 256 });
const Decision = Type.Enum(["allow", "ask", "deny"]);
const AppId = Type.String({ pattern: APP_ID });

function emitter<T>(ctx: SyscallContext): ((event: T) => void) | undefined {
  return ctx.emit as ((event: T) => void) | undefined;
}

/** A process may not change the kernel's own files (`.memory/`); the shell (the user) may. */
function writable(k: Kernel, ctx: SyscallContext, path: string): string {
  if (ctx.pid !== k.shellPid && isReserved(path)) throw new KernelError("EPERM", `${path}: ${RESERVED_PREFIX} belongs to the kernel's memory manager (read it; use the memory calls to change it)`);
  return path;
}

export const SYSCALLS = {
  // --- the LLM ---
  "llm.chat": declare({
    args: ChatRequestSchema,
    handler: (k, ctx, args) => k.chat(args, { pid: ctx.pid, requestId: ctx.requestId, onChunk: emitter<ChatCompletionChunk>(ctx) }),
  }),
  // The shell (the user) may stop anything; a process only its own requests.
  "llm.interrupt": declare({
    args: Type.Object({ requestId: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.interrupt(args.requestId, ctx.pid),
  }),

  // --- processes ---
  "proc.spawn": declare({ args: SpawnSchema, handler: (k, ctx, args) => k.spawn(args, { caller: ctx.pid, owner: ctx.owner }) }),
  // A process ends itself as a kill would end it.
  "proc.exit": declare({ args: NoArgs, handler: (k, ctx) => k.kill(ctx.pid, ctx.pid) }),
  "proc.kill": declare({ args: Type.Object({ pid: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), handler: (k, ctx, args) => k.kill(args.pid, ctx.pid) }),
  "proc.ps": declare({ args: NoArgs, handler: (k, ctx) => k.ps(ctx.pid) }),
  "proc.self": declare({ args: NoArgs, handler: (k, ctx) => k.info(k.procs.live(ctx.pid)) }),
  // Interrupt and steer (steering.ts): the user, or an ancestor, pauses a process (and its
  // descendants), edits the step it waits at (its tool calls, its plan), adds a note, resumes it.
  "proc.pause": declare({ args: Type.Object({ pid: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), handler: (k, ctx, args) => k.pause(args.pid, ctx.pid) }),
  "proc.resume": declare({
    args: Type.Object({ pid: Type.Integer({ minimum: 1 }), step: Type.Optional(Type.Boolean({ description: "Run until the next step, and pause there." })) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.resume(args.pid, ctx.pid, { step: args.step }),
  }),
  "proc.steer": declare({
    args: Type.Object(
      {
        pid: Type.Integer({ minimum: 1 }),
        value: Type.Optional(Type.Unknown({ description: "The step replaced: tool calls [{ name, arguments: JSON text }] (empty: none), or a plan (steps as strings)." })),
        note: Type.Optional(Type.String({ maxLength: 4000, description: "The user's words to the agent, read before its next step." })),
      },
      { additionalProperties: false },
    ),
    handler: (k, ctx, args) => k.steer(args.pid, { value: args.value, note: args.note }, ctx.pid),
  }),
  /** Resolves with how a process ended (a code app's result or error), once it has. */
  "proc.wait": declare({ args: Type.Object({ pid: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), handler: (k, ctx, args) => k.wait(args.pid, ctx.pid) }),

  // --- apps: installing, changing and launching them is the user's alone ---
  "apps.list": declare({ args: NoArgs, shell: true, handler: (k) => k.apps.list() }),
  "apps.get": declare({ args: Type.Object({ id: AppId }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.apps.get(args.id) }),
  "apps.install": declare({
    args: Type.Object(
      {
        source: Type.Unknown({ description: "A manifest (an object or its JSON text), or an app file from apps.export (a Blob or its text)." }),
        data: Type.Optional(Type.Boolean({ description: "Import an app file's files and memory too (default true)." })),
      },
      { additionalProperties: false },
    ),
    shell: true,
    handler: (k, _ctx, args) => k.installApp(args.source, { data: args.data }),
  }),
  "apps.update": declare({ args: Type.Object({ id: AppId, manifest: Type.Unknown() }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.apps.update(args.id, args.manifest) }),
  "apps.grant": declare({
    args: Type.Object({ id: AppId, capabilities: Type.Array(Type.String({ pattern: CAPABILITY }), { minItems: 1, maxItems: 64 }) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.apps.grant(args.id, args.capabilities),
  }),
  "apps.uninstall": declare({
    args: Type.Object({ id: AppId, keepData: Type.Optional(Type.Boolean({ description: "Keep its files, memory and access decisions (default true)." })) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.uninstallApp(args.id, { keepData: args.keepData }),
  }),
  "apps.export": declare({ args: Type.Object({ id: AppId, data: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.exportApp(args.id, { data: args.data }) }),
  /** Like proc.spawn, the transport hands back the new process's own port. */
  "apps.launch": declare({
    args: Type.Object({ id: AppId, input: Type.Optional(Type.Unknown({ description: "A code app's input (JSON): its main is called with it." })) }, { additionalProperties: false }),
    shell: true,
    handler: (k, ctx, args) => k.launch(args.id, { owner: ctx.owner, input: args.input }),
  }),

  /** "Make me an app that …": a drafted manifest and its review; nothing is installed. The model's tokens stream as it writes. */
  "apps.draft": declare({
    args: Type.Object({ request: Type.String({ minLength: 1, maxLength: 1000, description: "What the app should do, in the user's words." }) }, { additionalProperties: false }),
    shell: true,
    handler: (k, ctx, args) => k.draftApp(args.request, { onChunk: emitter<ChatCompletionChunk>(ctx) }),
  }),
  /** One turn of a (drafted) app that is not installed, on `input`; its process and files are gone after. */
  "apps.try": declare({
    args: Type.Object({ manifest: Type.Unknown(), input: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }),
    shell: true,
    handler: (k, ctx, args) => k.tryApp(args.manifest, args.input, { owner: ctx.owner, onChunk: emitter<MemoryChatEvent>(ctx) }),
  }),

  // --- sites: pages on other origins, through the bridge (bridge.html is an AIOS page: a shell connection) ---
  /** Like apps.launch, the transport hands back the new process's own port. */
  "sites.connect": declare({
    args: Type.Object({ origin: Type.String({ minLength: 1, maxLength: 512 }), capabilities: Type.Array(Type.String({ pattern: CAPABILITY }), { maxItems: 64 }) }, { additionalProperties: false }),
    shell: true,
    handler: (k, ctx, args) => k.connectSite(args.origin, args.capabilities, { owner: ctx.owner }),
  }),
  "sites.list": declare({ args: NoArgs, shell: true, handler: (k) => k.listSites() }),
  "sites.revoke": declare({ args: Type.Object({ origin: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.revokeSite(args.origin) }),

  // --- models: the user's alone (a process must not point every prompt at a server of its choosing) ---
  "models.list": declare({ args: NoArgs, handler: (k) => k.listModels() }),
  "models.load": declare({ args: Type.Object({ id: Id }, { additionalProperties: false }), shell: true, handler: (k, ctx, args) => k.loadModel(args.id, emitter<LoadProgress>(ctx)) }),
  "models.delete": declare({ args: Type.Object({ id: Id }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.deleteModel(args.id) }),
  "models.connect": declare({
    args: Type.Object({ baseUrl: Type.String({ maxLength: 2048 }), apiKey: Type.Optional(Type.String({ maxLength: 4096 })), continueFinalMessage: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    shell: true,
    handler: async (k, _ctx, args) => {
      const source = await RemoteSource.connect(args);
      k.addSource(source);
      return source.list();
    },
  }),

  // --- files: each process reads and writes its app's namespace ---
  "storage.namespaces": declare({
    args: NoArgs,
    shell: true,
    handler: async (k, ctx) => {
      const { files } = k.filesOf(ctx.pid);
      return Promise.all((await files.namespaces()).map(async ({ ns }) => ({ ns, ...(await files.usage(ns)) })));
    },
  }),
  "storage.write": declare({
    args: Type.Object({ path: Path, content: Type.Unknown({ description: "Text, a Blob or a JSON value." }), meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.write(ns, writable(k, ctx, args.path), args.content, args.meta);
    },
  }),
  "storage.read": declare({
    args: Type.Object({ path: Path, version: Type.Optional(Type.Integer({ minimum: 1 })), namespace: Namespace }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return files.read(ns, args.path, { version: args.version });
    },
  }),
  "storage.list": declare({
    args: Type.Object({ prefix: Type.Optional(Type.String({ maxLength: 1024 })), namespace: Namespace }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return files.list(ns, args.prefix);
    },
  }),
  "storage.versions": declare({
    args: Type.Object({ path: Path }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.versions(ns, args.path);
    },
  }),
  "storage.rollback": declare({
    args: Type.Object({ path: Path, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.rollback(ns, writable(k, ctx, args.path), args.version);
    },
  }),
  "storage.remove": declare({
    args: Type.Object({ path: Path }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.remove(ns, writable(k, ctx, args.path));
    },
  }),
  "storage.search": declare({
    args: Type.Object(
      {
        query: Type.String({ minLength: 1, maxLength: 4096 }),
        options: Type.Optional(
          Type.Object({ k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), mode: Type.Optional(Type.Enum(["hybrid", "lexical", "vector"])), prefix: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false }),
        ),
        namespace: Namespace,
      },
      { additionalProperties: false },
    ),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return files.search(ns, args.query, { k: args.options?.k, mode: args.options?.mode as "hybrid" | "lexical" | "vector" | undefined, prefix: args.options?.prefix });
    },
  }),
  "storage.usage": declare({
    args: NoArgs,
    handler: (k, ctx) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.usage(ns);
    },
  }),
  // Export and import: a process its own namespace (not the kernel's `.memory/`); the shell (the user) everything.
  "storage.export": declare({
    args: NoArgs,
    handler: (k, ctx) => {
      const { files, ns } = k.filesOf(ctx.pid);
      return files.export(ctx.pid === k.shellPid ? undefined : ns);
    },
  }),
  "storage.import": declare({
    args: Type.Object({ data: Type.Unknown({ description: "An export file (a Blob or its text)." }) }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid);
      const shell = ctx.pid === k.shellPid;
      return files.import(args.data, { namespace: shell ? undefined : ns, reject: shell ? undefined : (path) => (isReserved(path) ? `${path}: ${RESERVED_PREFIX} belongs to the kernel's memory manager` : null) });
    },
  }),

  // --- memory: the process's managed conversation (the agent loop), core blocks, recall ---
  "memory.chat": declare({
    args: Type.Object({ text: Type.String({ minLength: 1, maxLength: 1_000_000 }), max_tokens: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.memory.chat(ctx.pid, args.text, { maxTokens: args.max_tokens, onChunk: emitter<MemoryChatEvent>(ctx) }),
  }),
  "memory.history": declare({ args: NoArgs, handler: (k, ctx) => k.memory.history(ctx.pid) }),
  "memory.remember": declare({
    args: Type.Object({ text: Type.String({ minLength: 1, maxLength: 1_000_000 }), meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.memory.remember(ctx.pid, args.text, args.meta),
  }),
  "memory.recall": declare({
    args: Type.Object({ query: Type.String({ minLength: 1, maxLength: 4096 }), k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.memory.recall(ctx.pid, args.query, args.k ?? 5),
  }),
  "memory.blocks.get": declare({ args: Type.Object({ label: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }), handler: (k, ctx, args) => k.memory.getBlocks(ctx.pid, args.label) }),
  "memory.blocks.set": declare({
    args: Type.Object({ label: Type.String({ maxLength: 64 }), value: Type.String({ maxLength: 100_000 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      // The human block holds what the user agreed to share about themselves: only they write it.
      if (args.label === HUMAN_BLOCK && ctx.pid !== k.shellPid) throw new KernelError("EPERM", `the ${HUMAN_BLOCK} block holds what the user agreed to share; only the user changes it (memory.human.*)`);
      return k.memory.setBlock(ctx.pid, args.label, args.value, { limit: args.limit });
    },
  }),
  /** A rating of an answer (thumbs, a correction): kept in the app's memory, its best-rated examples shown to it as few-shot examples later. */
  "memory.feedback": declare({
    args: Type.Object(
      {
        question: Type.String({ minLength: 1, maxLength: 4000, description: "The request the answer was to." }),
        answer: Type.String({ minLength: 1, maxLength: 16_000 }),
        rating: Type.Enum(["up", "down"]),
        correction: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: "What the answer should have been." })),
        namespace: Namespace,
      },
      { additionalProperties: false },
    ),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return giveFeedback(files, ns, { ...validateFeedback(args), byUser: ctx.pid === k.shellPid });
    },
  }),
  "memory.feedback.list": declare({
    args: Type.Object({ namespace: Namespace }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return listFeedback(files, ns);
    },
  }),
  "memory.feedback.remove": declare({
    args: Type.Object({ id: Type.String({ maxLength: 64 }), namespace: Namespace }, { additionalProperties: false }),
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return removeFeedback(files, ns, args.id);
    },
  }),
  // What the user told an app about themselves (its `human` block): shown, edited, deleted by the user alone.
  "memory.human.get": declare({
    args: Type.Object({ namespace: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
    shell: true,
    handler: async (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return { value: await readHuman(files, ns), limit: HUMAN_LIMIT };
    },
  }),
  /** Replaces the block; an empty value deletes it. */
  "memory.human.set": declare({
    args: Type.Object({ namespace: Type.String({ minLength: 1, maxLength: 128 }), value: Type.String({ maxLength: HUMAN_LIMIT }) }, { additionalProperties: false }),
    shell: true,
    handler: (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return writeHuman(files, ns, args.value);
    },
  }),
  /** The user agreed to let the app remember one thing about them (a fact `memory.chat` proposed). */
  "memory.human.add": declare({
    args: Type.Object({ namespace: Type.String({ minLength: 1, maxLength: 128 }), fact: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false }),
    shell: true,
    handler: async (k, ctx, args) => {
      const { files, ns } = k.filesOf(ctx.pid, args.namespace);
      return writeHuman(files, ns, withFact(await readHuman(files, ns), args.fact));
    },
  }),

  // --- embedders ---
  "embedders.list": declare({ args: NoArgs, handler: (k) => k.listEmbedders() }),
  "embedders.load": declare({ args: Type.Object({ id: Id }, { additionalProperties: false }), shell: true, handler: (k, ctx, args) => k.loadEmbedder(args.id, emitter<LoadProgress>(ctx)) }),

  // --- messages between agents (messages.ts): the sender is the calling process's app ---
  "messages.send": declare({ args: SendSchema, handler: (k, ctx, args) => k.sendMessage(ctx.pid, args) }),
  /** The next message to the caller's app (optionally of one conversation), waiting up to timeoutMs; ETIMEDOUT if none. */
  "messages.receive": declare({ args: ReceiveSchema, handler: (k, ctx, args) => k.receiveMessage(ctx.pid, args) }),
  "messages.subscribe": declare({ args: TopicSchema, handler: (k, ctx, args) => k.subscribe(ctx.pid, args.topic) }),
  "messages.unsubscribe": declare({ args: TopicSchema, handler: (k, ctx, args) => k.unsubscribe(ctx.pid, args.topic) }),
  /** The mailboxes and the recent envelopes (content left out): the System monitor's view. */
  "messages.list": declare({
    args: Type.Object({ conversation: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }),
    shell: true,
    handler: async (k, _ctx, args) => ({ mailboxes: await k.messages.list(), recent: k.messages.recent(args.conversation) }),
  }),

  // --- patterns of agents (patterns.ts) ---
  /** An ensemble: members answer in parallel as the caller's children; a weighted vote merges them; budgets stop it cleanly. */
  "agents.ensemble": declare({ args: EnsembleSchema, handler: (k, ctx, args) => k.ensemble(ctx.pid, args) }),
  /** Feedback for a named ensemble: the right answer to its last question; members that gave it keep their weight, the others' halves. */
  "agents.learn": declare({ args: LearnSchema, handler: (k, ctx, args) => k.learnEnsemble(ctx.pid, args) }),
  /** A debate: two debaters argue for N rounds as the caller's children; a judge decides and says why. */
  "agents.debate": declare({ args: DebateSchema, handler: (k, ctx, args) => k.debate(ctx.pid, args) }),
  /** Planner and workers: the task split into steps, done in parallel, merged; scratch files in the caller's namespace. */
  "agents.collaborate": declare({ args: CollaborateSchema, handler: (k, ctx, args) => k.collaborate(ctx.pid, args) }),

  // --- tools ---
  "tools.list": declare({ args: NoArgs, handler: (k) => k.listTools() }),
  /** Which open tab serves which device (the README's "where devices run", live); the user's alone: tab ids and focus are not an agent's business. */
  "devices.hosts": declare({ args: NoArgs, shell: true, handler: (k) => k.devices?.list() ?? [] }),
  "tools.call": declare({
    args: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), arguments: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
    handler: (k, ctx, args) => k.callTool(ctx.pid, args.name, args.arguments),
  }),

  // --- MCP servers: connecting and disconnecting are the user's alone ---
  "mcp.connect": declare({
    args: Type.Object(
      {
        url: Type.String({ minLength: 1, maxLength: 2048 }),
        name: Type.String({ pattern: MCP_NAME }),
        headers: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 8192 }))),
      },
      { additionalProperties: false },
    ),
    shell: true,
    handler: (k, _ctx, args) => k.mcp.connect(args),
  }),
  "mcp.list": declare({ args: NoArgs, handler: (k) => k.mcp.list() }),
  "mcp.disconnect": declare({ args: Type.Object({ name: Type.String({ pattern: MCP_NAME }) }, { additionalProperties: false }), shell: true, handler: (k, _ctx, args) => k.mcp.disconnect(args.name) }),

  // --- the access manager: the user's alone ---
  "access.list": declare({ args: NoArgs, shell: true, handler: (k) => k.access.list(k.procs.all().filter((p) => !p.done)) }),
  "access.set": declare({
    args: Type.Object({ app: Type.String({ minLength: 1, maxLength: 128 }), capability: Type.String({ pattern: CAPABILITY }), decision: Type.Union([Decision, Type.Null()]) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.access.set(args.app, args.capability, args.decision as "allow" | "ask" | "deny" | null),
  }),
  "access.audit": declare({
    args: Type.Object({ pid: Type.Optional(Type.Integer({ minimum: 1 })), app: Type.Optional(Type.String({ maxLength: 128 })), since: Type.Optional(Type.Number()), limit: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.access.audit(args),
  }),
  "access.network": declare({ args: NoArgs, shell: true, handler: (k) => k.access.networkConfig() }),
  "access.configureNetwork": declare({
    args: Type.Object({ proxy: Type.Union([Type.String({ maxLength: 2048, pattern: "^https?://.*\\{url\\}" }), Type.Null()]) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.access.configureNetwork(args.proxy ? { proxy: args.proxy } : {}),
  }),
  /** A shell tab shows consent prompts: the call stays open, prompts arrive as events. */
  "access.consent.listen": declare({
    args: NoArgs,
    shell: true,
    handler: (k, ctx) => {
      const send = emitter<ConsentEvent>(ctx);
      if (!send) throw new KernelError("EINVAL", "access.consent.listen needs an event callback");
      const stop = k.access.listen(ctx.owner ?? "page", send);
      return new Promise<void>(() => void stop);
    },
  }),
  "access.consent.pending": declare({ args: NoArgs, shell: true, handler: (k) => k.access.pendingRequests() }),
  "access.consent.answer": declare({
    args: Type.Object({ id: Type.String({ maxLength: 64 }), answer: Type.Enum(["once", "always", "deny"]) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.access.answer(args.id, args.answer as "once" | "always" | "deny"),
  }),

  // --- the kernel ---
  "kernel.info": declare({ args: NoArgs, handler: (k) => k.kernelInfo() }),
  "kernel.stats": declare({ args: NoArgs, handler: (k, ctx) => k.getStats(ctx.pid) }),
  "kernel.setPolicy": declare({
    args: Type.Object({ policy: Type.Optional(Type.Enum(["fifo", "rr", "priority"])), sliceTokens: Type.Optional(Type.Integer()), agingSlices: Type.Optional(Type.Integer()), kvBudgetBytes: Type.Optional(Type.Integer()), maxBatch: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
    shell: true,
    handler: (k, _ctx, args) => k.setPolicy(args),
  }),
} satisfies Record<string, Declaration<TSchema, unknown>>;

export type SyscallName = keyof typeof SYSCALLS;
/** What a call takes, from its declaration. */
export type SyscallArgs<N extends SyscallName> = Static<(typeof SYSCALLS)[N]["args"]>;
/** What a call resolves to, from its declaration's handler. */
export type SyscallResult<N extends SyscallName> = Awaited<ReturnType<(typeof SYSCALLS)[N]["handler"]>>;


/**
 * Dispatches one call as process `ctx.pid`. Unknown names are ENOSYS; calls from a dead or unknown
 * pid are refused; the user's calls from a process are EPERM; bad arguments are EINVAL naming the
 * field.
 */
export async function syscall(kernel: Kernel, name: unknown, ctx: SyscallContext, args?: unknown): Promise<unknown> {
  if (typeof name !== "string" || !Object.hasOwn(SYSCALLS, name)) {
    throw new KernelError("ENOSYS", `no system call ${typeof name === "string" ? name.slice(0, 80) : `(a ${typeof name}, not a name)`}`);
  }
  const caller = kernel.procs.live(ctx.pid);
  const declaration = SYSCALLS[name as SyscallName] as unknown as Declaration<TSchema, unknown>;
  if (declaration.shell && caller.pid !== kernel.shellPid) throw new KernelError("EPERM", `${name} is the user's alone (the shell), not pid ${caller.pid}'s (${caller.app})`);
  const valid = validate(declaration.args, args === undefined ? {} : args, "", "arguments");
  return declaration.handler(kernel, ctx, valid);
}

/**
 * How a code app's SDK calls reach the kernel (code-apps.ts's `dispatch`): a call as the app's
 * process, or as a process it spawned (`as`: checked to descend from it, never taken on trust).
 */
export function sdkDispatch(kernel: Kernel, owner?: string): (pid: number, name: string, args: unknown, as?: number) => Promise<unknown> {
  return async (pid, name, args, as) => {
    const actor = as ?? pid;
    if (actor !== pid && !kernel.procs.descendsFrom(actor, pid)) throw new KernelError("EPERM", `pid ${pid} may act only as itself and the processes it spawned, not pid ${actor}`);
    return syscall(kernel, name, { pid: actor, owner }, args);
  };
}
