/**
 * `fetch`: one HTTP GET or POST to a granted host (capability `network:<host>`), answered with
 * the status, the content type and the body as text (at most 64 KB; longer is cut, `truncated:
 * true`). Binary bodies are not decoded: the body says "<type>, N bytes". HTTP errors are results
 * (the status tells them); network failures are EIO, a redirect to another host EPERM. See
 * ./network.ts for the bounds, CORS and the proxy.
 *
 * Headers: at most 20. Refused (EINVAL): Cookie and Set-Cookie (a tool never carries the user's
 * browser credentials; requests are sent with `credentials: "omit"`), and the other names the
 * Fetch standard forbids a page to set (Host, Origin, Referer, Content-Length, Connection, Proxy-*,
 * Sec-*, …: the browser would drop them silently, so the model is told instead). Authorization is
 * allowed: the call is to a host the user granted, the key is one the app was given (it could as
 * well put it in the URL or the body), and APIs need it.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { bodySize, bounded, decodeText, isTextMime, looksLikeText, MAX_URL_CHARS, mimeType, NETWORK_TIMEOUT_MS, networkCapability, parseWebUrl, readBody, send, type NetworkOptions } from "./network.ts";
import { defineTool, type ToolDriver } from "./tool.ts";

/** Bytes of a response body returned as text. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Bytes of a POST body (UTF-8). */
export const MAX_REQUEST_BYTES = 1024 * 1024;
export const MAX_HEADERS = 20;
const MAX_HEADER_VALUE_CHARS = 8192;

const FORBIDDEN_HEADERS = new Set([
  "cookie", "cookie2", "set-cookie", "set-cookie2",
  "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method", "access-control-request-private-network",
  "connection", "content-length", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "te", "trailer", "transfer-encoding", "upgrade", "via",
  "x-http-method", "x-http-method-override", "x-method-override",
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const parameters = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_URL_CHARS, description: 'The full http: or https: address, e.g. "https://api.example.com/items?q=milk"' }),
    method: Type.Optional(Type.Enum(["GET", "POST"], { description: 'The HTTP method (default "GET")' })),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: MAX_HEADER_VALUE_CHARS }), {
        maxProperties: MAX_HEADERS,
        description: 'Request headers, e.g. { "Content-Type": "application/json", "Accept": "application/json" } (at most 20; no Cookie)',
      }),
    ),
    body: Type.Optional(Type.String({ maxLength: MAX_REQUEST_BYTES, description: "The request body, text (POST only, at most 1 MB), e.g. a JSON document" })),
  },
  { additionalProperties: false },
);

/** The request headers, checked: EINVAL names the bad one. */
export function requestHeaders(headers: Record<string, string> | undefined): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new KernelError("EINVAL", `headers.${name}: not a valid header name`);
    if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith("proxy-") || lower.startsWith("sec-")) {
      throw new KernelError("EINVAL", `headers.${name}: ${/cookie/.test(lower) ? "cookies are never sent" : "set by the browser, not by a tool"}`);
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000\r\n]/.test(value)) throw new KernelError("EINVAL", `headers.${name}: must not contain line breaks`);
    try {
      result.append(name, value);
    } catch (error) {
      throw new KernelError("EINVAL", `headers.${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return result;
}

export interface FetchResult {
  status: number;
  contentType: string;
  body: string;
  truncated?: true;
}

export function createFetchTool(options: NetworkOptions = {}): ToolDriver<typeof parameters> {
  const timeoutMs = options.timeoutMs ?? NETWORK_TIMEOUT_MS;
  const corsRefused = options.corsRefused ?? new Set<string>();
  return defineTool({
    name: "fetch",
    description: "Sends an HTTP GET or POST request and returns the status, content type and body text (at most 64 KB). Use it for APIs and raw files; use web.read to read a web page.",
    parameters,
    kind: "library",
    flow: { consequential: true, sink: "network" },
    capability: (args) => networkCapability(args.url),
    capabilityLabel: "network:<host>",
    describe(args) {
      const method = args.method ?? "GET";
      const headers = Object.keys(args.headers ?? {});
      const withHeaders = headers.length ? ` (headers: ${headers.join(", ")})` : "";
      if (method === "POST" && args.body !== undefined) return `POST ${args.body.length} character${args.body.length === 1 ? "" : "s"} to ${args.url}${withHeaders}`;
      return `${method} ${args.url}${withHeaders}`;
    },
    timeoutMs,
    async run(args, ctx): Promise<FetchResult> {
      const target = parseWebUrl(args.url);
      const method = args.method ?? "GET";
      if (args.body !== undefined && method !== "POST") throw new KernelError("EINVAL", 'body: only a POST request has a body (set method: "POST")');
      if (args.body !== undefined) {
        const bytes = new TextEncoder().encode(args.body).byteLength;
        if (bytes > MAX_REQUEST_BYTES) throw new KernelError("EINVAL", `body: ${bytes} bytes is over the ${MAX_REQUEST_BYTES}-byte (1 MB) limit`);
      }
      const headers = requestHeaders(args.headers);
      return bounded(target.host, ctx, timeoutMs, async (signal) => {
        const response = await send(target, { method, headers, body: args.body }, ctx, { ...options, corsRefused }, signal);
        const header = response.headers.get("content-type");
        const contentType = mimeType(header);
        const status = response.status;
        if (contentType && !isTextMime(contentType)) return { status, contentType, body: `${contentType}, ${await bodySize(response)}` };
        const { bytes, truncated } = await readBody(response, MAX_RESPONSE_BYTES);
        if (!contentType && !looksLikeText(bytes)) return { status, contentType, body: `binary data, ${truncated ? "more than " : ""}${bytes.byteLength} bytes` };
        const body = decodeText(bytes, header, truncated);
        return truncated ? { status, contentType, body, truncated: true } : { status, contentType, body };
      });
    },
  });
}

export const fetchTool = createFetchTool();
