/**
 * `npm run serve`: boots the kernel on Node (the embedded model, on the CPU) and serves it as an
 * OpenAI-compatible API on loopback, for other programs on this machine. See `--help`.
 */
import type { Server } from "node:http";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EMBEDDED_MODELS, TransformersSource } from "../kernel/engines/transformers-source.ts";
import { Kernel } from "../kernel/kernel.ts";
import { serveOpenAI } from "./openai-http.ts";

const MODELS = EMBEDDED_MODELS.map((m) => m.id);

const USAGE = `Usage: npm run serve -- [--port N] [--host HOST] [--model ID]

Serves the AIOS kernel (the embedded model, run on the CPU) as an OpenAI-compatible API:
GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions (JSON or SSE streaming, tools).
Point any OpenAI client at the printed base URL; the API key is ignored.

Options:
  --port N      TCP port (default 8000; 0 picks a free one, printed once ready)
  --host HOST   address to listen on (default 127.0.0.1). Loopback only: 127.0.0.0/8, ::1 or
                localhost. The server has no authentication and allows any web origin (CORS *),
                so it is never exposed to the network; there is no option to do so.
  --model ID    ${MODELS.join(" | ")} (default ${MODELS[0]})
  -h, --help    this help

Prints "AIOS OpenAI-compatible server on http://HOST:PORT/v1 (model ID, cpu)" once ready, and
stops cleanly (exit 0) on SIGINT (Ctrl-C) or SIGTERM.`;

/** Where the embedded models live, found from this file (not the working directory). */
export const MODELS_DIR = fileURLToPath(new URL("../../public/models/", import.meta.url));

export interface ServeArgs {
  port: number;
  host: string;
  model: string;
  help: boolean;
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  const h = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./i.test(h);
  return false;
}

/** Parses the command line; throws an Error whose message says what is wrong. */
export function parseServeArgs(argv: string[]): ServeArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      model: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  const portText = values.port ?? "8000";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error(`--port: must be an integer from 0 to 65535, not ${portText}`);
  const host = values.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`--host: ${host} is not a loopback address; this server has no authentication and serves only this machine (use 127.0.0.1 or ::1)`);
  const model = values.model ?? MODELS[0]!;
  if (!MODELS.includes(model)) throw new Error(`--model: must be one of ${MODELS.join(", ")}, not ${model}`);
  return { port: Number(portText), host: host.replace(/^\[(.*)\]$/, "$1"), model, help: values.help === true };
}

async function main(): Promise<void> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const kernel = new Kernel([new TransformersSource({ modelBaseUrl: MODELS_DIR, device: "cpu" })]);
  const info = await kernel.loadModel(args.model);
  let server: Server;
  let baseUrl: string;
  try {
    ({ server, baseUrl } = await serveOpenAI(kernel, args.port, args.host));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === "EADDRINUSE" ? `port ${args.port} is in use (try --port 0)` : e.message;
    process.stderr.write(`could not listen on ${args.host}:${args.port}: ${why}\n`);
    process.exit(1);
  }
  process.stdout.write(`AIOS OpenAI-compatible server on ${baseUrl} (model ${info.model}, ${info.device})\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping\n`);
    kernel.interrupt(); // running generations end; their streams finish
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    // Streams of interrupted generations end within a token; don't wait on lingering clients.
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, 2000).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// Run when started as a program (not when a test imports the helpers above).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`serve: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
