/**
 * What `fetch` and `web.read` share: URL checks, the `network:<host>` capability, a bounded
 * request (time: the caller's signal plus the tool's own deadline; size: bodies are read as a
 * stream and cut at a limit, never buffered whole), redirect and CORS handling and the user's proxy.
 *
 * Requests never carry credentials (`credentials: "omit"`: no cookies, no HTTP auth the browser
 * remembers), skip the HTTP cache and send no Referer. Redirects are followed, but a response whose
 * final URL is on another host than the one granted fails EPERM: that host needs its own grant.
 * (The browser follows redirects itself, so the other host has seen a request by then: a GET with
 * no credentials; what it answered is withheld.)
 *
 * CORS: in a browser, a cross-origin read the site does not allow fails with the same TypeError as
 * an unreachable host. A second request with `mode: "no-cors"` (a HEAD, whose opaque answer is
 * never read) tells them apart: it resolves when the host answered. A GET refused that way is
 * retried through the user's own proxy when one is set (`ctx.network.proxy`), and later requests to
 * that host go straight to the proxy. A refused POST is not repeated: a "simple" POST has reached
 * the server before the browser hides the answer, so resending it could do the same thing twice.
 */
import { KernelError } from "../errors.ts";
import type { ToolContext } from "./tool.ts";

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface NetworkOptions {
  /** The fetch to call (tests inject one); default: the runtime's own, looked up at each call. */
  fetch?: FetchFunction;
  /** Milliseconds before the tool gives up on its own (the kernel also aborts `ctx.signal` then). */
  timeoutMs?: number;
  /** Hosts seen refusing cross-origin reads; share one set between the tools of a library. */
  corsRefused?: Set<string>;
}

export const NETWORK_TIMEOUT_MS = 20_000;
export const MAX_URL_CHARS = 4096;
/** Bytes counted, at most, to tell the size of a binary body sent without a Content-Length. */
const MAX_COUNT_BYTES = 16 * 1024 * 1024;

