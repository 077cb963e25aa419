/**
 * `files.write`, `files.read`, `files.search`, `files.list`: the calling app's own files (its
 * namespace), through `ctx.files`. One capability, "files", covers all four. Paths under
 * `.memory/` are the kernel's (the memory manager's conversation, blocks and items): a tool may
 * read them (the user can too) but not write them, and list and search leave them out.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { defineTool, type ToolDriver } from "./tool.ts";

/** Bytes a tool may write in one file (UTF-8). */
export const MAX_WRITE_BYTES = 1024 * 1024;
/** Characters of a file `files.read` shows; longer text is cut and ends with "…". */
export const MAX_READ_CHARS = 8000;
export const MAX_LIST = 50;
const MAX_PATH_CHARS = 1024;
const KERNEL_PREFIX = ".memory/";

const path = (description: string) => Type.String({ minLength: 1, maxLength: MAX_PATH_CHARS, description });

/** "/.memory/x" is stored as ".memory/x": compare without the leading slash. */
const isKernelPath = (p: string) => {
  const bare = p.startsWith("/") ? p.slice(1) : p;
  return bare === ".memory" || bare.startsWith(KERNEL_PREFIX);
};

const bytesOf = (text: string) => new TextEncoder().encode(text).length;

/** MIME types whose bytes are text (kept as text files, searchable). */
export const TEXT_BLOB = /^(text\/|application\/(json|xml|javascript|x-ndjson|yaml|x-yaml|toml)\b|[^;]*\+(json|xml)\b)/i;

function cut(text: string): string {
  return text.length > MAX_READ_CHARS ? `${text.slice(0, MAX_READ_CHARS)}…` : text;
}

export const filesWriteTool = defineTool({
  name: "files.write",
  description: "Writes a text file in your own files (creates it, or saves a new version). Use it to keep notes, drafts and results.",
  parameters: Type.Object(
    {
      path: path('The file\'s path, e.g. "notes/groceries.md"'),
      content: Type.String({ maxLength: MAX_WRITE_BYTES, description: "The file's whole new text (at most 1 MB)" }),
    },
    { additionalProperties: false },
  ),
  kind: "library",
  flow: { consequential: true, output: "trusted", file: "write" },
  capability: () => "files",
  describe: (args) => `write ${args.path} (${args.content.length} character${args.content.length === 1 ? "" : "s"})`,
  async run(args, ctx) {
    if (isKernelPath(args.path)) throw new KernelError("EPERM", `path: ${KERNEL_PREFIX} is the kernel's memory; write elsewhere`);
    const bytes = bytesOf(args.content);
    if (bytes > MAX_WRITE_BYTES) throw new KernelError("EINVAL", `content: ${bytes} bytes is over the ${MAX_WRITE_BYTES}-byte (1 MB) limit`);
    const { path: written, version } = await ctx.files.write(args.path, args.content);
    return { path: written, version };
  },
});

export const filesReadTool = defineTool({
  name: "files.read",
  description: `Reads one of your own files as text (the first ${MAX_READ_CHARS} characters).`,
  parameters: Type.Object({ path: path('The file\'s path, e.g. "notes/groceries.md"') }, { additionalProperties: false }),
  kind: "library",
  flow: { private: "files", file: "read" },
  capability: () => "files",
  describe: (args) => `read ${args.path}`,
  async run(args, ctx) {
    const file = await ctx.files.read(args.path);
    const content = file.content;
    let text: string;
    if (typeof content === "string") text = content;
    else if (typeof Blob !== "undefined" && content instanceof Blob) {
      if (!TEXT_BLOB.test(content.type)) return { path: file.path, version: file.version, content: `${content.type || "binary"} file, ${content.size} bytes` };
      // decode only what can be shown (UTF-8 is at most 4 bytes a character)
      const limit = MAX_READ_CHARS * 4;
      text = await content.slice(0, limit).text();
      if (content.size > limit && text.length <= MAX_READ_CHARS) return { path: file.path, version: file.version, content: `${text.replace(/\uFFFD$/, "")}…` };
    } else text = JSON.stringify(content, null, 2) ?? "null";
    return { path: file.path, version: file.version, content: cut(text) };
  },
});

export const filesSearchTool = defineTool({
  name: "files.search",
  description: "Searches your own files by meaning and words; returns the best matching files with a snippet of each.",
  parameters: Type.Object(
    {
      query: Type.String({ minLength: 1, maxLength: 1000, description: 'What to look for, e.g. "milk" or "what did I plan for the trip"' }),
      k: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: "How many files to return (default 3)" })),
    },
    { additionalProperties: false },
  ),
  kind: "library",
  flow: { private: "files" },
  capability: () => "files",
  describe: (args) => `search your files for ${JSON.stringify(args.query)}`,
  async run(args, ctx) {
    const k = args.k ?? 3;
    // ask for more, as hits under .memory/ are left out
    const hits = await ctx.files.search(args.query, Math.min(100, k * 5 + 20));
    return hits.filter((h) => !isKernelPath(h.path)).slice(0, k).map((h) => ({ path: h.path, snippet: h.snippet }));
  },
});

export const filesListTool = defineTool({
  name: "files.list",
  description: `Lists your own files (newest first, at most ${MAX_LIST}), optionally only those whose path starts with a prefix.`,
  parameters: Type.Object(
    { prefix: Type.Optional(Type.String({ maxLength: MAX_PATH_CHARS, description: 'Only paths starting with this, e.g. "notes/"' })) },
    { additionalProperties: false },
  ),
  kind: "library",
  flow: { private: "files" },
  capability: () => "files",
  describe: (args) => (args.prefix ? `list your files under ${args.prefix}` : "list your files"),
  async run(args, ctx) {
    const files = await ctx.files.list(args.prefix || undefined);
    return files
      .filter((f) => !isKernelPath(f.path))
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.path < b.path ? -1 : 1))
      .slice(0, MAX_LIST)
      .map((f) => ({ path: f.path, size: f.size }));
  },
});

export const filesTools: ToolDriver[] = [filesWriteTool, filesReadTool, filesSearchTool, filesListTool];
