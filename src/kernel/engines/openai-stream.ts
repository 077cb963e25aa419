/**
 * Shared by engines whose backend speaks OpenAI chunks (web-llm, remote servers): the request body
 * for GenerateParams, and folding a chunk stream into streamed text and a GenerateResult.
 */
import type { GenerateParams, GenerateResult } from "../engine.ts";

export interface OpenAIChunkLike {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

export function openAIRequest(params: GenerateParams) {
  return {
    messages: params.messages.map((m) => ({ role: m.role, content: m.content })),
    max_tokens: params.maxTokens,
    temperature: params.temperature,
    top_p: params.topP,
    seed: params.seed,
    stop: params.stop.length ? params.stop : undefined,
    stream: true as const,
    stream_options: { include_usage: true },
    // vLLM's (and SGLang's, and this kernel's) way to continue a partial assistant reply.
    ...(params.continueFinal ? { continue_final_message: true, add_generation_prompt: false } : {}),
  };
}

/** A running fold over chunks; `result()` may be called after an abort cut the stream short. */
export class ChunkFold {
  private readonly started = performance.now();
  private firstTokenAt = 0;
  private text = "";
  private finishReason: GenerateResult["finishReason"] = "stop";
  private usage = { prompt_tokens: 0, completion_tokens: 0 };

  constructor(private readonly params: GenerateParams) {}

  add(chunk: OpenAIChunkLike): void {
    const delta = chunk.choices?.[0]?.delta?.content;
    if (delta) {
      this.firstTokenAt ||= performance.now();
      this.text += delta;
      this.params.onText?.(delta);
    }
    const reason = chunk.choices?.[0]?.finish_reason;
    if (reason) this.finishReason = reason === "length" || reason === "abort" ? reason : "stop";
    if (chunk.usage) this.usage = chunk.usage;
  }

  result(): GenerateResult {
    const finished = performance.now();
    return {
      text: this.text,
      finishReason: this.params.signal.aborted ? "abort" : this.finishReason,
      promptTokens: this.usage.prompt_tokens,
      completionTokens: this.usage.completion_tokens,
      timeToFirstTokenMs: (this.firstTokenAt || finished) - this.started,
      totalMs: finished - this.started,
    };
  }
}
