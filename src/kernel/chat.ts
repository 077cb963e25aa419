/**
 * The OpenAI Chat Completions surface of the kernel: the request's JSON Schema (one declaration,
 * checked at the boundary; every bad field is an EINVAL whose message names it), tools and tool
 * calls, and the response objects (`chat.completion`, `.chunk`).
 */
import { KernelError } from "./errors.ts";
import type { ChatMessage, FinishReason, Role, ToolCall, ToolChoice, ToolSpec } from "./engine.ts";
import { checkOutputSchema, type JsonSchema, type ResponseFormat } from "./output-format.ts";
import { Type, validate, type Static } from "./schema.ts";

export const LIMITS = {
  messages: 4096,
  contentChars: 1_000_000,
  stopStrings: 4,
  stopChars: 256,
  maxTokens: 1 << 20,
  tools: 128,
  toolCalls: 32,
} as const;

/** Tool names: OpenAI's pattern plus dots (the kernel's own tools are named like `files.write`). */
export const TOOL_NAME = "^[a-zA-Z0-9_.-]{1,64}$";

const Nullable = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const TextPart = Type.Object({ type: Type.Literal("text"), text: Type.String() });
const Content = Type.Union([Type.String(), Type.Array(TextPart)]);

export const ToolCallSchema = Type.Object({
  id: Type.String({ maxLength: 128 }),
  type: Type.Literal("function"),
  function: Type.Object({ name: Type.String({ pattern: TOOL_NAME }), arguments: Type.String({ maxLength: 1_000_000 }) }),
});

export const MessageSchema = Type.Object({
  role: Type.Enum(["system", "user", "assistant", "tool"]),
  content: Type.Optional(Type.Union([Content, Type.Null()])),
  name: Type.Optional(Type.String({ maxLength: 256 })),
  tool_calls: Type.Optional(Type.Array(ToolCallSchema, { maxItems: LIMITS.toolCalls })),
  tool_call_id: Type.Optional(Type.String({ maxLength: 128 })),
  // What OpenAI clients echo back on an assistant message; accepted and not used.
  refusal: Nullable(Type.String()),
  annotations: Type.Optional(Type.Array(Type.Unknown())),
});

export const ToolSpecSchema = Type.Object({
  type: Type.Literal("function"),
  function: Type.Object({
    name: Type.String({ pattern: TOOL_NAME }),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    parameters: Type.Optional(Type.Object({})),
    strict: Nullable(Type.Boolean()),
  }),
});

export const ToolChoiceSchema = Type.Union([
  Type.Literal("none"),
  Type.Literal("auto"),
  Type.Literal("required"),
  Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String({ pattern: TOOL_NAME }) }) }),
]);

/** OpenAI's `response_format`: text (the default), any JSON object, or JSON matching a schema. */
export const ResponseFormatSchema = Type.Union([
  Type.Object({ type: Type.Literal("text") }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("json_object") }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal("json_schema"),
      json_schema: Type.Object(
        {
          name: Type.String({ pattern: "^[a-zA-Z0-9_-]{1,64}$" }),
          description: Type.Optional(Type.String({ maxLength: 4096 })),
          schema: Type.Optional(Type.Object({})),
          strict: Nullable(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);

/** The request body (`additionalProperties: false`: an unknown field is an EINVAL naming it). */
export const ChatRequestSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ maxLength: 256 })),
    messages: Type.Array(MessageSchema, { minItems: 1, maxItems: LIMITS.messages }),
    max_tokens: Nullable(Type.Integer({ minimum: 1, maximum: LIMITS.maxTokens })),
    max_completion_tokens: Nullable(Type.Integer({ minimum: 1, maximum: LIMITS.maxTokens })),
    temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    seed: Nullable(Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })),
    stop: Nullable(Type.Union([Type.String({ minLength: 1, maxLength: LIMITS.stopChars }), Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.stopChars }), { maxItems: LIMITS.stopStrings })])),
    stream: Nullable(Type.Boolean()),
    stream_options: Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    n: Nullable(Type.Literal(1)),
    user: Type.Optional(Type.String({ maxLength: 256 })),
    tools: Nullable(Type.Array(ToolSpecSchema, { maxItems: LIMITS.tools })),
    tool_choice: Nullable(ToolChoiceSchema),
    parallel_tool_calls: Nullable(Type.Boolean()),
    /** vLLM's extension: the final message is a partial assistant reply to continue, not a turn to answer. */
    continue_final_message: Nullable(Type.Boolean()),
    /** Must be false (or absent) when continuing a final message. */
    add_generation_prompt: Nullable(Type.Boolean()),
    // Sent by real clients with their no-op value; accepted only with it (checked below).
    frequency_penalty: Nullable(Type.Number()),
    presence_penalty: Nullable(Type.Number()),
    logprobs: Nullable(Type.Boolean()),
    top_logprobs: Nullable(Type.Integer()),
    logit_bias: Nullable(Type.Record(Type.String(), Type.Number())),
    response_format: Nullable(ResponseFormatSchema),
    store: Nullable(Type.Boolean()),
    metadata: Nullable(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

/** Fields this kernel accepts only with their no-op value (what clients send by default). */
const NEUTRAL: Array<[keyof ChatCompletionRequest, (v: unknown) => boolean, string]> = [
  ["frequency_penalty", (v) => v === 0, "only 0 is supported"],
  ["presence_penalty", (v) => v === 0, "only 0 is supported"],
  ["logprobs", (v) => v === false, "log probabilities are not supported"],
  ["top_logprobs", (v) => v === 0, "log probabilities are not supported"],
  ["logit_bias", (v) => Object.keys(v as object).length === 0, "logit bias is not supported"],
  ["store", (v) => v === false, "stored completions are not supported"],
];

export type ChatCompletionRequest = Static<typeof ChatRequestSchema>;

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
  /** Offered tools (none when `tool_choice` is "none"). */
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** false: at most one call per reply. */
  parallelToolCalls?: boolean;
  /** The reply must be JSON (matching a schema); absent for text. */
  responseFormat?: ResponseFormat;
}

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `${field}: ${problem}`);
}

