/**
 * Shared by engines whose backend speaks OpenAI chunks (web-llm, remote servers): the request body
 * for GenerateParams, and folding a chunk stream into streamed text, tool calls and a result.
 */
import type { ChatMessage, GenerateParams, GenerateResult, ResponseFormat, ToolCall } from "../engine.ts";
import { toKernelError } from "../errors.ts";
import { ToolNameMap } from "../tool-calls.ts";

export interface OpenAIChunkLike {
  choices?: Array<{
    delta?: { content?: string | null; tool_calls?: Array<{ index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }> | null };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  /** A server that fails mid-stream sends one event like this (OpenAI, vLLM, this kernel). */
  error?: { message?: string; code?: unknown } | null;
}

/** A message as an OpenAI server takes it (tool names mapped to ones it accepts). */
function wireMessage(m: ChatMessage, names: ToolNameMap | null) {
  const out: Record<string, unknown> = { role: m.role, content: m.role === "assistant" && m.tool_calls?.length && !m.content ? null : m.content };
  if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: names ? names.remote(c.function.name) : c.function.name, arguments: c.function.arguments } }));
  if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
  return out;
}

/**
 * The request body. With `nativeTools`, offered tools go to the server as OpenAI `tools` (names
 * mapped through `names`); without, the caller has already put them into the prompt.
 */
export function openAIRequest(params: GenerateParams, options: { names?: ToolNameMap | null; nativeTools?: boolean } = {}) {
  const names = options.names ?? null;
  const tools = options.nativeTools && params.tools?.length ? params.tools : undefined;
  const choice = params.toolChoice;
  return {
    messages: params.messages.map((m) => wireMessage(m, names)),
    max_tokens: params.maxTokens,
    temperature: params.temperature,
    top_p: params.topP,
    seed: params.seed,
    stop: params.stop.length ? params.stop : undefined,
    stream: true as const,
    stream_options: { include_usage: true },
    ...(tools
      ? {
          tools: tools.map((t) => ({ type: "function", function: { ...t.function, name: names ? names.remote(t.function.name) : t.function.name } })),
          tool_choice: typeof choice === "object" ? { type: "function", function: { name: names ? names.remote(choice.function.name) : choice.function.name } } : (choice ?? "auto"),
        }
      : {}),
    ...(options.nativeTools && params.responseFormat ? { response_format: openAIResponseFormat(params.responseFormat) } : {}),
    // vLLM's (and SGLang's, and this kernel's) way to continue a partial assistant reply.
    ...(params.continueFinal ? { continue_final_message: true, add_generation_prompt: false } : {}),
  };
}

/** `response_format` as OpenAI's API (and vLLM, llama.cpp's server, this kernel's server) takes it. */
export function openAIResponseFormat(format: ResponseFormat) {
  return format.type === "json_object" ? { type: "json_object" } : { type: "json_schema", json_schema: { name: format.name, schema: format.schema, strict: format.strict } };
}

/** A running fold over chunks; `result()` may be called after an abort cut the stream short. */
export class ChunkFold {
  private readonly started = performance.now();
  private firstTokenAt = 0;
  private text = "";
  private finishReason: GenerateResult["finishReason"] = "stop";
  private usage = { prompt_tokens: 0, completion_tokens: 0 };
  private readonly calls: Array<{ id: string; name: string; arguments: string }> = [];

  constructor(
    private readonly params: GenerateParams,
    private readonly names: ToolNameMap | null = null,
  ) {}

  add(chunk: OpenAIChunkLike): void {
    if (chunk.error) throw toKernelError({ message: `the server failed mid-reply: ${chunk.error.message ?? "unknown error"}`, code: chunk.error.code }, "EIO");
    const delta = chunk.choices?.[0]?.delta;
    const content = delta?.content;
    if (content) {
      this.firstTokenAt ||= performance.now();
      this.text += content;
      this.params.onText?.(content);
    }
    for (const piece of delta?.tool_calls ?? []) {
      this.firstTokenAt ||= performance.now();
      const i = piece.index ?? this.calls.length;
      const call = (this.calls[i] ??= { id: "", name: "", arguments: "" });
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
    }
    const reason = chunk.choices?.[0]?.finish_reason;
    if (reason) this.finishReason = reason === "length" || reason === "abort" || reason === "tool_calls" ? reason : "stop";
    if (chunk.usage) this.usage = chunk.usage;
  }

  result(): GenerateResult {
    const finished = performance.now();
    const toolCalls: ToolCall[] = this.calls
      .filter((c) => c && c.name)
      .map((c, i) => ({ id: c.id || `call_${i}`, type: "function", function: { name: this.names ? this.names.local(c.name) : c.name, arguments: c.arguments || "{}" } }));
    return {
      text: this.text,
      finishReason: this.params.signal.aborted ? "abort" : toolCalls.length ? "tool_calls" : this.finishReason === "tool_calls" ? "stop" : this.finishReason,
      promptTokens: this.usage.prompt_tokens,
      completionTokens: this.usage.completion_tokens,
      timeToFirstTokenMs: (this.firstTokenAt || finished) - this.started,
      totalMs: finished - this.started,
      ...(toolCalls.length ? { toolCalls } : {}),
    };
  }
}
