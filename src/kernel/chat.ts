/**
 * The OpenAI Chat Completions surface of the kernel: request validation (every bad field is an
 * EINVAL whose message names it) and the response objects (`chat.completion`, `.chunk`).
 */
import { KernelError } from "./errors.ts";
import type { ChatMessage, FinishReason, Role } from "./engine.ts";

export interface ChatCompletionRequest {
  model?: string;
  messages: Array<{ role: Role; content: string | Array<{ type: "text"; text: string }> }>;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  n?: number | null;
  user?: string;
  /** vLLM's extension: the final message is a partial assistant reply to continue, not a turn to answer. */
  continue_final_message?: boolean | null;
  /** Must be false (or absent) when continuing a final message. */
  add_generation_prompt?: boolean | null;
}

export interface ValidatedChatRequest {
  model?: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature: number;
  topP: number;
  seed?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** The last message is an assistant reply to continue (its text is not repeated in the completion). */
  continueFinal: boolean;
}

export const LIMITS = {
  messages: 4096,
  contentChars: 1_000_000,
  stopStrings: 4,
  stopChars: 256,
  maxTokens: 1 << 20,
} as const;

const KNOWN_FIELDS = new Set([
  "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
  "stream", "stream_options", "n", "user", "continue_final_message", "add_generation_prompt",
]);
const ROLES: ReadonlySet<string> = new Set<Role>(["system", "user", "assistant", "tool"]);

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `${field}: ${problem}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) invalid(field, `must be a finite number, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function messageContent(value: unknown, field: string): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    return value
      .map((part, i) => {
        if (!isPlainObject(part) || part.type !== "text" || typeof part.text !== "string") {
          invalid(`${field}[${i}]`, 'only {type: "text", text: string} parts are supported');
        }
        return part.text as string;
      })
      .join("");
  }
  return invalid(field, `must be a string or an array of text parts, got ${describe(value)}`);
}

export function validateChatRequest(body: unknown): ValidatedChatRequest {
  if (!isPlainObject(body)) invalid("request", `must be an object, got ${describe(body)}`);
  for (const key of Object.keys(body)) if (!KNOWN_FIELDS.has(key)) invalid(key, "unknown field");

  if (body.model !== undefined && typeof body.model !== "string") invalid("model", `must be a string, got ${describe(body.model)}`);

  if (!Array.isArray(body.messages)) invalid("messages", `must be an array, got ${describe(body.messages)}`);
  if (body.messages.length === 0) invalid("messages", "must not be empty");
  if (body.messages.length > LIMITS.messages) invalid("messages", `at most ${LIMITS.messages} messages`);
  let chars = 0;
  const messages: ChatMessage[] = body.messages.map((m: unknown, i: number) => {
    const field = `messages[${i}]`;
    if (!isPlainObject(m)) invalid(field, `must be an object, got ${describe(m)}`);
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      invalid(`${field}.role`, `must be one of system, user, assistant, tool; got ${describe(m.role)}`);
    }
    const content = messageContent(m.content, `${field}.content`);
    chars += content.length;
    if (chars > LIMITS.contentChars) invalid(`${field}.content`, `messages exceed ${LIMITS.contentChars} characters in all`);
    return { role: m.role as Role, content };
  });

  const maxTokensField = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const maxTokens = optionalNumber(body, maxTokensField);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > LIMITS.maxTokens)) {
    invalid(maxTokensField, `must be an integer from 1 to ${LIMITS.maxTokens}, got ${maxTokens}`);
  }
  const temperature = optionalNumber(body, "temperature") ?? 1;
  if (temperature < 0 || temperature > 2) invalid("temperature", `must be between 0 and 2, got ${temperature}`);
  const topP = optionalNumber(body, "top_p") ?? 1;
  if (topP <= 0 || topP > 1) invalid("top_p", `must be in (0, 1], got ${topP}`);
  const seed = optionalNumber(body, "seed");
  if (seed !== undefined && !Number.isSafeInteger(seed)) invalid("seed", `must be an integer, got ${seed}`);
  const n = optionalNumber(body, "n");
  if (n !== undefined && n !== 1) invalid("n", "only n = 1 is supported");

  let stop: string[] = [];
  if (typeof body.stop === "string") stop = [body.stop];
  else if (Array.isArray(body.stop)) stop = body.stop;
  else if (body.stop !== undefined && body.stop !== null) invalid("stop", `must be a string or an array of strings, got ${describe(body.stop)}`);
  if (stop.length > LIMITS.stopStrings) invalid("stop", `at most ${LIMITS.stopStrings} stop strings`);
  stop.forEach((s, i) => {
    if (typeof s !== "string" || s.length === 0 || s.length > LIMITS.stopChars) {
      invalid(`stop[${i}]`, `must be a non-empty string of at most ${LIMITS.stopChars} characters`);
    }
  });

  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") invalid("stream", `must be a boolean, got ${describe(body.stream)}`);
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isPlainObject(body.stream_options)) invalid("stream_options", "must be an object");
    const inc = body.stream_options.include_usage;
    if (inc !== undefined && typeof inc !== "boolean") invalid("stream_options.include_usage", "must be a boolean");
    includeUsage = inc === true;
  }
  if (body.user !== undefined && typeof body.user !== "string") invalid("user", "must be a string");
  for (const flag of ["continue_final_message", "add_generation_prompt"]) {
    if (body[flag] !== undefined && body[flag] !== null && typeof body[flag] !== "boolean") invalid(flag, `must be a boolean, got ${describe(body[flag])}`);
  }
  const continueFinal = body.continue_final_message === true;
  if (continueFinal && messages.at(-1)!.role !== "assistant") invalid("continue_final_message", "the last message must be the assistant reply to continue");
  if (continueFinal && body.add_generation_prompt === true) invalid("add_generation_prompt", "must be false when continue_final_message is true");
  if (!continueFinal && body.add_generation_prompt === false) invalid("add_generation_prompt", "false is only supported with continue_final_message: true");

  return {
    model: body.model as string | undefined,
    messages,
    maxTokens,
    temperature,
    topP,
    seed,
    stop,
    stream: body.stream === true,
    includeUsage,
    continueFinal,
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: { role: "assistant"; content: string };
    finish_reason: FinishReason;
    logprobs: null;
  }>;
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    delta: { role?: "assistant"; content?: string };
    finish_reason: FinishReason | null;
    logprobs: null;
  }>;
  usage?: Usage;
}

export function newCompletionId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return "chatcmpl-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}
