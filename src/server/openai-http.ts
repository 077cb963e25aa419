/**
 * Serves a Kernel as an OpenAI-compatible HTTP API on Node (GET /v1/models, POST
 * /v1/chat/completions with JSON or SSE streaming). Used to test the remote engine against a real
 * server, and to share a kernel with other programs on this machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KernelError, toKernelError } from "../kernel/errors.ts";
import type { Kernel } from "../kernel/kernel.ts";

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const STATUS: Record<string, number> = { EINVAL: 400, ENOENT: 404, EBUSY: 409, ENOTREADY: 503 };

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
  const e = toKernelError(error);
  if (res.headersSent) {
    res.end(`data: ${JSON.stringify({ error: { message: e.message, code: e.code } })}\n\n`);
    return;
  }
  res.writeHead(STATUS[e.code] ?? 500, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message: e.message, code: e.code, type: "invalid_request_error" } }));
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "content-type, authorization",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

async function handle(kernel: Kernel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
  if (req.method === "OPTIONS") {
    res.writeHead(204);
    res.end();
    return;
  }
  const path = new URL(req.url ?? "/", "http://x").pathname.replace(/\/+$/, "");
  if (req.method === "GET" && path === "/v1/models") {
    const models = await kernel.listModels();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: models.filter((m) => m.loaded).map((m) => ({ id: m.id, object: "model", owned_by: "aios" })) }));
    return;
  }
  if (req.method === "POST" && path === "/v1/chat/completions") {
    const body = await readJson(req);
    const stream = typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true;
    const requestId = `http-${Math.random().toString(36).slice(2)}`;
    res.on("close", () => !res.writableFinished && kernel.interrupt(requestId));
    if (!stream) {
      const completion = await kernel.chat(body, { requestId });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(completion));
      return;
    }
    await kernel.chat(body, {
      requestId,
      onChunk: (chunk) => {
        if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      },
    });
    res.end("data: [DONE]\n\n");
    return;
  }
  throw new KernelError("ENOENT", `no route ${req.method} ${path}`);
}

export async function serveOpenAI(kernel: Kernel, port = 0, host = "127.0.0.1"): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    handle(kernel, req, res).catch((error) => sendError(res, error));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { server, baseUrl: `http://${host}:${address.port}/v1` };
}
