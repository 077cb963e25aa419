/**
 * Serves a Kernel as an OpenAI-compatible HTTP API on Node, for real OpenAI clients (the official
 * `openai` SDK, the Vercel AI SDK's openai-compatible provider, the kernel's own remote engine):
 *
 * - GET  /v1/models, GET /v1/models/{id}: the loaded model.
 * - POST /v1/chat/completions: the kernel's `chat`, JSON or SSE (`stream: true`), passed through
 *   unmodified: tools, tool_choice, parallel_tool_calls, assistant `tool_calls` and `tool`
 *   messages in; `message.tool_calls` / streamed `delta.tool_calls` and
 *   `stream_options.include_usage`'s final usage chunk out.
 * - Errors in OpenAI's shape, `{ error: { message, type, param, code } }`, with `code` the kernel's
 *   error code (EINVAL, ENOENT, …) and `param` the field the message names. Once a stream has
 *   started, an error is one SSE `data: {"error": …}` event and the stream closes (no [DONE]).
 * - A client that disconnects interrupts its generation.
 *
 * Used by `npm run serve` (src/server/serve.ts), to test the remote engine against a real server,
 * and to share a kernel with other programs on this machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KernelError, toKernelError, type ErrorCode } from "../kernel/errors.ts";
import type { Kernel } from "../kernel/kernel.ts";

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** HTTP status, OpenAI error type, and whether a client should retry (OpenAI's `x-should-retry`). */
const ERRORS: Partial<Record<ErrorCode, { status: number; type: string; retry: boolean }>> = {
  EINVAL: { status: 400, type: "invalid_request_error", retry: false },
  EPERM: { status: 403, type: "permission_error", retry: false },
  ENOENT: { status: 404, type: "invalid_request_error", retry: false },
  EBUSY: { status: 409, type: "invalid_request_error", retry: true },
  EQUOTA: { status: 429, type: "insufficient_quota", retry: false },
  ENOTREADY: { status: 503, type: "server_error", retry: true },
};
const SERVER_ERROR = { status: 500, type: "server_error", retry: false };

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: ErrorCode };
}

/** The kernel's messages start with the field they are about ("messages[0].content: is required"). */
function paramOf(message: string): string | null {
  const field = /^([A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_][\w]*)*): /.exec(message)?.[1];
  return field && field !== "request" ? field : null;
}

export function openAIError(error: unknown): { status: number; retry: boolean; body: OpenAIErrorBody } {
  const e = toKernelError(error);
  const kind = ERRORS[e.code] ?? SERVER_ERROR;
  return { status: kind.status, retry: kind.retry, body: { error: { message: e.message, type: kind.type, param: paramOf(e.message), code: e.code } } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new KernelError("EINVAL", `request: body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new KernelError("EINVAL", "request: body is not JSON");
  }
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const { status, retry, body } = openAIError(error);
  if (res.headersSent) {
    // Mid-stream: OpenAI's SSE error event, then close (clients throw on it; no [DONE]).
    res.end(`data: ${JSON.stringify(body)}\n\n`);
    return;
  }
  res.writeHead(status, { "content-type": "application/json", "x-should-retry": String(retry) });
  res.end(JSON.stringify(body));
}

function sendJson(res: ServerResponse, value: unknown): void {
  if (res.destroyed) return;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "content-type, authorization",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

/** OpenAI's model object (`created`: when this server started, the model's time here). */
function modelObject(id: string, created: number) {
  return { id, object: "model", created, owned_by: "aios" };
}

async function handle(kernel: Kernel, created: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
  if (req.method === "OPTIONS") {
    res.writeHead(204);
    res.end();
    return;
  }
  const path = new URL(req.url ?? "/", "http://x").pathname.replace(/\/+$/, "");
  if (req.method === "GET" && path === "/v1/models") {
    const models = await kernel.listModels();
    sendJson(res, { object: "list", data: models.filter((m) => m.loaded).map((m) => modelObject(m.id, created)) });
    return;
  }
  if (req.method === "GET" && path.startsWith("/v1/models/")) {
    // Ids may contain "/" (a remote model is "<host>/<id>"); clients may percent-encode it.
    let id: string;
    try {
      id = decodeURIComponent(path.slice("/v1/models/".length));
    } catch {
      throw new KernelError("EINVAL", "model: not a valid percent-encoded id");
    }
    const model = (await kernel.listModels()).find((m) => m.loaded && m.id === id);
    if (!model) throw new KernelError("ENOENT", `model: ${id} is not served here (GET /v1/models lists the loaded model)`);
    sendJson(res, modelObject(model.id, created));
    return;
  }
  if (req.method === "POST" && path === "/v1/chat/completions") {
    const body = await readJson(req);
    const stream = typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true;
    const requestId = `http-${Math.random().toString(36).slice(2)}`;
    // The client went away before the reply was complete: stop its generation.
    res.on("close", () => !res.writableFinished && kernel.interrupt(requestId));
    if (!stream) {
      sendJson(res, await kernel.chat(body, { requestId }));
      return;
    }
    await kernel.chat(body, {
      requestId,
      onChunk: (chunk) => {
        if (res.destroyed || res.writableEnded) return;
        if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      },
    });
    if (!res.destroyed) res.end("data: [DONE]\n\n");
    return;
  }
  throw new KernelError("ENOENT", `no route ${req.method} ${path}`);
}

/** "127.0.0.1" → "127.0.0.1", "::1" → "[::1]" (for URLs). */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function serveOpenAI(kernel: Kernel, port = 0, host = "127.0.0.1"): Promise<{ server: Server; baseUrl: string }> {
  const created = Math.floor(Date.now() / 1000);
  const server = createServer((req, res) => {
    handle(kernel, created, req, res).catch((error) => sendError(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { server, baseUrl: `http://${urlHost(host)}:${address.port}/v1` };
}
