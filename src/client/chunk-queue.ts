/**
 * A push-to-pull bridge: chunks pushed by the kernel's callbacks are read with `for await`.
 * `started()` settles at the first chunk (or rejects if the request failed before any), so a
 * malformed streaming request rejects at `create()`, as in the OpenAI SDK.
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private done = false;
  private error: unknown = null;
  private wake: (() => void) | null = null;
  private readonly firstChunk: Promise<void>;
  private settleFirst!: (error?: unknown) => void;

  constructor() {
    this.firstChunk = new Promise<void>((resolve, reject) => {
      this.settleFirst = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
  }

  started(): Promise<void> {
    return this.firstChunk;
  }

  push(item: T): void {
    this.items.push(item);
    this.settleFirst();
    this.notify();
  }

  end(): void {
    this.done = true;
    this.settleFirst();
    this.notify();
  }

  fail(error: unknown): void {
    this.error = error ?? new Error("stream failed");
    this.done = true;
    this.settleFirst(this.error);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
