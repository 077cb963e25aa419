// fetch and web.read against real node:http servers on 127.0.0.1: text, JSON, an article, a huge
// body, slow endpoints, redirects, errors, binaries; CORS refusals simulated by an injected fetch
// (as a browser would answer) and the retry through a second local server acting as the proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelError } from "../../../../src/kernel/errors.ts";
import { validate } from "../../../../src/kernel/schema.ts";
import { createFetchTool, fetchTool, MAX_RESPONSE_BYTES } from "../../../../src/kernel/tools/fetch.ts";
import { corsMessage, networkCapability, readBody, type FetchFunction } from "../../../../src/kernel/tools/network.ts";
import { createWebReadTool, extractPage, MAX_TEXT_CHARS, webReadTool } from "../../../../src/kernel/tools/web-read.ts";
import { call, context } from "./context.ts";

const paragraphs = Array.from({ length: 8 }, (_, i) => `<p>Paragraph ${i + 1}: the price of milk rose again this week,   farmers said,\n as feed costs climbed and demand stayed strong across the region.</p>`).join("\n");
const ARTICLE = `<!doctype html><html><head><title>Milk prices rise - The Daily</title><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Milk prices rise</h1>${paragraphs}</article>
<footer>Copyright 2026 The Daily. All rights reserved.</footer><script>var tracking = "secret script text";</script></body></html>`;
const LONG_ARTICLE = `<!doctype html><html><head><title>Long read</title></head><body><article><h1>Long read</h1>${Array.from({ length: 200 }, (_, i) => `<p>Sentence ${i} of a very long article about milk, cows, farms and the weather in the valley.</p>`).join("")}</article></body></html>`;
const NO_ARTICLE = `<!doctype html><html><head><title>Many spans</title></head><body><p>fallback text here</p><div>${"<span>x</span> ".repeat(6000)}</div><script>nope()</script></body></html>`;
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let target: Server;
let other: Server;
let proxy: Server;
let base = "";
let host = "";
let otherBase = "";
let proxyBase = "";
let deadBase = "";
const seen: Seen[] = [];
const proxied: string[] = [];
const huge = { sent: 0, closed: false };

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function readRequest(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => resolve(body));
  });
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", base);
  const body = await readRequest(req);
  seen.push({ method: req.method ?? "", url: url.pathname + url.search, headers: req.headers, body });
  const send = (status: number, type: string | undefined, data: string | Uint8Array, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...(type ? { "content-type": type } : {}), ...extra });
    res.end(data);
  };
  switch (url.pathname) {
    case "/text":
      return send(200, "text/plain; charset=utf-8", "hello, world");
    case "/json":
      return send(200, "application/json", JSON.stringify({ milk: 2, tea: ["green", "black"] }));
    case "/article":
      return send(200, "text/html; charset=utf-8", ARTICLE);
    case "/long-article":
      return send(200, "text/html", LONG_ARTICLE);
    case "/no-article":
      return send(200, "text/html", NO_ARTICLE);
    case "/latin1":
      return send(200, "text/plain; charset=iso-8859-1", Uint8Array.from([0x63, 0x61, 0x66, 0xe9])); // "café"
    case "/utf8-long":
      return send(200, "text/plain; charset=utf-8", "€".repeat(30_000)); // 90 000 bytes, 3 a character
    case "/huge": {
      // endless, written as fast as the client reads: only the client closing ends it
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(16 * 1024, "a");
      res.on("close", () => (huge.closed = true));
      const pump = () => {
        while (!res.destroyed) {
          huge.sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
      };
      return pump();
    }
    case "/slow":
      return; // never answers
    case "/drip":
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first bytes…");
      return; // never finishes
    case "/missing":
      return send(404, "text/plain", "not found");
    case "/error":
      return send(500, "application/json", '{"error":"boom"}');
    case "/binary":
      return send(200, "image/png", PNG);
    case "/binary-chunked":
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(PNG);
      res.end(PNG);
      return;
    case "/untyped-binary":
      res.writeHead(200, {});
      return void res.end(Uint8Array.from([0, 1, 2, 3, 255]));
    case "/untyped-text":
      res.writeHead(200, {});
      return void res.end("plain words");
    case "/echo":
      return send(200, "application/json", JSON.stringify({ method: req.method, body, headers: req.headers }));
    case "/redirect-away":
      return send(302, "text/plain", "", { location: `${otherBase}/text` });
    case "/redirect-home":
      return send(302, "text/plain", "", { location: "/text" });
    default:
      return send(404, "text/plain", "no route");
  }
}

