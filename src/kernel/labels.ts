/**
 * Labels on data (issue 11, part 3): the kernel, not the model, decides what data may cause.
 *
 * Each process carries a label: where the untrusted content it has been given came from (tool
 * and device results, files, fetched pages — anything but the user's own words and its app's
 * instructions), and which kinds of private data (location, files, clipboard, camera text) it
 * has seen. The label only grows during the process's life (a child starts with its parent's):
 * the kernel cannot tell which part of a context the model acted on, so it assumes any.
 *
 * Policy, applied by the kernel at every tool call (Kernel.callTool), whatever the capability
 * decisions say:
 * - a consequential call (it changes state or sends data out) after untrusted content needs the
 *   user's approval for that call;
 * - a call that can reach the network after private data needs the user's approval for that call;
 * - so does a call that can reach the network after untrusted content, unless every text in its
 *   arguments is the user's own words (a URL they gave): an injected "read
 *   http://granted-host/?q=<what the conversation holds>" would otherwise leak without a prompt.
 * Approvals are per call: "Always allow" is never offered for them, and a capability the user set
 * to "deny" stays denied.
 *
 * Invariant: nothing a tool returns, no file and no message can remove a source from a label or
 * change a process's capabilities; only the end of the process ends its label.
 */
import type { ToolDriver, ToolFlow } from "./tools/tool.ts";

export interface ProcessLabel {
  /** Where the untrusted content in its context came from, e.g. "web.read GET http://…" (oldest first, at most MAX_SOURCES). */
  untrusted: string[];
  /** Kinds of private data in its context ("location", "files", "clipboard", "camera"). */
  private: string[];
  /**
   * Files ("path@version") it wrote while its context held only trusted content: reading one of
   * these back adds nothing (at most MAX_OWN_FILES, the newest). Any other file is untrusted.
   */
  ownFiles: string[];
  /** What the user said to it (its conversation's user turns, the newest MAX_SAID). */
  said: string[];
}

const MAX_SOURCES = 16;
const MAX_OWN_FILES = 64;
const MAX_SAID = 8;

export function emptyLabel(): ProcessLabel {
  return { untrusted: [], private: [], ownFiles: [], said: [] };
}

export function copyLabel(label: ProcessLabel): ProcessLabel {
  return { untrusted: [...label.untrusted], private: [...label.private], ownFiles: [...label.ownFiles], said: [...label.said] };
}

/** The user's own words to the process (trusted input): what a network call may carry without asking. */
export function addSaid(label: ProcessLabel, text: string): void {
  if (!text || label.said.includes(text)) return;
  label.said = [...label.said, text].slice(-MAX_SAID);
}

/** Every string in a call's arguments (keys aside). */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** "path@version" of a file tool's result, or null. */
function fileOf(result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  const { path, version } = result as { path?: unknown; version?: unknown };
  return typeof path === "string" && typeof version === "number" ? `${path}@${version}` : null;
}

/** A tool's flow with the cautious defaults: untrusted output; consequential and a network sink only where declared. */
export function flowOf(driver: Pick<ToolDriver, "flow">): Required<Pick<ToolFlow, "output" | "consequential">> & ToolFlow {
  return { output: "untrusted", consequential: false, ...driver.flow };
}

/** Whether a result is trusted content: its tool's output is, or it reads back a file of `ownFiles`. */
export function isTrustedResult(label: ProcessLabel, driver: Pick<ToolDriver, "flow">, result: unknown): boolean {
  const flow = flowOf(driver);
  if (flow.output === "trusted") return true;
  const file = flow.file === "read" ? fileOf(result) : null;
  return file !== null && label.ownFiles.includes(file);
}

/**
 * What a call's result adds to its caller's label (`summary`: the call in plain words, its source;
 * `result`: what it returned, absent after an error).
 */
export function addResult(label: ProcessLabel, driver: Pick<ToolDriver, "name" | "flow">, summary: string, result?: unknown): void {
  const flow = flowOf(driver);
  const file = flow.file ? fileOf(result) : null;
  if (file && flow.file === "write" && label.untrusted.length === 0) {
    // Written from trusted content alone: this version is the user's words (or derived from them).
    label.ownFiles = [...label.ownFiles.filter((f) => f !== file), file].slice(-MAX_OWN_FILES);
  }
  if (flow.file === "read" && isTrustedResult(label, driver, result)) return;
  if (flow.output === "untrusted") addUntrusted(label, `${driver.name}: ${summary}`);
  if (flow.private && !label.private.includes(flow.private)) label.private.push(flow.private);
}

/** Content from another agent or from outside the tool path (later: messages, MCP descriptions). */
export function addUntrusted(label: ProcessLabel, source: string): void {
  const shown = source.slice(0, 160);
  if (label.untrusted.includes(shown)) return;
  label.untrusted.push(shown);
  // The oldest sources give way, never the fact of being untrusted.
  if (label.untrusted.length > MAX_SOURCES) label.untrusted.splice(0, label.untrusted.length - MAX_SOURCES);
}

/**
 * What one agent's words carry into another's context (a pattern's member read by its judge, its
 * merger or its caller): its untrusted sources and the kinds of private data it saw — not the
 * files it wrote nor the user's words to it.
 */
export function joinLabel(into: ProcessLabel, from: ProcessLabel): void {
  for (const source of from.untrusted) addUntrusted(into, source);
  for (const kind of from.private) if (!into.private.includes(kind)) into.private.push(kind);
}

/**
 * Why this call needs the user's approval for itself, in words for the dialog and the audit log,
 * or null when the policy lets it through (the capability decision still applies).
 */
export function approvalReason(label: ProcessLabel, driver: Pick<ToolDriver, "flow">, target: string, args?: unknown): string | null {
  const flow = flowOf(driver);
  const reasons: string[] = [];
  const shown = label.untrusted.slice(-2).join("; ") + (label.untrusted.length > 2 ? ` and ${label.untrusted.length - 2} more` : "");
  if (flow.consequential && label.untrusted.length > 0) {
    reasons.push(`this request follows content from ${shown}, which may have asked for it`);
  } else if (flow.sink === "network" && label.untrusted.length > 0 && stringsIn(args).some((text) => !label.said.some((words) => words.includes(text)))) {
    reasons.push(`this request follows content from ${shown}, and what it sends is not only your own words`);
  }
  if (flow.sink === "network" && label.private.length > 0) reasons.push(`it could send data from your ${label.private.join(", ")} to ${target}`);
  return reasons.length ? `Approve this one call: ${reasons.join("; and ")}.` : null;
}
