/**
 * Workers the kernel can kill, hosted by tabs. Chromium gives a SharedWorker (where the shared
 * kernel runs) no `Worker` of its own, so the js sandbox's workers live in the tabs: each tab
 * hands the kernel a port at attach, creates the workers the kernel asks for, forwards their
 * messages, and terminates them when told. The kernel's thread never runs a snippet, so its
 * timers always fire: a wedged snippet is terminated by the tab at the kernel's word.
 *
 * Protocol on a host port (kernel → tab): { op: "spawn", worker, kind } | { op: "post" | "terminate", worker, data? };
 * (tab → kernel): { worker, data } for a worker's message, { worker, error } when it failed.
 *
 * Invariants: a relayed worker is owned by one host; when that host's tab goes, each of its
 * workers reports an error once (a call in flight gets EIO), and no new worker is placed there.
 */

/** Which sandbox a worker runs: the js tool's, or a code app's. */
export type WorkerKind = "js" | "app";

/** The part of `Worker` the sandbox uses. */
export interface WorkerLike {
  postMessage(data: unknown): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
}

interface Host {
  owner: string;
  port: MessagePort;
  workers: Map<number, RelayedWorker>;
}

class RelayedWorker implements WorkerLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: ((event: MessageEvent) => void) | null = null;
  private ended = false;

  constructor(
    private readonly host: Host,
    readonly id: number,
    kind: WorkerKind,
  ) {
    host.workers.set(id, this);
    host.port.postMessage({ op: "spawn", worker: id, kind });
  }

  postMessage(data: unknown): void {
    if (!this.ended) this.host.port.postMessage({ op: "post", worker: this.id, data });
  }

  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.host.workers.delete(this.id);
    this.host.port.postMessage({ op: "terminate", worker: this.id });
  }

  deliver(data: unknown): void {
    if (!this.ended) this.onmessage?.({ data } as MessageEvent);
  }

  fail(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.host.workers.delete(this.id);
    this.onerror?.({ message, preventDefault: () => {} } as ErrorEvent);
  }
}

export class WorkerHosts {
  private readonly hosts: Host[] = [];
  private next = 1;

  /** A tab offers to host workers; its port answers until the tab goes. */
  add(owner: string, port: MessagePort): void {
    const host: Host = { owner, port, workers: new Map() };
    port.onmessage = (event: MessageEvent) => {
      const m = event.data as { worker?: unknown; data?: unknown; error?: unknown };
      const worker = typeof m?.worker === "number" ? host.workers.get(m.worker) : undefined;
      if (!worker) return;
      if (typeof m.error === "string") worker.fail(m.error);
      else worker.deliver(m.data);
    };
    port.start();
    this.hosts.push(host);
  }

  /** A tab closed: its workers fail once, and none is placed there again. */
  remove(owner: string): void {
    for (let i = this.hosts.length - 1; i >= 0; i--) {
      const host = this.hosts[i]!;
      if (host.owner !== owner) continue;
      this.hosts.splice(i, 1);
      for (const worker of [...host.workers.values()]) worker.fail("the tab hosting the sandbox closed");
      host.port.close();
    }
  }

  /**
   * A worker of `kind` in tab `owner` when it hosts workers, else in the most recently attached
   * tab; throws when no tab hosts workers.
   */
  create(kind: WorkerKind = "js", owner?: string): WorkerLike {
    const host = this.hosts.find((h) => h.owner === owner) ?? this.hosts.at(-1);
    if (!host) throw new Error(`no open AIOS tab can host the ${kind === "js" ? "js sandbox" : "app sandbox"}`);
    return new RelayedWorker(host, this.next++, kind);
  }
}