beforeAll(async () => {
  target = createServer((req, res) => void route(req, res));
  base = await listen(target);
  host = new URL(base).host;
  other = createServer((_req, res) => res.end("the other host"));
  otherBase = await listen(other);
  // the user's own proxy: fetches {url} server-side and relays status, type and body
  proxy = createServer(async (req, res) => {
    const requested = new URL(req.url ?? "/", "http://proxy").searchParams.get("url") ?? "";
    proxied.push(requested);
    const body = await readRequest(req);
    const upstream = await fetch(requested, { method: req.method, body: req.method === "POST" ? body : undefined });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/plain", "access-control-allow-origin": "*" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  proxyBase = await listen(proxy);
  const dead = createServer();
  deadBase = await listen(dead);
  await new Promise((resolve) => dead.close(resolve));
});

afterAll(async () => {
  for (const server of [target, other, proxy]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A browser's answers for hosts that send no CORS headers: the read fails with a TypeError, a no-cors request resolves (opaque). */
function browserLike(refusing: () => string[], log: { url: string; init?: RequestInit }[] = []): FetchFunction {
  return async (url, init) => {
    log.push({ url, init });
    if (refusing().includes(new URL(url).host)) {
      if (init?.mode === "no-cors") return new Response(null, { status: 200 });
      throw new TypeError("Failed to fetch");
    }
    return fetch(url, init);
  };
}

describe("fetch", () => {
  it("returns status, content type and text", async () => {
    expect(await call(fetchTool, { url: `${base}/text` })).toEqual({ status: 200, contentType: "text/plain", body: "hello, world" });
    expect(await call(fetchTool, { url: `${base}/json` })).toEqual({ status: 200, contentType: "application/json", body: '{"milk":2,"tea":["green","black"]}' });
    expect(await call(fetchTool, { url: `${base}/latin1` })).toEqual({ status: 200, contentType: "text/plain", body: "café" });
    expect(await call(fetchTool, { url: `${base}/untyped-text` })).toEqual({ status: 200, contentType: "", body: "plain words" });
  });

  it("returns HTTP errors as results", async () => {
    expect(await call(fetchTool, { url: `${base}/missing` })).toEqual({ status: 404, contentType: "text/plain", body: "not found" });
    expect(await call(fetchTool, { url: `${base}/error` })).toEqual({ status: 500, contentType: "application/json", body: '{"error":"boom"}' });
  });

  it("describes binary bodies by type and size without decoding them", async () => {
    expect(await call(fetchTool, { url: `${base}/binary` })).toEqual({ status: 200, contentType: "image/png", body: "image/png, 16 bytes" });
    expect(await call(fetchTool, { url: `${base}/binary-chunked` })).toEqual({ status: 200, contentType: "application/octet-stream", body: "application/octet-stream, 32 bytes" });
    expect(await call(fetchTool, { url: `${base}/untyped-binary` })).toEqual({ status: 200, contentType: "", body: "binary data, 5 bytes" });
  });

  it("POSTs a body with headers (Authorization allowed), without credentials, cache or referrer", async () => {
    const log: { url: string; init?: RequestInit }[] = [];
    const tool = createFetchTool({ fetch: browserLike(() => [], log) });
    const result = (await call(tool, { url: `${base}/echo`, method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer k" }, body: '{"a":1}' })) as { status: number; body: string };
    const echoed = JSON.parse(result.body);
    expect(echoed).toMatchObject({ method: "POST", body: '{"a":1}', headers: { "content-type": "application/json", authorization: "Bearer k" } });
    expect(echoed.headers.cookie).toBeUndefined();
    expect(echoed.headers.referer).toBeUndefined();
    expect(log[0].init).toMatchObject({ method: "POST", mode: "cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "follow" });
  });

  it("cuts a huge body at 64 KB and closes the connection instead of reading on", async () => {
    huge.sent = 0;
    huge.closed = false;
    const result = (await call(fetchTool, { url: `${base}/huge` })) as { body: string; truncated?: boolean };
    expect(result.truncated).toBe(true);
    expect(result.body).toHaveLength(MAX_RESPONSE_BYTES);
    await expect.poll(() => huge.closed, { timeout: 5000 }).toBe(true);
    expect(huge.sent).toBeLessThan(32 * 1024 * 1024); // socket buffers, not the endless body
  });

  it("reads only what it keeps from a stream (an endless body is pulled a bounded number of times)", async () => {
    let pulls = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024).fill(97));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { bytes, truncated } = await readBody(new Response(endless), 10_000);
    expect([bytes.byteLength, truncated, cancelled]).toEqual([10_000, true, true]);
    expect(pulls).toBeLessThan(15);
  });

  it("cuts text at a character boundary", async () => {
    const result = (await call(fetchTool, { url: `${base}/utf8-long` })) as { body: string; truncated: boolean };
    expect(result.truncated).toBe(true);
    expect(result.body).toBe("€".repeat(Math.floor(MAX_RESPONSE_BYTES / 3)));
  });

  it("times out: the caller's signal, the tool's own deadline, and a body that never ends", async () => {
    await expect(call(fetchTool, { url: `${base}/slow` }, context({ signal: AbortSignal.timeout(200) }))).rejects.toMatchObject({ code: "ETIMEDOUT" });
    const quick = createFetchTool({ timeoutMs: 200 });
    await expect(call(quick, { url: `${base}/slow` })).rejects.toMatchObject({ code: "ETIMEDOUT", message: `no answer from ${host} within 0.2 s` });
    await expect(call(quick, { url: `${base}/drip` })).rejects.toMatchObject({ code: "ETIMEDOUT" });
    const killed = new AbortController();
    setTimeout(() => killed.abort(new KernelError("EKILLED", "process 2 was killed")), 100);
    await expect(call(fetchTool, { url: `${base}/slow` }, context({ signal: killed.signal }))).rejects.toMatchObject({ code: "EKILLED" });
  });

  it("follows redirects on the granted host, and refuses one to another host with EPERM", async () => {
    expect(await call(fetchTool, { url: `${base}/redirect-home` })).toEqual({ status: 200, contentType: "text/plain", body: "hello, world" });
    await expect(call(fetchTool, { url: `${base}/redirect-away` })).rejects.toMatchObject({ code: "EPERM", message: `redirected to ${new URL(otherBase).host}, which needs its own grant` });
  });

  it("fails EIO when the host cannot be reached", async () => {
    await expect(call(fetchTool, { url: `${deadBase}/text` })).rejects.toMatchObject({ code: "EIO", message: `could not reach ${new URL(deadBase).host}` });
  });

  it("needs network:<host> and describes the call", () => {
    expect(fetchTool.capability({ url: "http://127.0.0.1:8123/a" })).toBe("network:127.0.0.1:8123");
    expect(fetchTool.capability({ url: "https://Example.COM:443/a?b" })).toBe("network:example.com");
    expect(fetchTool.capability({ url: "https://example.com:8443/" })).toBe("network:example.com:8443");
    expect(fetchTool.describe({ url: "http://127.0.0.1:8123/a" })).toBe("GET http://127.0.0.1:8123/a");
    expect(fetchTool.describe({ url: "http://127.0.0.1:8123/a", method: "POST", body: "hello" })).toBe("POST 5 characters to http://127.0.0.1:8123/a");
    expect(fetchTool.describe({ url: "http://127.0.0.1:8123/a", headers: { Authorization: "x" } })).toBe("GET http://127.0.0.1:8123/a (headers: Authorization)");
  });

  it("refuses URLs other than http: and https: with EINVAL (in run and in capability)", async () => {
    for (const url of ["file:///etc/passwd", "data:text/plain,hi", "blob:http://127.0.0.1/x", "javascript:alert(1)", "ftp://example.com/a", "not a url", "http://user:pw@example.com/"]) {
      await expect(call(fetchTool, { url }), url).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^url: /) });
      expect(() => networkCapability(url), url).toThrow(KernelError);
    }
  });

  it("refuses bad arguments with EINVAL naming the field", async () => {
    const check = (args: unknown) => validate(fetchTool.parameters, args, "args");
    expect(() => check({ url: "http://a/", method: "PUT" })).toThrow('args.method: must be one of "GET", "POST"');
    expect(() => check({ url: "http://a/", headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, "v"])) })).toThrow(/^args\.headers: /);
    expect(() => check({ url: "http://a/", headers: { a: 1 } })).toThrow(/^args\.headers\.a: /);
    expect(() => check({ url: "http://a/", body: "x".repeat(1024 * 1024 + 1) })).toThrow(/^args\.body: /);
    expect(() => check({})).toThrow("args.url: is required");
    await expect(call(fetchTool, { url: `${base}/echo`, body: "x" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^body: only a POST/) });
    await expect(call(fetchTool, { url: `${base}/echo`, method: "POST", body: "é".repeat(600_000) })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^body: 1200000 bytes/) });
    for (const name of ["Cookie", "set-cookie", "Host", "Origin", "Referer", "Content-Length", "Proxy-Authorization", "Sec-Fetch-Mode", "X-HTTP-Method-Override"]) {
      await expect(call(fetchTool, { url: `${base}/echo`, headers: { [name]: "x" } }), name).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(new RegExp(`^headers\\.${name}: `)) });
    }
    await expect(call(fetchTool, { url: `${base}/echo`, headers: { "bad name": "x" } })).rejects.toMatchObject({ code: "EINVAL", message: "headers.bad name: not a valid header name" });
    await expect(call(fetchTool, { url: `${base}/echo`, headers: { "x-a": "1\r\nHost: evil" } })).rejects.toMatchObject({ code: "EINVAL", message: "headers.x-a: must not contain line breaks" });
  });
});