/** Parses an http: or https: URL; anything else (file:, data:, blob:, javascript:, ftp:, …) is EINVAL. */
export function parseWebUrl(url: string, field = "url"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KernelError("EINVAL", `${field}: not a valid URL (${JSON.stringify(String(url).slice(0, 200))}); write it in full, e.g. "https://example.com/page"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new KernelError("EINVAL", `${field}: only http: and https: URLs can be fetched (got ${parsed.protocol})`);
  if (parsed.username || parsed.password) throw new KernelError("EINVAL", `${field}: must not contain a user name or password`);
  if (!parsed.host) throw new KernelError("EINVAL", `${field}: has no host`);
  return parsed;
}

/** "network:<host>", the host as `new URL(url).host` writes it (with its port, if any): "network:127.0.0.1:8123". */
export function networkCapability(url: string): string {
  return `network:${parseWebUrl(url).host}`;
}

/** "text/html" from "text/HTML; charset=utf-8"; "" when there is none. */
export function mimeType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Text the tools decode and show; anything else is described by type and size, never decoded. */
export function isTextMime(mime: string): boolean {
  return (
    mime.startsWith("text/") ||
    /^application\/(json|ld\+json|xml|xhtml\+xml|javascript|ecmascript|x-javascript|x-www-form-urlencoded|x-ndjson|ndjson|jsonl|yaml|x-yaml|toml|csv|graphql|sql|rtf)$/.test(mime) ||
    /\+(json|xml)$/.test(mime)
  );
}

export function decodeText(bytes: Uint8Array, contentType: string | null, cut: boolean): string {
  const charset = /charset\s*=\s*"?([^;"\s]+)/i.exec(contentType ?? "")?.[1];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  // `stream: true` holds back a multi-byte character the cut split, instead of showing U+FFFD
  return decoder.decode(bytes, { stream: cut });
}

/** For a body sent without a Content-Type: UTF-8 with no NUL reads as text. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.subarray(0, 4096).includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Reads at most `maxBytes` of a body from its stream, then cancels it (the connection closes). */
export async function readBody(response: Response, maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) void reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, truncated };
}

/** A body's size without keeping it: Content-Length when sent, else counted (up to 16 MB). */
export async function bodySize(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (!response.body) return "0 bytes";
  if (Number.isSafeInteger(length) && length >= 0) {
    void response.body.cancel().catch(() => {});
    return `${length} bytes`;
  }
  const reader = response.body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return `${size} bytes`;
    size += value.byteLength;
    if (size > MAX_COUNT_BYTES) {
      void reader.cancel().catch(() => {});
      return `more than ${MAX_COUNT_BYTES} bytes`;
    }
  }
}

export function discard(response: Response): void {
  void response.body?.cancel().catch(() => {});
}

/**
 * Runs `call` under a signal that aborts when the caller's does or after `timeoutMs`, and turns an
 * abort into the error it means: the caller's own KernelError reason, or ETIMEDOUT.
 */
export async function bounded<T>(host: string, ctx: Pick<ToolContext, "signal">, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let ownTimeout = false;
  const timer = setTimeout(() => {
    ownTimeout = true;
    controller.abort(new DOMException("timed out", "TimeoutError"));
  }, timeoutMs);
  const parent = ctx.signal;
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  try {
    return await call(controller.signal);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    if (ownTimeout) throw new KernelError("ETIMEDOUT", `no answer from ${host} within ${Math.round(timeoutMs / 100) / 10} s`, { cause: error });
    const reason: unknown = parent.reason;
    if (reason instanceof KernelError) throw reason;
    if ((reason as { name?: string } | undefined)?.name === "TimeoutError") throw new KernelError("ETIMEDOUT", `no answer from ${host} in time`, { cause: reason });
    throw new KernelError("ETIMEDOUT", `the request to ${host} was cancelled`, { cause: reason });
  } finally {
    clearTimeout(timer);
    parent.removeEventListener("abort", onAbort);
  }
}

export interface OutgoingRequest {
  method: "GET" | "POST";
  headers?: Headers;
  body?: string;
}

const isLoopback = (hostname: string) => hostname === "localhost" || hostname === "[::1]" || /^127\./.test(hostname);

/** Why a request the browser blocked outright may have failed, where the page can tell. */
function blockedHint(target: URL): string {
  const page = (globalThis as { location?: { protocol?: string } }).location;
  if (page?.protocol === "https:" && target.protocol === "http:" && !isLoopback(target.hostname)) return " (this app is served over https:, and browsers block plain http: requests from it; try the https: address)";
  return "";
}

export const corsMessage = (host: string) => `${host} does not allow other sites to read it (CORS); set a proxy of your own in Permissions → Network proxy`;

/**
 * Sends the request: directly, or through the user's proxy for a host that refuses CORS. Checks
 * the final URL's host (EPERM when a redirect left the granted host). Returns the response with its
 * body unread.
 */
export async function send(target: URL, request: OutgoingRequest, ctx: Pick<ToolContext, "network">, options: NetworkOptions, signal: AbortSignal): Promise<Response> {
  const fetchFn: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const host = target.host;
  const init: RequestInit = {
    method: request.method,
    headers: request.headers,
    body: request.body,
    mode: "cors",
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
    redirect: "follow",
    signal,
  };
  const proxy = ctx.network?.proxy?.trim() || undefined;
  if (proxy && options.corsRefused?.has(host)) return viaProxy(fetchFn, proxy, target, init, signal);
  let response: Response;
  try {
    response = await fetchFn(target.href, init);
  } catch (error) {
    if (signal.aborted) throw error;
    if (!(await answers(fetchFn, target, signal))) {
      if (signal.aborted) throw error;
      throw new KernelError("EIO", `could not reach ${host}${blockedHint(target)}`, { cause: error });
    }
    options.corsRefused?.add(host);
    if (proxy && request.method === "GET") return viaProxy(fetchFn, proxy, target, init, signal);
    if (proxy) throw new KernelError("EIO", `${host} does not allow other sites to read it (CORS); a POST is not repeated through your proxy, as ${host} may have received it (later requests to ${host} go through the proxy)`, { cause: error });
    throw new KernelError("EIO", corsMessage(host), { cause: error });
  }
  let final: URL = target;
  try {
    if (response.url) final = new URL(response.url);
  } catch {
    // keep the target
  }
  if (final.host !== host) {
    discard(response);
    throw new KernelError("EPERM", `redirected to ${final.host}, which needs its own grant`);
  }
  return response;
}

/** The no-cors probe: true when the host answered at all (an opaque response). */
async function answers(fetchFn: FetchFunction, target: URL, signal: AbortSignal): Promise<boolean> {
  try {
    const probe = await fetchFn(target.href, { method: "HEAD", mode: "no-cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "follow", signal });
    discard(probe);
    return true;
  } catch {
    return false;
  }
}

async function viaProxy(fetchFn: FetchFunction, proxy: string, target: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
  if (!proxy.includes("{url}")) throw new KernelError("EIO", `the network proxy setting ${JSON.stringify(proxy)} has no {url} where the address goes`);
  let proxyUrl: URL;
  try {
    proxyUrl = parseWebUrl(proxy.replace("{url}", encodeURIComponent(target.href)), "network proxy");
  } catch (error) {
    throw new KernelError("EIO", (error as Error).message, { cause: error });
  }
  try {
    return await fetchFn(proxyUrl.href, init);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new KernelError("EIO", `could not reach your network proxy (${proxyUrl.host}) for ${target.host}`, { cause: error });
  }
}
