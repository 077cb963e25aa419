/**
 * MCP servers as tool sources (issue 11, part 2): the official SDK's client
 * (@modelcontextprotocol/sdk) over its Streamable HTTP transport, loaded on the first connect.
 * The user connects a server from the shell (`aios.mcp.connect`); its tools join the registry as
 * `mcp.<name>.<tool>` with their schemas, and each needs the capability `mcp:<name>` — declared at
 * spawn and consented to like any other. The server's host needs no network grant beyond that:
 * connecting it was the user's own act.
 *
 * Invariants:
 * - Only the shell connects and disconnects (syscalls.ts); a process is offered a server's tools
 *   only if it declared `mcp:<name>` (Kernel.mayOffer checks the exact capability).
 * - What a server says is data: its tool descriptions are shown to a model as the server's words
 *   (marked so), its results are untrusted (labels.ts), a call is consequential unless the server
 *   marks the tool read-only, and the server is a network sink (private data needs approval).
 * - A server that fails — down at connect, gone mid-call, a result that does not match the tool's
 *   declared output schema, an expired session (one reconnect is tried) — is an EIO for that call
 *   or connect; the kernel goes on serving.
 */
import { KernelError, toKernelError } from "./errors.ts";
import type { ToolRegistry } from "./tools/registry.ts";
import type { ToolDriver } from "./tools/tool.ts";

type Sdk = {
  Client: typeof import("@modelcontextprotocol/sdk/client/index.js").Client;
  StreamableHTTPClientTransport: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js").StreamableHTTPClientTransport;
};
type Client = InstanceType<Sdk["Client"]>;
type Transport = InstanceType<Sdk["StreamableHTTPClientTransport"]>;

export interface McpConnectOptions {
  /** The server's Streamable HTTP endpoint, e.g. "http://127.0.0.1:3001/mcp". */
  url: string;
  /** Names its tools (`mcp.<name>.<tool>`) and its capability (`mcp:<name>`). */
  name: string;
  /** Sent with every request (e.g. an Authorization header of the user's). */
  headers?: Record<string, string>;
}

export interface McpServerInfo {
  name: string;
  url: string;
  /** What the server calls itself (its words, not ours). */
  server: { name: string; version: string } | null;
  tools: Array<{ name: string; tool: string; readOnly: boolean }>;
}

/** Server names: a capability qualifier and a tool-name segment. */
export const MCP_NAME = "^[a-z][a-z0-9-]{0,31}$";
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_TOOLS = 128;

interface Connection {
  options: McpConnectOptions;
  client: Client;
  transport: Transport;
  info: McpServerInfo;
  /** Calls in flight: ended with EIO when the server goes away under them. */
  inflight: Set<AbortController>;
}

/**
 * What the transport reports when the server has gone away: its stream ended and could not be
 * reopened. The SDK then keeps a call's request pending until its timeout; the kernel ends it.
 */
const GONE = /SSE stream disconnected: (?!AbortError)|Failed to reconnect|Maximum reconnection attempts|fetch failed/;

let sdk: Promise<Sdk> | null = null;
function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import("@modelcontextprotocol/sdk/client/index.js"), import("@modelcontextprotocol/sdk/client/streamableHttp.js")]).then(([c, t]) => ({ Client: c.Client, StreamableHTTPClientTransport: t.StreamableHTTPClientTransport }));
  sdk.catch(() => (sdk = null));
  return sdk;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An MCP tool's name as a segment of ours: lower case, [a-z0-9_-], at most what fits in 64. */
function segment(tool: string, room: number): string {
  const s = tool.toLowerCase().replace(/[^a-z0-9_-]/g, "_").replace(/^[^a-z]/, "t");
  return s.slice(0, Math.max(1, room));
}

/** An MCP result's content as text: text parts as they are, others named. */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { type?: string; text?: string; mimeType?: string; data?: string; resource?: { uri?: string; text?: string } }) => {
      if (part.type === "text") return part.text ?? "";
      if (part.type === "resource") return part.resource?.text ?? `[resource ${part.resource?.uri ?? ""}]`;
      return `[${part.type ?? "content"}${part.mimeType ? ` ${part.mimeType}` : ""}${part.data ? `, ${Math.round((part.data.length * 3) / 4)} bytes` : ""}]`;
    })
    .join("\n");
}

/** The server forgot the session (Streamable HTTP: 404 for an unknown Mcp-Session-Id). */
function sessionExpired(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 404 || /\b404\b|session not found|no valid session/i.test(message(error));
}

