/**
 * The memory manager: a process's context window is its RAM, its files are its disk (the paper's
 * two layers; Letta/MemGPT's core, recall and archival memory). It lives in the process's own
 * namespace under `.memory/`, so it persists, outlives the process, and the user can read it:
 *
 *   .memory/conversation.json   the turns still in context, the rolling summary of older ones
 *   .memory/blocks/<label>.json core memory blocks, always in context, each with a character limit
 *   .memory/items/recall/…      turns paged out of context, verbatim, searchable
 *   .memory/items/archival/…    what the process chose to remember, searchable
 *
 * Invariants:
 * - Every LLM call `chat` makes fits the window: system prompt + core blocks + summary + recalled
 *   items + recent turns ≤ window − reply room, counted by the model's own tokenizer and checked
 *   on the assembled prompt itself. A reply never fails for lack of room.
 * - Past `PAGE_AT` of the window, the oldest turns are written to recall storage (verbatim) and
 *   then summarised (an LLM call of the process, accounted to it); the conversation file is
 *   rewritten only after, so a crash between the two duplicates a turn but never loses one.
 * - One process's memory is changed by one call at a time (a lock per namespace).
 */
import type { ChatCompletionChunk, Usage } from "../chat.ts";
import type { ChatMessage } from "../engine.ts";
import { KernelError } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import type { FileStore } from "../storage/files.ts";

const CONVERSATION = ".memory/conversation.json";
const BLOCKS = ".memory/blocks/";
const ITEMS = ".memory/items/";
/** Past this share of the window, old turns are paged out ... */
export const PAGE_AT = 0.75;
/** ... until the conversation is back under this share. */
const PAGE_TO = 0.5;
const DEFAULT_SYSTEM = "You are a helpful assistant.";
const DEFAULT_BLOCK_LIMIT = 2000;
const MAX_BLOCK_LIMIT = 100_000;
const MAX_TEXT_CHARS = 1_000_000;
const RECALL_K = 3;

export interface Turn {
  role: "user" | "assistant";
  content: string;
  /** Tokens of this turn as one message (template included), by the model's tokenizer. */
  tokens: number;
  seq: number;
  at: number;
}

interface Conversation {
  turns: Turn[];
  summary: string;
  nextSeq: number;
  pagedOut: number;
}

export interface MemoryChatResult {
  content: string;
  finish_reason: string;
  usage: Usage;
  context: {
    /** Tokens of the prompt the model saw, and the window it had to fit. */
    promptTokens: number;
    window: number;
    turnsInContext: number;
    /** Turns paged out by this call, and in all. */
    pagedOut: number;
    totalPagedOut: number;
    recalled: number;
    /** Milliseconds this call spent on memory (loading, counting, paging, recall, assembly, saving), LLM calls excluded. */
    overheadMs: number;
  };
}

export interface RecallItem {
  path: string;
  kind: "recall" | "archival";
  text: string;
  score: number;
  meta: Record<string, unknown>;
}

export interface Block {
  label: string;
  value: string;
  limit: number;
}

function text(value: unknown, field: string, max = MAX_TEXT_CHARS): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) throw new KernelError("EINVAL", `${field}: must be a string of 1 to ${max} characters`);
  return value;
}

function label(value: unknown): string {
  if (typeof value !== "string" || !/^[a-z][a-z0-9_-]{0,31}$/.test(value)) throw new KernelError("EINVAL", "label: must be 1-32 lower-case letters, digits, _ or -, starting with a letter");
  return value;
}

export class MemoryManager {
  private readonly locks = new Map<string, Promise<unknown>>();


  constructor(private readonly kernel: Kernel) {}