describe("CORS and the proxy", () => {
  it("tells a CORS refusal from an unreachable host with a no-cors probe", async () => {
    const log: { url: string; init?: RequestInit }[] = [];
    const tool = createFetchTool({ fetch: browserLike(() => [host], log) });
    await expect(call(tool, { url: `${base}/text` })).rejects.toMatchObject({ code: "EIO", message: corsMessage(host) });
    expect(corsMessage(host)).toBe(`${host} does not allow other sites to read it (CORS); set a proxy of your own in Permissions → Network proxy`);
    expect(log[1].init).toMatchObject({ method: "HEAD", mode: "no-cors", credentials: "omit" });
    const unreachable = createFetchTool({ fetch: browserLike(() => []) });
    await expect(call(unreachable, { url: `${deadBase}/text` })).rejects.toMatchObject({ code: "EIO", message: `could not reach ${new URL(deadBase).host}` });
  });

  it("retries a refused GET through the user's proxy, then goes there directly", async () => {
    proxied.length = 0;
    const log: { url: string; init?: RequestInit }[] = [];
    const tool = createFetchTool({ fetch: browserLike(() => [host], log) });
    const ctx = context({ network: { proxy: `${proxyBase}/fetch?url={url}` } });
    expect(await call(tool, { url: `${base}/json?q=a b&x=1` }, ctx)).toEqual({ status: 200, contentType: "application/json", body: '{"milk":2,"tea":["green","black"]}' });
    expect(proxied).toEqual([`${base}/json?q=a%20b&x=1`]);
    expect(log.map((l) => [new URL(l.url).host, l.init?.mode])).toEqual([[host, "cors"], [host, "no-cors"], [new URL(proxyBase).host, "cors"]]);
    log.length = 0;
    expect(await call(tool, { url: `${base}/missing` }, ctx)).toEqual({ status: 404, contentType: "text/plain", body: "not found" });
    expect(log.map((l) => new URL(l.url).host)).toEqual([new URL(proxyBase).host]);
  });

  it("does not repeat a refused POST through the proxy (it may have reached the host), but sends later ones there", async () => {
    proxied.length = 0;
    const tool = createFetchTool({ fetch: browserLike(() => [host]) });
    const ctx = context({ network: { proxy: `${proxyBase}/fetch?url={url}` } });
    await expect(call(tool, { url: `${base}/echo`, method: "POST", body: "once" }, ctx)).rejects.toMatchObject({ code: "EIO", message: expect.stringMatching(/CORS.*not repeated/) });
    expect(proxied).toEqual([]);
    const result = (await call(tool, { url: `${base}/echo`, method: "POST", body: "twice" }, ctx)) as { body: string };
    expect(JSON.parse(result.body)).toMatchObject({ method: "POST", body: "twice" });
    expect(proxied).toEqual([`${base}/echo`]);
  });

  it("says so when the proxy itself cannot be reached or is not a template", async () => {
    const tool = createFetchTool({ fetch: browserLike(() => [host]) });
    await expect(call(tool, { url: `${base}/text` }, context({ network: { proxy: `${deadBase}/?u={url}` } }))).rejects.toMatchObject({ code: "EIO", message: expect.stringMatching(/^could not reach your network proxy/) });
    const other = createFetchTool({ fetch: browserLike(() => [host]) });
    await expect(call(other, { url: `${base}/text` }, context({ network: { proxy: `${proxyBase}/fetch` } }))).rejects.toMatchObject({ code: "EIO", message: expect.stringMatching(/has no \{url\}/) });
  });

  it("web.read goes through the proxy too", async () => {
    const tool = createWebReadTool({ fetch: browserLike(() => [host]) });
    const page = (await call(tool, { url: `${base}/article` }, context({ network: { proxy: `${proxyBase}/fetch?url={url}` } }))) as { url: string; title: string; text: string };
    expect(page.url).toBe(`${base}/article`);
    expect(page.title).toBe("Milk prices rise - The Daily");
    expect(page.text).toContain("Paragraph 8");
  });
});