export class McpConnections {
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly registry: ToolRegistry) {}

  list(): McpServerInfo[] {
    return [...this.connections.values()].map((c) => structuredClone(c.info));
  }

  async connect(options: McpConnectOptions): Promise<McpServerInfo> {
    const { name } = options;
    if (!new RegExp(MCP_NAME).test(name)) throw new KernelError("EINVAL", `name: must match ${MCP_NAME}`);
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new KernelError("EINVAL", `url: ${options.url.slice(0, 200)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new KernelError("EINVAL", "url: must be http: or https:");
    if (this.connections.has(name)) throw new KernelError("EBUSY", `an MCP server named ${name} is connected already (disconnect it first)`);
    const { client, transport } = await this.open(options);
    try {
      const listed: Array<{ name: string; description?: string; inputSchema?: unknown; annotations?: { readOnlyHint?: boolean } }> = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: CONNECT_TIMEOUT_MS });
        listed.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && listed.length < MAX_TOOLS);
      const prefix = `mcp.${name}.`;
      const used = new Set<string>();
      const drivers: ToolDriver[] = [];
      const tools: McpServerInfo["tools"] = [];
      for (const tool of listed.slice(0, MAX_TOOLS)) {
        let ours = prefix + segment(tool.name, 64 - prefix.length);
        for (let i = 2; used.has(ours); i++) ours = `${ours.slice(0, 60)}_${i}`;
        used.add(ours);
        const readOnly = tool.annotations?.readOnlyHint === true;
        tools.push({ name: ours, tool: tool.name, readOnly });
        drivers.push(this.driver(name, ours, tool.name, tool.description ?? "", tool.inputSchema, readOnly));
      }
      const version = client.getServerVersion();
      const info: McpServerInfo = { name, url: url.href, server: version ? { name: String(version.name).slice(0, 100), version: String(version.version).slice(0, 50) } : null, tools };
      this.registry.add(...drivers);
      const connection: Connection = { options: { ...options, url: url.href }, client, transport, info, inflight: new Set() };
      this.watch(connection);
      this.connections.set(name, connection);
      return structuredClone(info);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw toKernelError(error, "EIO");
    }
  }

  async disconnect(name: string): Promise<boolean> {
    const connection = this.connections.get(name);
    if (!connection) return false;
    this.connections.delete(name);
    for (const tool of connection.info.tools) this.registry.remove(tool.name);
    await connection.transport.terminateSession().catch(() => undefined);
    await connection.client.close().catch(() => undefined);
    return true;
  }

  /** Ends the calls in flight when the transport says the server has gone. */
  private watch(connection: Connection): void {
    connection.client.onerror = (error) => {
      const text = message(error);
      if (!GONE.test(text)) return;
      for (const call of connection.inflight) call.abort(new KernelError("EIO", `the MCP server ${connection.info.name} went away mid-call (${text.slice(0, 120)})`));
    };
  }

  private async open(options: McpConnectOptions): Promise<{ client: Client; transport: Transport }> {
    const { Client, StreamableHTTPClientTransport } = await loadSdk();
    const transport = new StreamableHTTPClientTransport(new URL(options.url), {
      requestInit: { headers: { ...options.headers } },
      // A lost stream is retried once, soon: a server that is gone is reported within seconds.
      reconnectionOptions: { maxRetries: 1, initialReconnectionDelay: 300, maxReconnectionDelay: 2000, reconnectionDelayGrowFactor: 1.5 },
    });
    const client = new Client({ name: "aios", version: "0.1.0" });
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new KernelError("EIO", `could not connect to the MCP server ${options.name} at ${options.url}: ${message(error)}`, { cause: error });
    }
    return { client, transport };
  }

  private driver(server: string, name: string, tool: string, description: string, inputSchema: unknown, readOnly: boolean): ToolDriver {
    const schema = typeof inputSchema === "object" && inputSchema !== null ? inputSchema : { type: "object" };
    return {
      name,
      // The server's words, marked as such: a description is data, not instructions.
      description: `[MCP server "${server}" describes this tool as:] ${description}`.slice(0, 1024),
      parameters: schema as ToolDriver["parameters"],
      kind: "mcp",
      flow: { consequential: !readOnly, sink: "network" },
      capability: () => `mcp:${server}`,
      describe: (args) => `${tool} on the MCP server ${server} with ${JSON.stringify(args).slice(0, 200)}`,
      timeoutMs: 60_000,
      run: (args, ctx) => this.call(server, tool, args as Record<string, unknown>, ctx.signal),
    };
  }

  /** One call; an expired session is reopened once. */
  private async call(server: string, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const connection = this.connections.get(server);
      if (!connection) throw new KernelError("EIO", `the MCP server ${server} was disconnected`);
      const call = new AbortController();
      const stop = () => call.abort(signal.reason);
      signal.addEventListener("abort", stop, { once: true });
      connection.inflight.add(call);
      try {
        const result = await connection.client.callTool({ name: tool, arguments: args }, undefined, { signal: call.signal, timeout: 60_000 });
        if (result.isError) throw new KernelError("EIO", `${tool} on the MCP server ${server} failed: ${contentText(result.content).slice(0, 500)}`);
        return result.structuredContent ?? contentText(result.content);
      } catch (error) {
        if (error instanceof KernelError) throw error;
        if (call.signal.aborted) throw toKernelError(call.signal.reason ?? error, "EIO");
        if (attempt === 0 && sessionExpired(error)) {
          try {
            const fresh = await this.open(connection.options);
            await connection.client.close().catch(() => undefined);
            Object.assign(connection, fresh);
            this.watch(connection);
            continue;
          } catch (reopen) {
            throw new KernelError("EIO", `the MCP server ${server} ended the session and could not be reached again: ${message(reopen)}`);
          }
        }
        throw new KernelError("EIO", `the MCP server ${server} (${tool}): ${message(error)}`, { cause: error });
      } finally {
        connection.inflight.delete(call);
        signal.removeEventListener("abort", stop);
      }
    }
  }
}
