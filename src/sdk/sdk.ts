/**
 * The app SDK: what an app can do, as calls on its own process's channel. One factory serves every
 * runtime: a code app's QuickJS sandbox (where `call` crosses to the kernel as that process), and
 * later pages on other sites through the bridge. Its types come from the kernel's declarations
 * (`SyscallArgs` / `SyscallResult`).
 *
 * `createSdk` is also evaluated *inside* the sandbox from its own source text
 * (`createSdk.toString()`), so it must stay self-contained: no imports used at run time, no
 * closures over module state, plain modern JavaScript once the types are stripped.
 */
import type { SyscallArgs, SyscallName, SyscallResult } from "../kernel/syscalls.ts";

/** The calls the SDK makes: a code app can make these and no others. */
export const SDK_CALLS = [
  "llm.chat",
  "memory.chat",
  "memory.history",
  "memory.remember",
  "memory.recall",
  "memory.blocks.get",
  "memory.blocks.set",
  "storage.read",
  "storage.write",
  "storage.list",
  "storage.search",
  "storage.remove",
  "storage.versions",
  "storage.usage",
  "tools.list",
  "tools.call",
  "proc.spawn",
  "proc.self",
  "proc.ps",
  "proc.kill",
  "kernel.info",
  "messages.send",
  "messages.receive",
  "messages.subscribe",
  "messages.unsubscribe",
  "agents.ensemble",
  "agents.learn",
  "agents.debate",
  "agents.collaborate",
  "memory.feedback",
  "memory.feedback.list",
  "proc.pause",
  "proc.resume",
  "proc.steer",
] as const satisfies readonly SyscallName[];

export type SdkCallName = (typeof SDK_CALLS)[number];

/** One call as this process, or (`as`) as a process it spawned. */
export type SdkCall = <N extends SdkCallName>(name: N, args: SyscallArgs<N>, as?: number) => Promise<SyscallResult<N>>;

type R<N extends SdkCallName> = Promise<SyscallResult<N>>;

/** A sub-agent the app spawned: its calls act as that process (charged to it, inside the app's quota). */
export interface SdkAgent {
  pid: number;
  name: string;
  chat(text: string, options?: { max_tokens?: number }): R<"memory.chat">;
  llm: { chat(request: SyscallArgs<"llm.chat">): R<"llm.chat"> };
  tools: { call(name: string, args?: Record<string, unknown>): R<"tools.call"> };
  kill(): R<"proc.kill">;
}

export interface Sdk {
  /** One Chat Completions request (no streaming in the sandbox). */
  llm: { chat(request: SyscallArgs<"llm.chat">): R<"llm.chat"> };
  /** A turn of the app's own managed conversation, with the tool loop. */
  chat(text: string, options?: { max_tokens?: number }): R<"memory.chat">;
  memory: {
    history(): R<"memory.history">;
    remember(text: string, meta?: Record<string, unknown>): R<"memory.remember">;
    recall(query: string, k?: number): R<"memory.recall">;
    blocks: { get(label?: string): R<"memory.blocks.get">; set(label: string, value: string, options?: { limit?: number }): R<"memory.blocks.set"> };
  };
  /** The app's own files (its namespace). */
  storage: {
    read(path: string, options?: { version?: number }): R<"storage.read">;
    write(path: string, content: unknown, meta?: Record<string, unknown>): R<"storage.write">;
    list(prefix?: string): R<"storage.list">;
    search(query: string, options?: { k?: number; mode?: "hybrid" | "lexical" | "vector"; prefix?: string }): R<"storage.search">;
    remove(path: string): R<"storage.remove">;
    versions(path: string): R<"storage.versions">;
    usage(): R<"storage.usage">;
  };
  /** The tools the app's capabilities reach, checked and audited like any call. */
  tools: { list(): R<"tools.list">; call(name: string, args?: Record<string, unknown>): R<"tools.call"> };
  /** A sub-agent: same app, capabilities a subset of the app's. */
  spawn(options: SyscallArgs<"proc.spawn">): Promise<SdkAgent>;
  self(): R<"proc.self">;
  ps(): R<"proc.ps">;
  kernel: { info(): R<"kernel.info"> };
  /** Messages to other agents (needs message:<app> or message:*); what arrives is untrusted data. */
  messages: {
    send(message: SyscallArgs<"messages.send">): R<"messages.send">;
    receive(options?: SyscallArgs<"messages.receive">): R<"messages.receive">;
    subscribe(topic: string): R<"messages.subscribe">;
    unsubscribe(topic: string): R<"messages.unsubscribe">;
  };
  /** Patterns of agents: the app's children do the work, inside its quota. */
  agents: {
    ensemble(args: SyscallArgs<"agents.ensemble">): R<"agents.ensemble">;
    learn(args: SyscallArgs<"agents.learn">): R<"agents.learn">;
    debate(args: SyscallArgs<"agents.debate">): R<"agents.debate">;
    collaborate(args: SyscallArgs<"agents.collaborate">): R<"agents.collaborate">;
  };
}

export function createSdk(call: SdkCall): Sdk {
  const agent = (pid: number, name: string): SdkAgent => ({
    pid,
    name,
    chat: (text, options) => call("memory.chat", { text, max_tokens: options && options.max_tokens }, pid),
    llm: { chat: (request) => call("llm.chat", request, pid) },
    tools: { call: (tool, args) => call("tools.call", { name: tool, arguments: args || {} }, pid) },
    kill: () => call("proc.kill", { pid }),
  });
  return {
    llm: { chat: (request) => call("llm.chat", request) },
    chat: (text, options) => call("memory.chat", { text, max_tokens: options && options.max_tokens }),
    memory: {
      history: () => call("memory.history", {}),
      remember: (text, meta) => call("memory.remember", { text, meta }),
      recall: (query, k) => call("memory.recall", { query, k }),
      blocks: {
        get: (label) => call("memory.blocks.get", { label }),
        set: (label, value, options) => call("memory.blocks.set", { label, value, limit: options && options.limit }),
      },
    },
    storage: {
      read: (path, options) => call("storage.read", { path, version: options && options.version }),
      write: (path, content, meta) => call("storage.write", { path, content, meta }),
      list: (prefix) => call("storage.list", { prefix }),
      search: (query, options) => call("storage.search", { query, options }),
      remove: (path) => call("storage.remove", { path }),
      versions: (path) => call("storage.versions", { path }),
      usage: () => call("storage.usage", {}),
    },
    tools: {
      list: () => call("tools.list", {}),
      call: (name, args) => call("tools.call", { name, arguments: args || {} }),
    },
    spawn: async (options) => {
      const child = await call("proc.spawn", options);
      return agent(child.pid, child.name);
    },
    self: () => call("proc.self", {}),
    ps: () => call("proc.ps", {}),
    kernel: { info: () => call("kernel.info", {}) },
    messages: {
      send: (message) => call("messages.send", message),
      receive: (options) => call("messages.receive", options || {}),
      subscribe: (topic) => call("messages.subscribe", { topic }),
      unsubscribe: (topic) => call("messages.unsubscribe", { topic }),
    },
    agents: {
      ensemble: (args) => call("agents.ensemble", args),
      learn: (args) => call("agents.learn", args),
      debate: (args) => call("agents.debate", args),
      collaborate: (args) => call("agents.collaborate", args),
    },
  };
}
