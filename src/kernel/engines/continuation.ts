/**
 * A generation run in slices over a backend that only takes whole requests (a remote server): each
 * slice is one request for at most `n` tokens, and every slice after the first continues the
 * reply so far as a final assistant message (`continue_final_message`). Nothing is held between
 * slices: this is the text-based snapshot — the prompt plus the text so far, re-prefilled by the
 * backend on resume.
 *
 * Invariants:
 * - The text deltas given to `onText`, joined, equal the final text; a stop string that spans two
 *   slices is caught here (each slice's backend only sees its own text) and never half-emitted.
 * - Greedy decoding gives the text an uninterrupted request gives, as long as re-tokenizing the
 *   text so far gives back the tokens that were sampled (true of the embedded model; a backend
 *   whose tokenizer splits text differently from how its model emits it can differ).
 * - A seeded request is deterministic for a given slicing (the seed advances by the tokens so far)
 *   but not equal to the unsliced run: its random stream restarts every slice.
 */
import type { ChatMessage, GenerateParams, GenerateResult, Generation } from "../engine.ts";
import { TextStream } from "../text-stream.ts";

export interface SliceRequest {
  messages: ChatMessage[];
  continueFinal: boolean;
  maxTokens: number;
  seed?: number;
  onText: (delta: string) => void;
}

export interface SliceResult {
  finishReason: GenerateResult["finishReason"];
  promptTokens: number;
  completionTokens: number;
}

/** Runs one whole request against the backend, streaming its text. */
export type RunSlice = (request: SliceRequest) => Promise<SliceResult>;

export class ContinuationGeneration implements Generation {
  private readonly started = performance.now();
  private readonly stream: TextStream;
  private readonly maxTokens: number;
  private text = "";
  private completionTokens = 0;
  private firstPromptTokens = 0;
  private firstTokenAt = 0;
  private finishReason: GenerateResult["finishReason"] = "length";
  done = false;
  /** Text snapshots hold nothing between slices. */
  readonly cacheBytes = 0;

  constructor(
    private readonly params: GenerateParams,
    private readonly runSlice: RunSlice,
  ) {
    this.stream = new TextStream(params.stop);
    this.maxTokens = params.maxTokens;
    this.done = this.maxTokens < 1;
  }

  get tokens(): number {
    return this.completionTokens;
  }

  get promptTokens(): number {
    return this.firstPromptTokens;
  }

  async step(n: number): Promise<void> {
    if (this.done) return;
    if (this.params.signal.aborted) return this.end("abort");
    const resuming = this.completionTokens > 0 || this.text !== "";
    const messages = this.params.messages;
    // A request that itself continues a final message: its text so far extends that message.
    const base = this.params.continueFinal ? messages.slice(0, -1) : messages;
    const prefix = this.params.continueFinal ? messages.at(-1)!.content : "";
    const slice = await this.runSlice({
      messages: resuming || this.params.continueFinal ? [...base, { role: "assistant", content: prefix + this.text }] : messages,
      continueFinal: resuming || this.params.continueFinal === true,
      maxTokens: Math.max(1, Math.min(n, this.maxTokens - this.completionTokens)),
      seed: this.params.seed === undefined ? undefined : this.params.seed + this.completionTokens,
      onText: (delta) => {
        this.firstTokenAt ||= performance.now();
        this.text += delta;
        const safe = this.stream.push(this.text);
        if (safe) this.params.onText?.(safe);
      },
    });
    if (!resuming) this.firstPromptTokens = slice.promptTokens;
    this.completionTokens += slice.completionTokens;
    if (this.params.signal.aborted || slice.finishReason === "abort") return this.end("abort");
    if (this.stream.stopped || slice.finishReason === "stop") return this.end("stop");
    if (this.completionTokens >= this.maxTokens) return this.end("length");
    // A slice that ended on its own limit without producing anything would loop forever.
    if (slice.completionTokens === 0) return this.end("stop");
  }

  async spill(): Promise<void> {}

  async finish(): Promise<GenerateResult> {
    if (!this.done) this.end(this.params.signal.aborted ? "abort" : "length");
    const tail = this.stream.finish(this.text);
    if (tail) this.params.onText?.(tail);
    const finished = performance.now();
    return {
      text: this.stream.final,
      finishReason: this.finishReason,
      promptTokens: this.firstPromptTokens,
      completionTokens: this.completionTokens,
      timeToFirstTokenMs: (this.firstTokenAt || finished) - this.started,
      totalMs: finished - this.started,
    };
  }

  private end(reason: GenerateResult["finishReason"]): void {
    this.done = true;
    this.finishReason = reason;
  }
}