describe("web.read", () => {
  it("returns the article's title and readable text, without menus, footers or scripts", async () => {
    const page = (await call(webReadTool, { url: `${base}/article` })) as { url: string; title: string; text: string; truncated?: boolean };
    expect(Object.keys(page).sort()).toEqual(["text", "title", "url"]);
    expect(page.url).toBe(`${base}/article`);
    expect(page.title).toBe("Milk prices rise - The Daily");
    expect(page.text).toContain("Paragraph 1: the price of milk rose again this week, farmers said, as feed costs climbed");
    expect(page.text).toContain("Paragraph 8:");
    for (const absent of ["Home", "Sport", "Copyright", "secret script text", "color: red"]) expect(page.text).not.toContain(absent);
    expect(page.text).not.toMatch(/ {2}|\n\n|^\s|\s$/); // whitespace collapsed
    expect(page.text.split("\n").length).toBeGreaterThanOrEqual(8); // a line per paragraph
  });

  it("cuts the text at 8000 characters", async () => {
    const page = (await call(webReadTool, { url: `${base}/long-article` })) as { text: string; truncated?: boolean };
    expect(page.truncated).toBe(true);
    expect(page.text).toHaveLength(MAX_TEXT_CHARS);
  });

  it("falls back to the body's text for pages too big for Readability", async () => {
    const started = Date.now();
    const page = (await call(webReadTool, { url: `${base}/no-article` })) as { title: string; text: string };
    expect(page.title).toBe("Many spans");
    expect(page.text.startsWith("fallback text here\nx x x")).toBe(true);
    expect(page.text).not.toContain("nope()");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reads plain text as it is", async () => {
    expect(await call(webReadTool, { url: `${base}/text` })).toEqual({ url: `${base}/text`, title: "", text: "hello, world" });
  });

  it("fails EIO on HTTP errors and binaries, EPERM on a redirect to another host", async () => {
    await expect(call(webReadTool, { url: `${base}/missing` })).rejects.toMatchObject({ code: "EIO", message: `web.read: HTTP 404 from ${host}` });
    await expect(call(webReadTool, { url: `${base}/binary` })).rejects.toMatchObject({ code: "EIO", message: expect.stringMatching(/image\/png, not a page/) });
    await expect(call(webReadTool, { url: `${base}/redirect-away` })).rejects.toMatchObject({ code: "EPERM", message: `redirected to ${new URL(otherBase).host}, which needs its own grant` });
    expect(await call(webReadTool, { url: `${base}/redirect-home` })).toEqual({ url: `${base}/text`, title: "", text: "hello, world" });
    await expect(call(webReadTool, { url: `${deadBase}/` })).rejects.toMatchObject({ code: "EIO", message: `could not reach ${new URL(deadBase).host}` });
    await expect(call(createWebReadTool({ timeoutMs: 200 }), { url: `${base}/slow` })).rejects.toMatchObject({ code: "ETIMEDOUT" });
  });

  it("refuses bad URLs and arguments; needs network:<host>; describes the call", async () => {
    await expect(call(webReadTool, { url: "file:///etc/passwd" })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^url: only http: and https:/) });
    expect(() => validate(webReadTool.parameters, { url: "http://a/", full: true }, "args")).toThrow("args.full: unknown field");
    expect(webReadTool.capability({ url: `${base}/article` })).toBe(`network:${host}`);
    expect(webReadTool.describe({ url: "http://127.0.0.1:8123/a" })).toBe("read the page http://127.0.0.1:8123/a");
  });

  it("extracts text from pages without <html>, and from deeply nested ones quickly without overflowing the stack", async () => {
    expect(await extractPage("just some words")).toEqual({ title: "", text: "just some words" });
    expect(await extractPage("<p>one</p><p>two <b>three</b></p>")).toEqual({ title: "", text: "one\ntwo three" });
    const started = Date.now();
    const deep = `<html><head><title>Deep</title></head><body><p>top</p>${"<div>".repeat(20_000)}bottom${"</div>".repeat(20_000)}</body></html>`;
    expect(await extractPage(deep)).toEqual({ title: "Deep", text: "top\nbottom" });
    expect(Date.now() - started).toBeLessThan(5000); // Readability would take minutes here
  });
});
