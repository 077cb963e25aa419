// What the kernel gives a tool, for tests: a context with an in-memory AppFiles double, and
// `call`, which validates the arguments against the driver's schema before `run` (as the kernel does).
import { validate } from "../../../../src/kernel/schema.ts";
import type { Content, FileInfo, SearchHit } from "../../../../src/kernel/storage/files.ts";
import type { AppFiles, NetworkSettings, ToolContext, ToolDriver } from "../../../../src/kernel/tools/tool.ts";
import { KernelError } from "../../../../src/kernel/errors.ts";

interface Stored {
  content: Content;
  type: "text" | "json" | "blob";
  version: number;
  size: number;
  updatedAt: number;
}

/** An app's files in a Map: versions, newest-first timestamps, and a word search with snippets. */
export class MemoryFiles implements AppFiles {
  readonly files = new Map<string, Stored>();
  private clock = 1_000;

  put(path: string, content: Content): void {
    const type = typeof content === "string" ? "text" : content instanceof Blob ? "blob" : "json";
    const size = typeof content === "string" ? new TextEncoder().encode(content).length : content instanceof Blob ? content.size : JSON.stringify(content).length;
    const version = (this.files.get(path)?.version ?? 0) + 1;
    this.files.set(path, { content, type, version, size, updatedAt: this.clock++ });
  }

  async read(path: string) {
    const p = path.replace(/^\//, "");
    const file = this.files.get(p);
    if (!file) throw new KernelError("ENOENT", `path: no file ${p}`);
    return { path: p, version: file.version, content: file.content, type: file.type };
  }

  async write(path: string, content: string | Blob) {
    const p = path.replace(/^\//, "");
    this.put(p, content);
    return { path: p, version: this.files.get(p)!.version };
  }

  async list(prefix?: string): Promise<FileInfo[]> {
    return [...this.files]
      .filter(([p]) => !prefix || p.startsWith(prefix))
      .map(([path, f]) => ({ path, version: f.version, type: f.type, size: f.size, createdAt: f.updatedAt, updatedAt: f.updatedAt }));
  }

  async search(query: string, k = 10): Promise<SearchHit[]> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const hits: SearchHit[] = [];
    for (const [path, f] of this.files) {
      const text = typeof f.content === "string" ? f.content : JSON.stringify(f.content);
      const lower = text.toLowerCase();
      const score = words.filter((w) => lower.includes(w)).length;
      if (score > 0) {
        const at = lower.indexOf(words.find((w) => lower.includes(w))!);
        hits.push({ path, score, snippet: text.slice(Math.max(0, at - 20), at + 40) });
      }
    }
    return hits.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1)).slice(0, k);
  }
}

export function context(options: { files?: AppFiles; network?: NetworkSettings; signal?: AbortSignal } = {}): ToolContext {
  return { pid: 2, app: "test", signal: options.signal ?? new AbortController().signal, files: options.files ?? new MemoryFiles(), network: options.network ?? {} };
}

/** Validates like the kernel, then runs. */
export async function call(driver: ToolDriver, args: unknown, ctx: ToolContext = context()): Promise<unknown> {
  return driver.run(validate(driver.parameters, args, "args"), ctx);
}