function text(content: Static<typeof Content> | null | undefined): string {
  if (content === null || content === undefined) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

export function validateChatRequest(input: unknown): ValidatedChatRequest {
  const body = validate(ChatRequestSchema, input, "", "request");
  for (const [field, neutral, problem] of NEUTRAL) {
    const value = body[field];
    if (value !== undefined && value !== null && !neutral(value)) invalid(field, problem);
  }
  let chars = 0;
  const messages: ChatMessage[] = body.messages.map((m, i) => {
    const field = `messages[${i}]`;
    if ((m.content === undefined || m.content === null) && !(m.role === "assistant" && m.tool_calls?.length)) invalid(`${field}.content`, "is required (an assistant turn may have tool_calls instead)");
    if (m.tool_calls && m.role !== "assistant") invalid(`${field}.tool_calls`, "only assistant messages call tools");
    const content = text(m.content);
    chars += content.length + (m.tool_calls ?? []).reduce((n, c) => n + c.function.arguments.length, 0);
    if (chars > LIMITS.contentChars) invalid(`${field}.content`, `messages exceed ${LIMITS.contentChars} characters in all`);
    const message: ChatMessage = { role: m.role as Role, content };
    if (m.tool_calls?.length) message.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.function.name, arguments: c.function.arguments } }));
    if (m.role === "tool" && m.tool_call_id !== undefined) message.tool_call_id = m.tool_call_id;
    return message;
  });

  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = body.stop === undefined || body.stop === null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const continueFinal = body.continue_final_message === true;
  if (continueFinal && messages.at(-1)!.role !== "assistant") invalid("continue_final_message", "the last message must be the assistant reply to continue");
  if (continueFinal && body.add_generation_prompt === true) invalid("add_generation_prompt", "must be false when continue_final_message is true");
  if (!continueFinal && body.add_generation_prompt === false) invalid("add_generation_prompt", "false is only supported with continue_final_message: true");

  const choice = body.tool_choice ?? undefined;
  const offered = body.tools ?? [];
  const names = new Set<string>();
  for (const [i, t] of offered.entries()) {
    if (names.has(t.function.name)) invalid(`tools[${i}].function.name`, `${t.function.name} is offered twice`);
    names.add(t.function.name);
  }
  if (choice !== undefined && choice !== "none" && offered.length === 0) invalid("tool_choice", "needs tools");
  if (typeof choice === "object" && !names.has(choice.function.name)) invalid("tool_choice.function.name", `${choice.function.name} is not one of the offered tools`);
  if (continueFinal && offered.length > 0 && choice !== "none") invalid("continue_final_message", "cannot be combined with tools");
  const tools: ToolSpec[] | undefined =
    offered.length === 0 || choice === "none"
      ? undefined
      : offered.map((t) => ({ type: "function", function: { name: t.function.name, ...(t.function.description !== undefined ? { description: t.function.description } : {}), ...(t.function.parameters ? { parameters: t.function.parameters as Record<string, unknown> } : {}) } }));

  const format = body.response_format ?? undefined;
  let responseFormat: ResponseFormat | undefined;
  if (format?.type === "json_object") responseFormat = { type: "json_object" };
  else if (format?.type === "json_schema") {
    const { name, schema, strict } = format.json_schema;
    if (schema === undefined) responseFormat = { type: "json_object" };
    else {
      checkOutputSchema(schema, "response_format.json_schema.schema");
      responseFormat = { type: "json_schema", name, schema: schema as JsonSchema, strict: strict !== false };
    }
  }
  if (responseFormat && continueFinal) invalid("response_format", "cannot be combined with continue_final_message");

  return {
    model: body.model,
    messages,
    maxTokens,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    seed: body.seed ?? undefined,
    stop,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    continueFinal,
    tools,
    toolChoice: tools ? (choice === undefined || choice === "none" ? "auto" : (choice as ToolChoice)) : undefined,
    ...(tools && body.parallel_tool_calls === false ? { parallelToolCalls: false } : {}),
    ...(responseFormat ? { responseFormat } : {}),
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
    message: { role: "assistant"; content: string | null; tool_calls?: ToolCall[] };
    finish_reason: FinishReason;
    logprobs: null;
  }>;
  usage: Usage;
}

/** A streamed piece of a tool call (OpenAI's `delta.tool_calls[]`). */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    delta: { role?: "assistant"; content?: string; tool_calls?: ToolCallDelta[] };
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
