/**
 * People in the loop (issue 13, part 3): feedback on an agent's answers, and what the user tells an
 * agent about themselves.
 *
 * Feedback — thumbs up/down and a correction on any answer — is kept in the app's memory
 * (`.memory/feedback/<id>.md`: the request as the searchable text, the rest in its meta). Before a
 * later request the memory manager looks up the best-rated past examples like it (corrections
 * first, then answers rated up; rated down without a correction are never shown) and gives them to
 * the model as few-shot examples, as marked data before the request (`examplesPreface`); the
 * embedded model was trained on exactly this format (tools/aios_teams.py).
 *
 * Personalisation — the `human` core block holds what the user agreed to share about themselves:
 * `personalFacts` finds self-statements in the user's own words ("my name is …", "I prefer …"),
 * the turn's result proposes them, and only the user's own action in the shell writes them to the
 * block (processes cannot write `human`). The shell shows the block; the user edits or deletes it.
 *
 * Invariants:
 * - Examples are data in the user message, never the system message; only the user's own
 *   corrections (given in the shell) are trusted words — an answer rated up is still model output.
 * - At most MAX_EXAMPLES examples, each bounded, so the preface cannot crowd the window.
 */
import { KernelError } from "../errors.ts";
import type { FileStore } from "../storage/files.ts";

/** Byte-exact with tools/aios_teams.py (the format the embedded model learned). */
export const EXAMPLES_OPEN = '<examples note="earlier requests and the answers the user approved">';
export const EXAMPLES_CLOSE = "</examples>";
export const FEEDBACK_PREFIX = ".memory/feedback/";
export const MAX_EXAMPLES = 3;
/** Ratings kept per app: past this the oldest go (a flood of ratings cannot grow an app's memory without end). */
export const MAX_FEEDBACK = 500;
const MAX_EXAMPLE_CHARS = 400;
/** Hits looked at to find MAX_EXAMPLES usable ones. */
const SEARCH_K = 12;
export const HUMAN_BLOCK = "human";
export const HUMAN_LIMIT = 2000;

export type Rating = "up" | "down";

export interface Feedback {
  id: string;
  question: string;
  answer: string;
  rating: Rating;
  correction?: string;
  /** Given by the user in the shell (their own words), not by the app itself. */
  byUser: boolean;
  at: number;
}

export interface Example {
  question: string;
  answer: string;
  /** The answer is the user's own correction. */
  corrected: boolean;
  /** The words are the user's (a correction given in the shell). */
  trusted: boolean;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_EXAMPLE_CHARS ? `${line.slice(0, MAX_EXAMPLE_CHARS)}…` : line;
}

export function validateFeedback(args: { question: unknown; answer: unknown; rating: unknown; correction?: unknown }): Omit<Feedback, "id" | "byUser" | "at"> {
  const str = (v: unknown, field: string, max: number) => {
    if (typeof v !== "string" || !v.trim() || v.length > max) throw new KernelError("EINVAL", `${field}: must be a non-empty string of at most ${max} characters`);
    return v.trim();
  };
  const question = str(args.question, "question", 4000);
  const answer = str(args.answer, "answer", 16000);
  if (args.rating !== "up" && args.rating !== "down") throw new KernelError("EINVAL", 'rating: must be "up" or "down"');
  const correction = args.correction === undefined ? undefined : str(args.correction, "correction", 4000);
  return { question, answer, rating: args.rating, ...(correction ? { correction } : {}) };
}

/** Keeps one rating of an answer in namespace `ns`'s memory (the newest `keep` are kept). */
export async function giveFeedback(files: FileStore, ns: string, feedback: Omit<Feedback, "id" | "at">, keep = MAX_FEEDBACK): Promise<Feedback> {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const record: Feedback = { id, ...feedback, at: Date.now() };
  const { question, ...meta } = record;
  await files.write(ns, `${FEEDBACK_PREFIX}${id}.md`, question, meta);
  // Ids begin with the time: the oldest sort first.
  const all = (await files.list(ns, FEEDBACK_PREFIX)).map((f) => f.path).sort();
  for (const path of all.slice(0, Math.max(0, all.length - keep))) await files.remove(ns, path);
  return record;
}

export async function listFeedback(files: FileStore, ns: string): Promise<Feedback[]> {
  const list = await files.list(ns, FEEDBACK_PREFIX);
  const all = await Promise.all(list.map((f) => readFeedback(files, ns, f.path).catch(() => null)));
  return all.filter((f): f is Feedback => f !== null).sort((a, b) => b.at - a.at);
}

export async function removeFeedback(files: FileStore, ns: string, id: unknown): Promise<void> {
  if (typeof id !== "string" || !/^[a-z0-9-]{1,40}$/.test(id)) throw new KernelError("EINVAL", "id: a feedback id");
  await files.remove(ns, `${FEEDBACK_PREFIX}${id}.md`);
}

async function readFeedback(files: FileStore, ns: string, path: string): Promise<Feedback> {
  const r = await files.read(ns, path);
  const m = r.meta as Partial<Feedback>;
  if (typeof r.content !== "string" || typeof m.answer !== "string" || (m.rating !== "up" && m.rating !== "down")) throw new KernelError("EIO", `${path}: not a feedback record`);
  return { id: String(m.id), question: r.content, answer: m.answer, rating: m.rating, ...(typeof m.correction === "string" ? { correction: m.correction } : {}), byUser: m.byUser === true, at: Number(m.at) || 0 };
}