  /** One turn of the process's conversation: the kernel assembles the context, pages, replies. */
  async chat(pid: number, input: unknown, options: { onChunk?: (c: ChatCompletionChunk) => void; maxTokens?: unknown } = {}): Promise<MemoryChatResult> {
    const message = text(input, "text");
    const { files, ns } = this.kernel.filesOf(pid);
    return this.locked(ns, async () => {
      const started = performance.now();
      const { window, reply, system } = this.config(pid, options.maxTokens);
      const conversation = await this.load(files, ns);
      conversation.turns.push({ role: "user", content: message, tokens: await this.tokensOf("user", message), seq: conversation.nextSeq++, at: Date.now() });
      const timing = { summaryMs: 0 };
      const pagedOut = await this.pageOut(pid, files, ns, conversation, window, reply, system, timing);
      await this.save(files, ns, conversation);
      const { messages, promptTokens, turnsInContext, recalled } = await this.assemble(files, ns, conversation, window - reply, system, message);
      const replyStarted = performance.now();
      const completion = await this.kernel.chat(
        { messages, max_tokens: reply, temperature: 0, stream: options.onChunk !== undefined },
        { pid, onChunk: options.onChunk },
      );
      const content = completion.choices[0]!.message.content;
      const replyEnded = performance.now();
      conversation.turns.push({ role: "assistant", content, tokens: await this.tokensOf("assistant", content), seq: conversation.nextSeq++, at: Date.now() });
      await this.save(files, ns, conversation);
      const overheadMs = performance.now() - started - (replyEnded - replyStarted) - timing.summaryMs;
      return {
        content,
        finish_reason: completion.choices[0]!.finish_reason,
        usage: completion.usage,
        context: { promptTokens, window, turnsInContext, pagedOut, totalPagedOut: conversation.pagedOut, recalled, overheadMs },
      };
    });
  }

  /** The conversation as the kernel keeps it: turns still in context and the summary of the rest. */
  async history(pid: number): Promise<{ turns: Turn[]; summary: string; pagedOut: number }> {
    const { files, ns } = this.kernel.filesOf(pid);
    const { turns, summary, pagedOut } = await this.load(files, ns);
    return { turns, summary, pagedOut };
  }

  /** Keeps `text` in archival memory (searchable by recall). */
  async remember(pid: number, input: unknown, meta?: unknown): Promise<{ path: string }> {
    const value = text(input, "text");
    const { files, ns } = this.kernel.filesOf(pid);
    const path = `${ITEMS}archival/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.md`;
    await files.write(ns, path, value, meta);
    return { path };
  }

  /** The `k` items of recall and archival memory that best match `query`. */
  async recall(pid: number, query: unknown, k: unknown = 5): Promise<RecallItem[]> {
    const q = text(query, "query", 4096);
    const { files, ns } = this.kernel.filesOf(pid);
    return this.search(files, ns, q, k as number);
  }

  async getBlocks(pid: number, which?: unknown): Promise<Block[]> {
    const { files, ns } = this.kernel.filesOf(pid);
    const labels = which === undefined ? (await files.list(ns, BLOCKS)).map((f) => f.path.slice(BLOCKS.length, -".json".length)) : [label(which)];
    const blocks: Block[] = [];
    for (const l of labels) {
      const read = await files.read(ns, `${BLOCKS}${l}.json`).catch((e: KernelError) => {
        if (e.code === "ENOENT" && which !== undefined) throw new KernelError("ENOENT", `block ${l}: not set`);
        throw e;
      });
      blocks.push({ label: l, ...(read.content as { value: string; limit: number }) });
    }
    return blocks;
  }

