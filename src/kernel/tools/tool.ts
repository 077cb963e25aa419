/**
 * The one interface every tool implements (the Vercel AI SDK's LanguageModelV2 idea: one small
 * interface, many backends). Software libraries and the network run in the kernel; the devices
 * (geolocation, camera, clipboard, …) run in tabs behind the same interface: the kernel's side of a
 * device is a driver (./devices.ts) whose `run` forwards the call to a tab that can serve it.
 *
 * A driver is a declaration plus a handler: its name, description and `parameters` (a JSON Schema)
 * are exactly what a model is shown as an OpenAI `tools` entry; the kernel validates arguments
 * against `parameters` before `run` sees them, checks the capability with the access manager, and
 * audits the call. A driver never decides who may call it.
 */
import type { Static, TSchema } from "../schema.ts";
import type { Content, FileInfo, SearchHit } from "../storage/files.ts";

/** Where a tool runs: software in the kernel ("library"), a browser device in a tab ("device"), or an MCP server the user connected ("mcp"). */
export type ToolKind = "library" | "device" | "mcp";

/** The calling app's own files (its namespace), as a tool may use them. `.memory/` is the kernel's. */
export interface AppFiles {
  read(path: string): Promise<{ path: string; version: number; content: Content; type: string }>;
  /** A string is a text file; a Blob keeps its bytes and type (a photo, an imported file). */
  write(path: string, content: string | Blob): Promise<{ path: string; version: number }>;
  list(prefix?: string): Promise<FileInfo[]>;
  search(query: string, k?: number): Promise<SearchHit[]>;
}

/** The user's network settings (set in the shell's Permissions window). */
export interface NetworkSettings {
  /**
   * A proxy of the user's own for sites that refuse cross-origin reads (CORS): a URL template with
   * `{url}` where the target goes, URL-encoded, e.g. "http://127.0.0.1:8080/fetch?url={url}".
   */
  proxy?: string;
}

export interface ToolContext {
  /** The calling process and its app (the namespace its files live in). */
  pid: number;
  app: string;
  /** Aborted when the call times out, the process is killed or the caller gives up. */
  signal: AbortSignal;
  files: AppFiles;
  network: NetworkSettings;
}

export interface ToolDriver<P extends TSchema = TSchema> {
  /** e.g. "calculator", "files.write", "web.read"; [a-z][a-z0-9_.-]*, at most 64 characters. */
  readonly name: string;
  /** One or two sentences a model (and the user) reads. */
  readonly description: string;
  /** JSON Schema of the arguments (an object schema). */
  readonly parameters: P;
  /** JSON Schema of the result, where it helps. */
  readonly result?: TSchema;
  readonly kind: ToolKind;
  /**
   * What the call does to information flow (issue 11, part 3): whether its result is untrusted data
   * (default: yes — only results computed from the caller's own arguments are not), what private
   * data it carries, whether the call changes state or sends data out (consequential), and whether
   * it reaches the network (a sink for private data). Absent fields take the cautious default.
   */
  readonly flow?: ToolFlow;
  /** The capability a call needs; may depend on the arguments (`network:<host>`). */
  capability(args: Static<P>): string;
  /**
   * How `aios.tools.list()` names the capability when it depends on the arguments, e.g.
   * "network:<host>" (default: `capability({})`).
   */
  readonly capabilityLabel?: string;
  /** Every other capability a call may need (e.g. "geolocation:precise"), beyond the label's. */
  readonly capabilities?: readonly string[];
  /** The call in plain words for the consent dialog and the audit log, e.g. "GET http://127.0.0.1:8123/a". */
  describe(args: Static<P>): string;
  /** Milliseconds before the kernel aborts the call with ETIMEDOUT (default 30 s). */
  readonly timeoutMs?: number;
  /** Runs the call on validated arguments; throws a KernelError (EINVAL, EIO, ETIMEDOUT, …) on failure. */
  run(args: Static<P>, ctx: ToolContext): Promise<unknown>;
}

export interface ToolFlow {
  /** "trusted": a pure function of the caller's arguments (calculator, clock) or a confirmation the kernel or the OS's own tab writes (files.write's version); default "untrusted". */
  output?: "trusted" | "untrusted";
  /** The kind of private data its result carries: "location", "files", "clipboard", "camera". */
  private?: string;
  /** It changes state or sends data out (files.write, notify, fetch, …). */
  consequential?: boolean;
  /** Its arguments can leave the machine. */
  sink?: "network";
  /**
   * It writes or reads one of the app's files and its result names `{ path, version }`: a file a
   * process wrote while its context held only trusted content reads back as trusted (labels.ts).
   */
  file?: "write" | "read";
}

/** Declares a driver with its argument types inferred from `parameters`. */
export function defineTool<P extends TSchema>(driver: ToolDriver<P>): ToolDriver<P> {
  return driver;
}

/** What `aios.tools.list()` shows: the declaration without the handler. */
export interface ToolInfo {
  name: string;
  description: string;
  parameters: unknown;
  capability: string;
  kind: ToolKind;
}

/**
 * How a tool's result is shown to a model in the `tool` message: strings as they are, anything
 * else as compact JSON (`JSON.stringify`). Errors are shown as `Error: <CODE> <message>`.
 */
export function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  if (result === undefined) return "null";
  return JSON.stringify(result);
}

export function errorText(error: { code?: string; message: string }): string {
  return `Error: ${error.code ?? "EIO"} ${error.message}`;
}
