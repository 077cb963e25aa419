/**
 * Messages between agents (issue 13, part 1): a typed envelope after FIPA-ACL — the seed's
 * "communication language" — and one bounded mailbox per app.
 *
 * Invariants:
 * - `from` is never taken from the message: the kernel writes the sending process's app and pid.
 * - A mailbox holds at most `limit` messages; a send that would overflow any recipient's mailbox
 *   is refused whole with EAGAIN (back-pressure), never dropped in part or in silence.
 * - A message is delivered once: `receive` takes it out of the mailbox. Messages past their
 *   `deadline` are not delivered; they are counted (`expired`) and reported, not silently lost.
 * - Mailboxes (and topic subscriptions) of apps the `persistent` predicate names (installed
 *   apps) are written through to the store on every change and come back after a restart.
 * The post office knows nothing of capabilities or labels: the kernel checks the sender and marks
 * what a receiver reads as untrusted (kernel.ts).
 */
import { KernelError } from "./errors.ts";
import { Type, type Static } from "./schema.ts";

export const PERFORMATIVES = ["request", "inform", "propose", "accept", "reject", "query", "cancel"] as const;
export type Performative = (typeof PERFORMATIVES)[number];

/** The capability family: `message:<app>`, `message:topic:<name>`, `message:*`. */
export const MESSAGE_CAPABILITY = "message";
/** A topic is addressed as `topic:<name>`; anything else names an app (its id, or a process's app). */
export const TOPIC_PREFIX = "topic:";
const TOPIC_NAME = "[a-z0-9][a-z0-9._-]{0,63}";
export const MAX_CONTENT_CHARS = 16_000;
export const DEFAULT_MAILBOX_LIMIT = 64;
export const MAX_RECEIVE_MS = 60_000;
/** Receives of one app waiting at once, and topics one app subscribes to, at most (more: EQUOTA). */
export const MAX_WAITING_RECEIVES = 16;
export const MAX_TOPICS = 32;
/** The post office keeps this many recent envelopes (no content) for the System monitor's sequence diagram. */
export const TRAIL_LENGTH = 200;

export const SendSchema = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 300, pattern: "^\\S+$", description: 'An app id (its mailbox), or "topic:<name>" (every subscriber).' }),
    performative: Type.Union([Type.Literal("request"), Type.Literal("inform"), Type.Literal("propose"), Type.Literal("accept"), Type.Literal("reject"), Type.Literal("query"), Type.Literal("cancel")], { description: "What the message does: request, inform, propose, accept, reject, query, cancel." }),
    content: Type.Unknown({ description: `Text or JSON, at most ${MAX_CONTENT_CHARS} characters as JSON.` }),
    conversation: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "The conversation it belongs to (a new one when absent)." })),
    replyTo: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "The id of the message it answers." })),
    deadline: Type.Optional(Type.Integer({ minimum: 0, description: "Epoch milliseconds after which it is not delivered." })),
  },
  { additionalProperties: false },
);
export type SendArgs = Static<typeof SendSchema>;

export const ReceiveSchema = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RECEIVE_MS, description: "How long to wait for a message (default 0: only what is there)." })),
    conversation: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Only a message of this conversation." })),
  },
  { additionalProperties: false },
);
export type ReceiveArgs = Static<typeof ReceiveSchema>;

export const TopicSchema = Type.Object({ topic: Type.String({ pattern: `^${TOPIC_NAME}$`, description: "A topic's name (without topic:)." }) }, { additionalProperties: false });

/** A message as delivered. */
export interface Message {
  id: string;
  conversation: string;
  /** The sender's app, and its process (written by the kernel). */
  from: string;
  fromPid: number;
  to: string;
  performative: Performative;
  content: unknown;
  replyTo?: string;
  deadline?: number;
  sentAt: number;
}

/** One line of the trail: who told whom what kind of thing, when (content left out). */
export interface TrailEntry {
  id: string;
  conversation: string;
  from: string;
  fromPid: number;
  to: string;
  /** The mailboxes it went to (a topic: its subscribers). */
  delivered: string[];
  performative: Performative;
  replyTo?: string;
  at: number;
  /** When it was taken out of a mailbox (the first receive), if it was. */
  receivedAt?: number;
}

/** A mailbox as stored. */
export interface StoredMailbox {
  app: string;
  messages: Message[];
  topics: string[];
}

export interface MailStore {
  loadMailboxes(): Promise<StoredMailbox[]>;
  putMailbox(box: StoredMailbox): Promise<void>;
  deleteMailbox(app: string): Promise<void>;
}

export interface MailboxInfo {
  app: string;
  queued: number;
  limit: number;
  topics: string[];
  persistent: boolean;
  expired: number;
}

interface Box {
  messages: Message[];
  topics: Set<string>;
  expired: number;
  waiters: Array<{ conversation?: string; take: (m: Message) => void }>;
}

