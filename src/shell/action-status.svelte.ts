/**
 * What a window's last action did, in words: its message or its error. `run` does the action,
 * records the outcome and then refreshes the window (either way).
 */
export class ActionStatus {
  message = $state<string | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly refresh: () => Promise<void>) {}

  async run(what: () => Promise<unknown>, done: string): Promise<void> {
    this.error = null;
    this.message = null;
    try {
      await what();
      this.message = done;
    } catch (e) {
      this.error = (e as Error).message;
    }
    await this.refresh();
  }
}