  async setBlock(pid: number, which: unknown, value: unknown, options: { limit?: unknown } = {}): Promise<Block> {
    const l = label(which);
    if (typeof value !== "string") throw new KernelError("EINVAL", "value: must be a string");
    const { files, ns } = this.kernel.filesOf(pid);
    let limit = options.limit;
    if (limit === undefined) limit = (await files.read(ns, `${BLOCKS}${l}.json`).then((r) => (r.content as unknown as Block).limit, () => DEFAULT_BLOCK_LIMIT));
    if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_BLOCK_LIMIT) throw new KernelError("EINVAL", `limit: must be an integer from 1 to ${MAX_BLOCK_LIMIT}`);
    if (value.length > (limit as number)) throw new KernelError("EQUOTA", `block ${l}: ${value.length} characters is over its ${limit}-character limit`);
    await files.write(ns, `${BLOCKS}${l}.json`, { value, limit }, undefined, { index: false });
    return { label: l, value, limit: limit as number };
  }

  private config(pid: number, maxTokens: unknown): { window: number; reply: number; system: string } {
    const proc = this.kernel.procs.live(pid);
    const model = this.kernel.contextLength();
    const window = Math.min(proc.memory.contextTokens ?? model, model);
    let reply = proc.memory.replyTokens ?? Math.min(256, Math.floor(window / 4));
    if (maxTokens !== undefined) {
      if (!Number.isSafeInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > window / 2) throw new KernelError("EINVAL", `max_tokens: must be an integer from 1 to ${Math.floor(window / 2)} (half the window)`);
      reply = maxTokens as number;
    }
    return { window, reply, system: proc.memory.system ?? DEFAULT_SYSTEM };
  }

  private async tokensOf(role: Turn["role"], content: string): Promise<number> {
    return this.kernel.countTokens([{ role, content }]);
  }

  /**
   * Moves the oldest turns out of context once the conversation passes PAGE_AT of the window:
   * verbatim into recall storage first, then into the rolling summary.
   */
  private async pageOut(pid: number, files: FileStore, ns: string, conversation: Conversation, window: number, reply: number, system: string, timing: { summaryMs: number }): Promise<number> {
    const fixed = await this.kernel.countTokens([{ role: "system", content: await this.systemText(files, ns, system, conversation.summary, []) }]);
    const used = () => fixed + conversation.turns.reduce((sum, t) => sum + t.tokens, 0) + reply;
    if (used() <= PAGE_AT * window || conversation.turns.length < 2) return 0;
    const evicted: Turn[] = [];
    while (conversation.turns.length > 1 && used() > PAGE_TO * window) evicted.push(conversation.turns.shift()!);
    for (const turn of evicted) {
      await files.write(ns, `${ITEMS}recall/${String(turn.seq).padStart(8, "0")}.md`, `${turn.role}: ${turn.content}`, { role: turn.role, seq: turn.seq, at: turn.at });
    }
    conversation.pagedOut += evicted.length;
    const started = performance.now();
    conversation.summary = await this.summarise(pid, conversation.summary, evicted, window);
    timing.summaryMs += performance.now() - started;
    return evicted.length;
  }

  /** A new rolling summary of the old one plus the turns leaving context (an LLM call of the process). */
  private async summarise(pid: number, previous: string, evicted: Turn[], window: number): Promise<string> {
    const maxTokens = Math.max(16, Math.floor(window / 8));
    let transcript = evicted.map((t) => `${t.role}: ${t.content}`).join("\n");
    const instruction = "Summarize the conversation below in a few sentences, keeping names, facts and decisions.";
    const request = () => [
      { role: "system" as const, content: instruction },
      { role: "user" as const, content: `${previous ? `Summary so far: ${previous}\n\n` : ""}${transcript}` },
    ];
    // Fit the transcript into the window (keeping its end, the freshest part).
    for (let i = 0; i < 4; i++) {
      const tokens = await this.kernel.countTokens(request());
      if (tokens + maxTokens <= window) break;
      transcript = "…" + transcript.slice(Math.ceil(transcript.length * (1 - (window - maxTokens) / tokens)) + 8);
    }
    try {
      const completion = await this.kernel.chat({ messages: request(), max_tokens: maxTokens, temperature: 0 }, { pid });
      return completion.choices[0]!.message.content.trim() || previous;
    } catch (error) {
      // Out of quota or killed: the caller must hear it. Anything else: the turns are safe in
      // recall storage; keep the old summary.
      if (error instanceof KernelError && (error.code === "EQUOTA" || error.code === "EKILLED")) throw error;
      return previous;
    }
  }

  /**
   * The prompt: one system message (instructions, core blocks, summary, recalled items), then as
   * many recent turns as fit, newest last; verified on the assembled messages and trimmed until
   * they fit `budget`.
   */
  private async assemble(files: FileStore, ns: string, conversation: Conversation, budget: number, system: string, query: string) {
    const inContext = new Set(conversation.turns.map((t) => t.seq));
    const recalled = (await this.search(files, ns, query, RECALL_K)).filter((item) => !inContext.has(Number(item.meta.seq)));
    let recallBudget = Math.floor(budget / 8);
    const kept: RecallItem[] = [];
    for (const item of recalled) {
      const tokens = await this.kernel.countTokens([{ role: "user", content: item.text }]);
      if (tokens > recallBudget) continue;
      recallBudget -= tokens;
      kept.push(item);
    }
    const systemMessage: ChatMessage = { role: "system", content: await this.systemText(files, ns, system, conversation.summary, kept) };
    let room = budget - (await this.kernel.countTokens([systemMessage]));
    const turns: ChatMessage[] = [];
    for (let i = conversation.turns.length - 1; i >= 0; i--) {
      const turn = conversation.turns[i]!;
      if (turn.tokens > room && turns.length > 0) break;
      turns.unshift({ role: turn.role, content: turn.content });
      room -= turn.tokens;
    }
    // Check the real prompt; drop the oldest turns, and as a last resort shorten the newest
    // message (its full text is kept in the conversation and, once paged out, in recall).
    let messages = [systemMessage, ...turns];
    let promptTokens = await this.kernel.countTokens(messages);
    while (promptTokens > budget) {
      if (messages.length > 2) messages.splice(1, 1);
      else if (messages[1]!.content.length > 1) {
        const last = messages[1]!;
        messages[1] = { ...last, content: "…" + last.content.slice(Math.ceil(last.content.length * (1 - budget / promptTokens)) + 8) };
      } else {
        messages[0] = { ...systemMessage, content: systemMessage.content.slice(0, Math.floor(systemMessage.content.length / 2)) };
      }
      promptTokens = await this.kernel.countTokens(messages);
    }
    return { messages, promptTokens, turnsInContext: messages.length - 1, recalled: kept.length };
  }

  private async systemText(files: FileStore, ns: string, system: string, summary: string, recalled: RecallItem[]): Promise<string> {
    const blocks = await this.getBlocksOf(files, ns);
    const parts = [system];
    if (blocks.length) parts.push(`<core_memory>\n${blocks.map((b) => `<${b.label}>${b.value}</${b.label}>`).join("\n")}\n</core_memory>`);
    if (summary) parts.push(`<summary>Earlier conversation: ${summary}</summary>`);
    if (recalled.length) parts.push(`<recalled>\n${recalled.map((r) => `- ${r.text}`).join("\n")}\n</recalled>`);
    return parts.join("\n\n");
  }

  private async getBlocksOf(files: FileStore, ns: string): Promise<Block[]> {
    const list = await files.list(ns, BLOCKS);
    return Promise.all(list.map(async (f) => ({ label: f.path.slice(BLOCKS.length, -".json".length), ...((await files.read(ns, f.path)).content as { value: string; limit: number }) })));
  }

  private async search(files: FileStore, ns: string, query: string, k: number): Promise<RecallItem[]> {
    const hits = await files.search(ns, query, { k, prefix: ITEMS, mode: "hybrid" });
    return Promise.all(
      hits.map(async (hit) => {
        const read = await files.read(ns, hit.path);
        return { path: hit.path, kind: hit.path.startsWith(`${ITEMS}recall/`) ? ("recall" as const) : ("archival" as const), text: read.content as string, score: hit.score, meta: read.meta };
      }),
    );
  }

  private async load(files: FileStore, ns: string): Promise<Conversation> {
    try {
      return (await files.read(ns, CONVERSATION)).content as unknown as Conversation;
    } catch (error) {
      if (error instanceof KernelError && error.code === "ENOENT") return { turns: [], summary: "", nextSeq: 1, pagedOut: 0 };
      throw error;
    }
  }

  private async save(files: FileStore, ns: string, conversation: Conversation): Promise<void> {
    // Bookkeeping, not searchable: turns are found in recall storage once paged out.
    await files.write(ns, CONVERSATION, conversation as never, undefined, { index: false });
  }

  private locked<T>(ns: string, run: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(ns) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.locks.set(ns, tail);
    void tail.then(() => this.locks.get(ns) === tail && this.locks.delete(ns));
    return next;
  }
}
