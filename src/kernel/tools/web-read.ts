/**
 * `web.read`: fetches a page from a granted host (capability `network:<host>`) and returns its
 * readable text: Mozilla's Readability (Firefox's Reader View) over a DOM from linkedom's
 * `parseHTML` (the kernel runs in a worker, which has no DOMParser); the page body's text when
 * Readability finds no article or the page is too big for it (see extractPage). Whitespace is collapsed (one space; one line break between blocks),
 * and the text is cut at 8000 characters (`truncated: true`). HTTP errors are EIO here (a page that
 * is not there has no text). Both libraries are loaded on the first call. See ./network.ts for the
 * bounds, redirects, CORS and the proxy.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { bounded, decodeText, discard, isTextMime, MAX_URL_CHARS, mimeType, NETWORK_TIMEOUT_MS, networkCapability, parseWebUrl, readBody, send, type NetworkOptions } from "./network.ts";
import { defineTool, type ToolDriver } from "./tool.ts";

/** Characters of text returned. */
export const MAX_TEXT_CHARS = 8000;
/** Bytes of HTML read (and parsed) at most. */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** Pages with more elements, or deeper nesting, get the body's text without Readability (see extractPage). */
export const MAX_READABILITY_ELEMENTS = 5000;
export const MAX_READABILITY_DEPTH = 64;
const MAX_TITLE_CHARS = 300;

const parameters = Type.Object(
  { url: Type.String({ minLength: 1, maxLength: MAX_URL_CHARS, description: 'The page\'s full http: or https: address, e.g. "https://en.wikipedia.org/wiki/Milk"' }) },
  { additionalProperties: false },
);

export interface WebReadResult {
  url: string;
  title: string;
  text: string;
  truncated?: true;
}

const BLOCK = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BR", "CAPTION", "DD", "DETAILS", "DIV", "DL", "DT", "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "FORM",
  "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE", "TBODY", "THEAD", "TR", "UL",
]);
/** Table cells: a space between them, a line per row. */
const CELL = new Set(["TD", "TH"]);
const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "IFRAME", "OBJECT", "EMBED", "SVG", "CANVAS", "SELECT", "OPTION"]);

interface DomNode {
  nodeType: number;
  nodeName: string;
  nodeValue: string | null;
  childNodes: ArrayLike<DomNode>;
}

/** The text of a DOM subtree: spaces collapsed, a line break between blocks (iterative: deep pages cannot overflow the stack). */
export function readableText(root: DomNode): string {
  const parts: string[] = [];
  const stack: (DomNode | "\n")[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === "\n") {
      parts.push("\n");
      continue;
    }
    if (node.nodeType === 3) {
      parts.push((node.nodeValue ?? "").replace(/\s+/g, " "));
      continue;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) continue;
    const tag = node.nodeName.toUpperCase();
    if (SKIP.has(tag)) continue;
    const block = BLOCK.has(tag);
    if (block) {
      parts.push("\n");
      stack.push("\n");
    } else if (CELL.has(tag)) parts.push(" ");
    const children = node.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return parts
    .join("")
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join("\n");
}

const oneLine = (text: string | null | undefined) => (text ?? "").replace(/\s+/g, " ").trim().slice(0, MAX_TITLE_CHARS);

/** Elements and nesting depth of a tree, counted up to the limits (iteratively). */
function withinLimits(root: DomNode, maxElements: number, maxDepth: number): boolean {
  let elements = 0;
  const stack: [DomNode, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++elements > maxElements || depth > maxDepth) return false;
    const children = node.childNodes;
    for (let i = 0; i < children.length; i++) if (children[i].nodeType === 1) stack.push([children[i], depth + 1]);
  }
  return true;
}

/**
 * Title and readable text of an HTML page: Readability's article, else the body's text. Readability
 * over linkedom costs about 0.5 ms an element and grows with the square of the nesting depth (it
 * ran 40 s on 800 nested divs), all synchronous in the kernel's worker, so pages over
 * MAX_READABILITY_ELEMENTS elements or MAX_READABILITY_DEPTH levels get the body's text instead.
 */
export async function extractPage(html: string): Promise<{ title: string; text: string }> {
  const { parseHTML } = await import("linkedom");
  let { document } = parseHTML(html);
  // linkedom does not add the <html> and <body> an HTML parser implies: give text or a fragment them
  if (document.documentElement?.tagName !== "HTML") ({ document } = parseHTML(`<!doctype html><html><head></head><body>${html}</body></html>`));
  const pageTitle = oneLine(document.title);
  const root = document.documentElement as unknown as DomNode;
  const body = (document.body ?? document.documentElement) as unknown as DomNode;
  // before Readability, which changes the document
  const bodyText = readableText(body);
  if (withinLimits(root, MAX_READABILITY_ELEMENTS, MAX_READABILITY_DEPTH)) {
    const { Readability } = await import("@mozilla/readability");
    try {
      const article = new Readability(document as unknown as Document, { serializer: (el: Node) => el }).parse();
      const content = article?.content as unknown as DomNode | null | undefined;
      const text = content ? readableText(content) : "";
      if (text) return { title: oneLine(article?.title) || pageTitle, text };
    } catch {
      // a page Readability cannot handle: use the body's text
    }
  }
  return { title: pageTitle, text: bodyText };
}

export function createWebReadTool(options: NetworkOptions = {}): ToolDriver<typeof parameters> {
  const timeoutMs = options.timeoutMs ?? NETWORK_TIMEOUT_MS;
  const corsRefused = options.corsRefused ?? new Set<string>();
  return defineTool({
    name: "web.read",
    description: `Reads a web page and returns its title and main text (at most ${MAX_TEXT_CHARS} characters), without menus, ads or scripts.`,
    parameters,
    kind: "library",
    flow: { sink: "network" },
    capability: (args) => networkCapability(args.url),
    capabilityLabel: "network:<host>",
    describe: (args) => `read the page ${args.url}`,
    timeoutMs,
    async run(args, ctx): Promise<WebReadResult> {
      const target = parseWebUrl(args.url);
      const host = target.host;
      return bounded(host, ctx, timeoutMs, async (signal) => {
        const headers = new Headers({ accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5" });
        const response = await send(target, { method: "GET", headers }, ctx, { ...options, corsRefused }, signal);
        if (!response.ok) {
          discard(response);
          throw new KernelError("EIO", `web.read: HTTP ${response.status} from ${host}`);
        }
        let url = target.href;
        try {
          if (response.url && new URL(response.url).host === host) url = response.url;
        } catch {
          // keep the target
        }
        const header = response.headers.get("content-type");
        const mime = mimeType(header);
        const html = mime === "" || mime === "text/html" || mime === "application/xhtml+xml";
        if (!html && !isTextMime(mime)) {
          discard(response);
          throw new KernelError("EIO", `web.read: ${host} sent ${mime}, not a page (fetch tells its size)`);
        }
        const { bytes, truncated: cutBytes } = await readBody(response, html ? MAX_PAGE_BYTES : MAX_TEXT_CHARS * 4);
        const source = decodeText(bytes, header, cutBytes);
        const page = html ? await extractPage(source) : { title: "", text: source.split("\n").map((l) => l.replace(/\s+/g, " ").trim()).filter(Boolean).join("\n") };
        const truncated = cutBytes || page.text.length > MAX_TEXT_CHARS;
        const text = page.text.slice(0, MAX_TEXT_CHARS);
        return truncated ? { url, title: page.title, text, truncated: true } : { url, title: page.title, text };
      });
    },
  });
}

export const webReadTool = createWebReadTool();