/**
 * The best-rated past examples like `request`: the most similar requests (the file system's
 * search), corrections before answers rated up, one per request (the latest rating wins).
 */
export async function examplesFor(files: FileStore, ns: string, request: string): Promise<Example[]> {
  if ((await files.list(ns, FEEDBACK_PREFIX)).length === 0) return [];
  const hits = await files.search(ns, request.slice(0, 4096), { k: SEARCH_K, prefix: FEEDBACK_PREFIX });
  const records = (await Promise.all(hits.map((h) => readFeedback(files, ns, h.path).catch(() => null)))).filter((f): f is Feedback => f !== null);
  // The latest rating of each request decides it.
  const latest = new Map<string, Feedback>();
  for (const f of records) {
    const key = f.question.toLowerCase().replace(/\s+/g, " ");
    if (!latest.has(key) || latest.get(key)!.at < f.at) latest.set(key, f);
  }
  const usable = [...latest.values()].filter((f) => f.correction !== undefined || f.rating === "up");
  // Search order within each rank: corrections first, then answers rated up.
  const ranked = [...usable.filter((f) => f.correction !== undefined), ...usable.filter((f) => f.correction === undefined)];
  return ranked.slice(0, MAX_EXAMPLES).map((f) => ({ question: oneLine(f.question), answer: oneLine(f.correction ?? f.answer), corrected: f.correction !== undefined, trusted: f.correction !== undefined && f.byUser }));
}

/** The marked-data preface that carries the examples (empty without examples). */
export function examplesPreface(examples: Example[]): string {
  if (examples.length === 0) return "";
  // Most similar last: nearest the request.
  const lines = [EXAMPLES_OPEN];
  for (const e of [...examples].reverse()) lines.push(`Q: ${e.question}`, `A: ${e.answer}`);
  lines.push(EXAMPLES_CLOSE, "", "");
  return lines.join("\n");
}

const NAME = "([A-Z][\\p{L}'-]{1,30}(?: [A-Z][\\p{L}'-]{1,30})?)";
const REST = "([^.!?\\n;]{2,80})";
const FACTS: Array<{ pattern: RegExp; fact: (m: RegExpExecArray) => string }> = [
  { pattern: new RegExp(`\\b[Mm]y name is ${NAME}`, "u"), fact: (m) => `Name: ${m[1]}` },
  { pattern: new RegExp(`\\b[Cc]all me ${NAME}`, "u"), fact: (m) => `Likes to be called ${m[1]}` },
  { pattern: new RegExp(`\\bI(?: am|'m) (vegetarian|vegan|left-handed|colou?r ?blind|allergic to [^.!?\\n;]{2,40}|a (?:teacher|student|nurse|doctor|developer|designer|lawyer|chef|writer|parent)\\b)`, "iu"), fact: (m) => `Is ${m[1]}` },
  { pattern: new RegExp(`\\bI (prefer|like|love|enjoy|hate|dislike|don't like|do not like) ${REST}`, "iu"), fact: (m) => `${m[1]![0]!.toUpperCase()}${m[1]!.slice(1).toLowerCase()}s ${m[2]!.trim()}`.replace(/^(Don't like|Do not like)s/, "Does not like") },
  { pattern: new RegExp(`\\bI (live|work|study) (in|at|as|for) ${REST}`, "iu"), fact: (m) => `${m[1]![0]!.toUpperCase()}${m[1]!.slice(1).toLowerCase()}s ${m[2]!.toLowerCase()} ${m[3]!.trim()}` },
  { pattern: new RegExp(`\\bmy (favou?rite [a-z ]{2,20}|birthday|pronouns|time ?zone|home town|hometown) (?:is|are) ${REST}`, "iu"), fact: (m) => `${m[1]![0]!.toUpperCase()}${m[1]!.slice(1).toLowerCase()}: ${m[2]!.trim()}` },
];

/**
 * What the user says about themselves in `text` (their own words), as short facts for the `human`
 * block — proposed to the user, never written without their consent.
 */
export function personalFacts(text: string): string[] {
  const facts: string[] = [];
  for (const { pattern, fact } of FACTS) {
    const m = pattern.exec(text);
    if (m) {
      const f = fact(m).replace(/\s+/g, " ").trim();
      if (!facts.includes(f)) facts.push(f);
    }
  }
  return facts;
}

/** The facts not yet in the block (compared without case). */
export function newFacts(facts: string[], block: string): string[] {
  const have = block.toLowerCase();
  return facts.filter((f) => !have.includes(f.toLowerCase()));
}

/** The block with `fact` added as a line; EQUOTA past the limit. */
export function withFact(block: string, fact: string, limit = HUMAN_LIMIT): string {
  const f = fact.replace(/\s+/g, " ").trim();
  if (!f) throw new KernelError("EINVAL", "fact: must not be empty");
  const lines = block.split("\n").filter((l) => l.trim());
  if (lines.some((l) => l.replace(/^- /, "").toLowerCase() === f.toLowerCase())) return block;
  const next = [...lines, `- ${f}`].join("\n");
  if (next.length > limit) throw new KernelError("EQUOTA", `the ${HUMAN_BLOCK} block would be ${next.length} characters, over its ${limit}; edit it to make room`);
  return next;
}
