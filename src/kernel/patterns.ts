/**
 * Multi-agent patterns (issue 13, part 2), starting with the ensemble: N agents answer one question
 * in parallel — different instructions, temperatures, weights — and a combiner merges their answers
 * by weighted vote (Luo et al. 2025's ensemble integration). Each member is a child process of the
 * caller, so the scheduler decodes them together (batched) and their tokens are charged to the
 * caller's tree.
 *
 * Invariants:
 * - Budgets hold: total completion tokens (split across members as their max_tokens) and wall
 *   time; past the wall time the members still running are killed and the vote is over the answers
 *   that came in ("stopped": "wall time"), never an error when at least one answered.
 * - The members end with the call (killed if still running); nothing is left behind.
 */
import type { ChatCompletion } from "./chat.ts";
import { KernelError } from "./errors.ts";
import { Type, type Static } from "./schema.ts";

export const MAX_MEMBERS = 8;

export const EnsembleSchema = Type.Object(
  {
    question: Type.String({ minLength: 1, maxLength: 4000 }),
    members: Type.Array(
      Type.Object(
        {
          instructions: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: "The member's system prompt." })),
          temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
          seed: Type.Optional(Type.Integer({ minimum: 0 })),
          weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: "Its vote's weight (default 1)." })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_MEMBERS },
    ),
    budget: Type.Optional(
      Type.Object(
        {
          tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "Completion tokens for all members together (default 64 each)." })),
          wallMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: "Wall time; members still running then are stopped." })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type EnsembleArgs = Static<typeof EnsembleSchema>;

export interface EnsembleMember {
  pid: number;
  answer: string | null;
  weight: number;
  tokens: number;
  ms: number;
  status: "answered" | "stopped" | "failed";
  error?: string;
}

export interface EnsembleResult {
  /** The winning answer (as the first member that gave it wrote it), null if nobody answered. */
  answer: string | null;
  /** Each distinct answer (normalized) with its total weight and its members, best first. */
  votes: Array<{ answer: string; weight: number; members: number[] }>;
  members: EnsembleMember[];
  tokens: number;
  ms: number;
  /** Why it stopped early, if it did. */
  stopped?: "wall time";
}

/** What the ensemble needs of the kernel (kernel.ts passes itself). */
export interface PatternPort {
  spawnChild(parentPid: number, name: string): number;
  chat(pid: number, request: Record<string, unknown>): Promise<ChatCompletion>;
  kill(pid: number, callerPid: number): void;
}

/** How answers are compared in the vote: case, spacing and final punctuation do not count. */
export function normalizeAnswer(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, " ").replace(/[.!?…]+$/u, "").trim();
}

/** Weighted vote: the answer with the most weight; a tie goes to the one first given. */
export function vote(members: Pick<EnsembleMember, "pid" | "answer" | "weight">[]): EnsembleResult["votes"] {
  const tally = new Map<string, { answer: string; weight: number; members: number[]; first: number }>();
  members.forEach((m, i) => {
    if (m.answer === null) return;
    const key = normalizeAnswer(m.answer);
    if (!key) return;
    const t = tally.get(key) ?? { answer: m.answer.trim(), weight: 0, members: [], first: i };
    t.weight += m.weight;
    t.members.push(m.pid);
    tally.set(key, t);
  });
  return [...tally.values()].sort((a, b) => b.weight - a.weight || a.first - b.first).map(({ first: _f, ...v }) => v);
}

export async function ensemble(port: PatternPort, callerPid: number, args: EnsembleArgs): Promise<EnsembleResult> {
  const started = performance.now();
  const perMember = Math.max(1, Math.floor((args.budget?.tokens ?? 64 * args.members.length) / args.members.length));
  const pids = args.members.map((_, i) => port.spawnChild(callerPid, `ensemble-${i + 1}`));
  const members: EnsembleMember[] = pids.map((pid, i) => ({ pid, answer: null, weight: args.members[i]!.weight ?? 1, tokens: 0, ms: 0, status: "stopped" }));
  let stopped: EnsembleResult["stopped"];
  const runs = args.members.map(async (m, i) => {
    const t = performance.now();
    try {
      const messages = [...(m.instructions ? [{ role: "system", content: m.instructions }] : []), { role: "user", content: args.question }];
      const completion = await port.chat(pids[i]!, { messages, max_tokens: perMember, temperature: m.temperature ?? 0, ...(m.seed !== undefined ? { seed: m.seed } : {}) });
      members[i] = { ...members[i]!, answer: completion.choices[0]?.message.content ?? "", tokens: completion.usage.completion_tokens, ms: Math.round(performance.now() - t), status: "answered" };
    } catch (error) {
      const e = error as KernelError;
      const cut = stopped !== undefined && e.code === "EKILLED";
      members[i] = { ...members[i]!, ms: Math.round(performance.now() - t), status: cut ? "stopped" : "failed", ...(cut ? {} : { error: `${e.code ?? "EIO"}: ${e.message}` }) };
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wall = args.budget?.wallMs;
  const all = Promise.all(runs);
  try {
    if (wall === undefined) await all;
    else {
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), wall)))]);
      if (timedOut) {
        stopped = "wall time";
        for (const [i, pid] of pids.entries()) if (members[i]!.status !== "answered") port.kill(pid, callerPid);
        await all;
      }
    }
  } finally {
    clearTimeout(timer);
    for (const pid of pids) {
      try {
        port.kill(pid, callerPid);
      } catch {
        // ended already
      }
    }
  }
  const votes = vote(members);
  if (votes.length === 0 && !stopped && members.every((m) => m.status === "failed")) throw new KernelError("EIO", `every member of the ensemble failed: ${members[0]!.error}`);
  return { answer: votes[0]?.answer ?? null, votes, members, tokens: members.reduce((a, m) => a + m.tokens, 0), ms: Math.round(performance.now() - started), ...(stopped ? { stopped } : {}) };
}
