/**
 * Turns the growing decoded text of a generation into streamed deltas, cutting at stop strings.
 * Invariant: the deltas emitted, joined, equal `final` — a stop string is never half-emitted, and
 * a trailing incomplete UTF-8 sequence (U+FFFD from byte-level BPE) is held back until complete.
 */
export class TextStream {
  private emitted = 0;
  private finalText: string | null = null;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.finalText !== null;
  }

  get final(): string {
    return this.finalText ?? "";
  }

  /** Takes the whole decoded text so far; returns the new text safe to show. */
  push(text: string): string {
    if (this.finalText !== null) return "";
    const cut = this.findStop(text);
    if (cut >= 0) {
      this.finalText = text.slice(0, cut);
      return this.take(this.finalText);
    }
    let safe = text.length;
    while (safe > this.emitted && text.charCodeAt(safe - 1) === 0xfffd) safe--;
    safe -= this.pendingStopPrefix(text.slice(0, safe));
    return this.take(text.slice(0, Math.max(safe, this.emitted)));
  }

  /** The generation ended without a stop string: release whatever was held back. */
  finish(text: string): string {
    if (this.finalText !== null) return "";
    const delta = this.push(text);
    if (this.finalText !== null) return delta;
    this.finalText = text;
    return delta + this.take(text);
  }

  private take(upTo: string): string {
    const delta = upTo.slice(this.emitted);
    this.emitted = Math.max(this.emitted, upTo.length);
    return delta;
  }

  private findStop(text: string): number {
    let best = -1;
    for (const stop of this.stops) {
      const from = Math.max(0, this.emitted - stop.length + 1);
      const at = text.indexOf(stop, from);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  /** Length of the longest suffix of `text` that could still grow into a stop string. */
  private pendingStopPrefix(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let len = Math.min(stop.length - 1, text.length); len > longest; len--) {
        if (text.endsWith(stop.slice(0, len))) {
          longest = len;
          break;
        }
      }
    }
    return longest;
  }
}
