/**
 * The scripted planner: a "model" that always obeys injected instructions, served as an
 * OpenAI-compatible server on loopback so the kernel drives it as any remote engine (its own
 * remote path: streamed chunks, tools, tool_calls). It tests the kernel's guarantee whatever the
 * model does — the worst model there can be, not a mock of one: the kernel under test is real.
 *
 * For each request it reads the conversation the kernel sent: the user's task (found by its
 * prompt), the calls already made in this turn and their results. Its plan: the task's calls in
 * order; and as soon as a result holds an injection's trigger, that injection's calls first.
 * With no call left (or no tools offered) it answers in words, quoting what the task's calls
 * returned. Names go over the wire as OpenAI needs them (`files.write` → `files_write`).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface PlannedCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** What a plan step can use: everything the tool results of this turn said, and the call's context. */
export interface PlanContext {
  /** Each result text of this turn so far, in order. */
  results: string[];
}

/**
 * A call; several at once (one reply asking for all of them); or a call whose arguments come from
 * what earlier calls returned (resolved when it is made).
 */
export type PlanStep = PlannedCall | PlannedCall[] | ((ctx: PlanContext) => PlannedCall);

export interface PlannerTask {
  prompt: string;
  calls: PlanStep[];
}

export interface PlannerGoal {
  /** Normalised words (upper case, letters and digits only) whose presence in a result triggers it. */
  trigger: string;
  calls: PlanStep[];
}

interface WireMessage {
  role: string;
  content?: string | null;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
}

export const wireName = (name: string) => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
export const normalise = (text: string) => text.toUpperCase().replace(/[^A-Z0-9]+/g, "");

export interface Planner {
  baseUrl: string;
  /** The task and goals the next conversations follow (the suite sets them per case). */
  use(tasks: PlannerTask[], goals: PlannerGoal[]): void;
  /** Requests answered (chat completions, token counts included). */
  requests: number;
  close(): Promise<void>;
}

/** The next calls of the plan (one reply), or null to answer in words. */
export function nextCalls(messages: WireMessage[], tasks: PlannerTask[], goals: PlannerGoal[]): PlannedCall[] | null {
  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  const user = String(messages[lastUser]?.content ?? "");
  const task = tasks.find((t) => user.includes(t.prompt));
  if (!task) return null;
  // The steps already made (assistant replies with calls), each with the results seen before it.
  const made: string[][] = [];
  const results: string[] = [];
  for (const m of messages.slice(lastUser + 1)) {
    if (m.role === "tool") results.push(String(m.content ?? ""));
    else if (m.tool_calls?.length) made.push([...results]);
  }
  // Replay the plan over them: after each result, the goals it triggered jump the queue.
  const triggered = new Set<PlannerGoal>();
  const queue: PlanStep[] = [];
  let taskStep = 0;
  for (let k = 0; ; k++) {
    const ctx = { results: made[k] ?? results };
    for (const goal of goals) {
      if (!triggered.has(goal) && ctx.results.some((r) => normalise(r).includes(goal.trigger))) {
        triggered.add(goal);
        queue.push(...goal.calls);
      }
    }
    const step = queue.shift() ?? task.calls[taskStep++];
    if (!step) return null;
    if (k >= made.length) return typeof step === "function" ? [step(ctx)] : Array.isArray(step) ? step : [step];
  }
}

function answerText(messages: WireMessage[]): string {
  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  const results = messages.slice(lastUser + 1).filter((m) => m.role === "tool").map((m) => String(m.content ?? ""));
  return results.length ? `Here is what I found: ${results.map((r) => r.slice(0, 160)).join(" | ")}` : "I have nothing to add.";
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

export async function startPlanner(): Promise<Planner> {
  let tasks: PlannerTask[] = [];
  let goals: PlannerGoal[] = [];
  let calls = 0;
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type, authorization", "access-control-allow-methods": "GET, POST, OPTIONS" };
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    if (req.method === "GET" && req.url === "/v1/models") {
      return void res.writeHead(200, { "content-type": "application/json", ...cors }).end(JSON.stringify({ object: "list", data: [{ id: "obeying-planner", object: "model", owned_by: "aios-tests" }] }));
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return void res.writeHead(404, cors).end();
    requests++;
    const request = (await body(req)) as { messages: WireMessage[]; max_tokens?: number; tools?: Array<{ function: { name: string } }> };
    const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
    const offered = new Set((request.tools ?? []).map((t) => t.function.name));
    // A token count (max_tokens 1) or a last step without tools: words only.
    const planned = request.max_tokens === 1 || offered.size === 0 ? null : nextCalls(request.messages, tasks, goals);
    const id = `chatcmpl-${requests}`;
    const chunk = (delta: object, finish: string | null) => ({ id, object: "chat.completion.chunk", created: 0, model: "obeying-planner", choices: [{ index: 0, delta, finish_reason: finish }] });
    const events: object[] = planned
      ? [chunk({ role: "assistant", tool_calls: planned.map((call, index) => ({ index, id: `call_${++calls}`, type: "function", function: { name: wireName(call.name), arguments: JSON.stringify(call.arguments) } })) }, null), chunk({}, "tool_calls")]
      : [chunk({ role: "assistant", content: request.max_tokens === 1 ? "." : answerText(request.messages) }, null), chunk({}, request.max_tokens === 1 ? "length" : "stop")];
    events.push({ id, object: "chat.completion.chunk", created: 0, model: "obeying-planner", choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: 8, total_tokens: promptTokens + 8 } });
    res.writeHead(200, { "content-type": "text/event-stream", ...cors });
    res.end(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n");
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    use(t, g) {
      tasks = t;
      goals = g;
    },
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}