let counter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(++counter).toString(36)}`;

export class PostOffice {
  private readonly boxes = new Map<string, Box>();
  private readonly trail: TrailEntry[] = [];
  private loaded: Promise<void> | null = null;
  readonly limit: number;

  /**
   * `exists`: whether an app may be written to (an installed app, one with a live process): a send
   * to anyone else is ENOENT, so a sender cannot make mailboxes without end by naming strangers.
   */
  constructor(private readonly options: { store?: MailStore; limit?: number; persistent?: (app: string) => boolean; exists?: (app: string) => boolean; now?: () => number } = {}) {
    this.limit = options.limit ?? DEFAULT_MAILBOX_LIMIT;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Loads the stored mailboxes (once). */
  ready(): Promise<void> {
    this.loaded ??= (async () => {
      for (const stored of (await this.options.store?.loadMailboxes()) ?? []) {
        const box = this.box(stored.app);
        box.messages.push(...stored.messages);
        for (const t of stored.topics) box.topics.add(t);
      }
    })().catch((error) => {
      this.loaded = null;
      throw new KernelError("EIO", `messages: could not read the stored mailboxes: ${(error as Error).message}`, { cause: error });
    });
    return this.loaded;
  }

  private box(app: string): Box {
    let box = this.boxes.get(app);
    if (!box) {
      box = { messages: [], topics: new Set(), expired: 0, waiters: [] };
      this.boxes.set(app, box);
    }
    return box;
  }

  private async save(app: string): Promise<void> {
    if (!this.options.store || !this.options.persistent?.(app)) return;
    const box = this.box(app);
    try {
      if (box.messages.length === 0 && box.topics.size === 0) await this.options.store.deleteMailbox(app);
      else await this.options.store.putMailbox({ app, messages: box.messages, topics: [...box.topics] });
    } catch (error) {
      throw new KernelError("EIO", `messages: could not store ${app}'s mailbox: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The apps a message to `to` goes to: the app itself, or a topic's subscribers. */
  recipients(to: string): string[] {
    if (!to.startsWith(TOPIC_PREFIX)) return [to];
    const topic = to.slice(TOPIC_PREFIX.length);
    return [...this.boxes.entries()].filter(([, box]) => box.topics.has(topic)).map(([app]) => app);
  }

  /**
   * Posts a message from `sender`. EAGAIN if a recipient's mailbox is full (nothing is delivered
   * then), ENOENT for a topic nobody subscribes to, EINVAL for content over the limit.
   */
  async send(sender: { app: string; pid: number }, args: SendArgs): Promise<Message> {
    await this.ready();
    const chars = (JSON.stringify(args.content) ?? "").length;
    if (args.content === undefined) throw new KernelError("EINVAL", "content: a message needs content");
    if (chars > MAX_CONTENT_CHARS) throw new KernelError("EINVAL", `content: ${chars} characters of JSON is over the ${MAX_CONTENT_CHARS} a message may carry (send a file's path instead)`);
    if (args.to.startsWith(TOPIC_PREFIX) && !new RegExp(`^${TOPIC_NAME}$`).test(args.to.slice(TOPIC_PREFIX.length))) throw new KernelError("EINVAL", `to: ${args.to} is not a topic name`);
    const to = this.recipients(args.to);
    if (to.length === 0) throw new KernelError("ENOENT", `to: nobody subscribes to ${args.to}`);
    if (!args.to.startsWith(TOPIC_PREFIX) && this.options.exists && !this.boxes.has(args.to) && !this.options.exists(args.to)) throw new KernelError("ENOENT", `to: no app or process ${args.to.slice(0, 64)} to write to`);
    const full = to.find((app) => this.box(app).messages.length >= this.limit);
    if (full) throw new KernelError("EAGAIN", `${full}'s mailbox is full (${this.limit} messages): try again after it reads some`);
    const message: Message = {
      id: newId("msg"),
      conversation: args.conversation ?? newId("conv"),
      from: sender.app,
      fromPid: sender.pid,
      to: args.to,
      performative: args.performative,
      content: structuredClone(args.content),
      ...(args.replyTo !== undefined ? { replyTo: args.replyTo } : {}),
      ...(args.deadline !== undefined ? { deadline: args.deadline } : {}),
      sentAt: this.now(),
    };
    this.trail.push({ id: message.id, conversation: message.conversation, from: message.from, fromPid: message.fromPid, to: message.to, delivered: to, performative: message.performative, ...(message.replyTo ? { replyTo: message.replyTo } : {}), at: message.sentAt });
    if (this.trail.length > TRAIL_LENGTH) this.trail.splice(0, this.trail.length - TRAIL_LENGTH);
    for (const app of to) {
      const box = this.box(app);
      const waiter = box.waiters.findIndex((w) => w.conversation === undefined || w.conversation === message.conversation);
      if (waiter >= 0) box.waiters.splice(waiter, 1)[0]!.take(structuredClone(message));
      else {
        box.messages.push(structuredClone(message));
        await this.save(app);
      }
    }
    return message;
  }

  /**
   * The next message for `app` (of `conversation`, if given), waiting up to `timeoutMs`:
   * ETIMEDOUT when none came; EKILLED (the signal's reason) when the receiver is stopped.
   */
  async receive(app: string, args: ReceiveArgs, signal?: AbortSignal): Promise<Message> {
    await this.ready();
    const box = this.box(app);
    const now = this.now();
    const expired = box.messages.filter((m) => m.deadline !== undefined && m.deadline < now);
    if (expired.length) {
      box.expired += expired.length;
      box.messages = box.messages.filter((m) => !expired.includes(m));
    }
    const index = box.messages.findIndex((m) => args.conversation === undefined || m.conversation === args.conversation);
    if (index >= 0) {
      const [message] = box.messages.splice(index, 1);
      await this.save(app);
      return this.received(message!);
    }
    if (expired.length) await this.save(app);
    const timeoutMs = args.timeoutMs ?? 0;
    if (signal?.aborted) throw signal.reason instanceof KernelError ? signal.reason : new KernelError("EKILLED", "the receive was cancelled");
    if (timeoutMs === 0) throw new KernelError("ETIMEDOUT", `no message for ${app}${args.conversation ? ` in ${args.conversation}` : ""}`);
    if (box.waiters.length >= MAX_WAITING_RECEIVES) throw new KernelError("EQUOTA", `${app} has ${MAX_WAITING_RECEIVES} receives waiting already`);
    return new Promise<Message>((resolve, reject) => {
      const waiter = {
        conversation: args.conversation,
        take: (m: Message) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(this.received(m));
        },
      };
      const drop = () => {
        const i = box.waiters.indexOf(waiter);
        if (i >= 0) box.waiters.splice(i, 1);
      };
      const timer = setTimeout(() => {
        drop();
        signal?.removeEventListener("abort", onAbort);
        reject(new KernelError("ETIMEDOUT", `no message for ${app}${args.conversation ? ` in ${args.conversation}` : ""} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        drop();
        clearTimeout(timer);
        reject(signal!.reason instanceof KernelError ? signal!.reason : new KernelError("EKILLED", "the receive was cancelled"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      box.waiters.push(waiter);
    });
  }

  private received(message: Message): Message {
    const entry = this.trail.find((t) => t.id === message.id);
    if (entry && entry.receivedAt === undefined) entry.receivedAt = this.now();
    return message;
  }

  async subscribe(app: string, topic: string): Promise<{ topics: string[] }> {
    await this.ready();
    const box = this.box(app);
    if (!box.topics.has(topic) && box.topics.size >= MAX_TOPICS) throw new KernelError("EQUOTA", `${app} subscribes to ${MAX_TOPICS} topics already`);
    box.topics.add(topic);
    await this.save(app);
    return { topics: [...box.topics].sort() };
  }

  async unsubscribe(app: string, topic: string): Promise<{ topics: string[] }> {
    await this.ready();
    const box = this.box(app);
    box.topics.delete(topic);
    await this.save(app);
    return { topics: [...box.topics].sort() };
  }

  /** Every mailbox that holds something or subscribes to something. */
  async list(): Promise<MailboxInfo[]> {
    await this.ready();
    return [...this.boxes.entries()]
      .filter(([, b]) => b.messages.length || b.topics.size || b.expired)
      .map(([app, b]) => ({ app, queued: b.messages.length, limit: this.limit, topics: [...b.topics].sort(), persistent: this.options.persistent?.(app) ?? false, expired: b.expired }))
      .sort((a, b) => a.app.localeCompare(b.app));
  }

  /**
   * A hand-off between agents that did not go through a mailbox — the kernel gave one agent's words
   * to another inside a pattern (patterns.ts) — kept in the trail so the sequence diagram shows it
   * (as read: it was handed over, not queued).
   */
  note(entry: { conversation: string; from: string; fromPid: number; to: string; performative: Performative }): void {
    const at = this.now();
    this.trail.push({ id: newId("msg"), ...entry, delivered: [entry.to], at, receivedAt: at });
    if (this.trail.length > TRAIL_LENGTH) this.trail.splice(0, this.trail.length - TRAIL_LENGTH);
  }

  /** The recent envelopes, oldest first (content left out): the sequence diagram's data. */
  recent(conversation?: string): TrailEntry[] {
    return structuredClone(conversation === undefined ? this.trail : this.trail.filter((t) => t.conversation === conversation));
  }

  /** Removes an app's mailbox and subscriptions (an uninstall that deletes its data). */
  async forget(app: string): Promise<void> {
    await this.ready();
    this.boxes.delete(app);
    await this.options.store?.deleteMailbox(app);
  }
}
