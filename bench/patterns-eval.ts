/**
 * Agents together, measured (issue 13): a task set with known answers — arithmetic (direct and
 * word problems), facts from the user's files, classification of notes — answered by one agent, an
 * ensemble of 5, a debate (2 rounds + judge) and a planner with 2 workers, all through the real
 * kernel (Transformers.js on aios-tiny, onnxruntime-node, the real tools, fake-indexeddb files).
 * Then feedback: a fixed set of notes to label, before and after the user corrects half of them
 * (the app's best-rated examples become its few-shot examples).
 *
 *   npx tsx bench/patterns-eval.ts [--only arithmetic|facts|notes] [--json out.json]   (AIOS_MODELS=dir: another export)
 *
 * An answer is right when it gives the expected answer (patterns.ts `gives`: equal once normalized,
 * or containing it as whole words). Every agent may use tools (calculator, files) as the caller.
 */
import "fake-indexeddb/auto";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { TransformersSource } from "../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../src/kernel/kernel.ts";
import { gives } from "../src/kernel/patterns.ts";
import { FileStore } from "../src/kernel/storage/files.ts";
import { libraryTools } from "../src/kernel/tools/library.ts";

interface Task {
  kind: "arithmetic" | "facts" | "notes";
  question: string;
  answer: string;
}

const FILES: Record<string, string> = {
  "notes/wifi.md": "The wifi password is tulip42.",
  "notes/locker.md": "My gym locker code is 3817.",
  "notes/dentist.md": "The dentist is Dr. Okafor on Elm Street.",
  "notes/flight.md": "My flight to Lisbon leaves at 07:45 from gate B12.",
  "notes/manager.md": "My manager is Priya Raman.",
  "notes/bike.md": "The bike lock combination is 9051.",
  "notes/plumber.md": "The plumber's number is 555-0142.",
  "notes/book.md": "Book club reads The Left Hand of Darkness in March.",
  "notes/parking.md": "I parked on level 3, row F.",
  "notes/vet.md": "The cat's vet appointment is on Thursday at 16:00.",
};

const TASKS: Task[] = [
  { kind: "arithmetic", question: "What is 17 times 23?", answer: "391" },
  { kind: "arithmetic", question: "What is 48 plus 27?", answer: "75" },
  { kind: "arithmetic", question: "What is 144 divided by 12?", answer: "12" },
  { kind: "arithmetic", question: "Tom has 3 apples and buys 5 more. How many apples does he have now?", answer: "8" },
  { kind: "arithmetic", question: "A box holds 12 eggs. How many eggs are in 4 boxes?", answer: "48" },
  { kind: "arithmetic", question: "Sara had 40 stickers and gave 15 to her brother. How many stickers does she have left?", answer: "25" },
  { kind: "arithmetic", question: "Pencils cost 3 dollars each. How much do 7 pencils cost?", answer: "21" },
  { kind: "arithmetic", question: "36 cookies are shared equally among 4 children. How many cookies does each child get?", answer: "9" },
  { kind: "arithmetic", question: "A train has 8 cars with 52 seats in each car. How many seats are there?", answer: "416" },
  { kind: "arithmetic", question: "There were 120 birds on a field and 45 flew away. How many birds are still there?", answer: "75" },
  { kind: "facts", question: "Search my notes for the wifi password.", answer: "tulip42" },
  { kind: "facts", question: "What is my locker code? Look in my notes.", answer: "3817" },
  { kind: "facts", question: "Find my notes about the dentist.", answer: "Okafor" },
  { kind: "facts", question: "Search my files for flight.", answer: "B12" },
  { kind: "facts", question: "Who is my manager? Check my notes.", answer: "Priya Raman" },
  { kind: "facts", question: "Find my notes about the bike lock.", answer: "9051" },
  { kind: "facts", question: "Search my notes for plumber.", answer: "555-0142" },
  { kind: "facts", question: "What does my book club read? Search my notes.", answer: "The Left Hand of Darkness" },
  { kind: "facts", question: "Find my notes about parking.", answer: "level 3" },
  { kind: "facts", question: "Search my notes for the vet.", answer: "Thursday" },
  { kind: "notes", question: "Is this note about work, home or health? Note: dentist appointment on Monday", answer: "health" },
  { kind: "notes", question: "Is this note about work, home or health? Note: quarterly report due Friday", answer: "work" },
  { kind: "notes", question: "Is this note about work, home or health? Note: fix the kitchen tap", answer: "home" },
  { kind: "notes", question: "Is this note about work, home or health? Note: book a flu shot", answer: "health" },
  { kind: "notes", question: "Is this note about work, home or health? Note: prepare slides for the client meeting", answer: "work" },
  { kind: "notes", question: "Is this note about work, home or health? Note: paint the garden fence", answer: "home" },
  { kind: "notes", question: "Is this note about work, home or health? Note: refill my blood pressure pills", answer: "health" },
  { kind: "notes", question: "Is this note about work, home or health? Note: email the team about the deadline", answer: "work" },
  { kind: "notes", question: "Is this note about work, home or health? Note: clean the gutters", answer: "home" },
  { kind: "notes", question: "Is this note about work, home or health? Note: physiotherapy for my knee", answer: "health" },
];

/** Feedback's fixed set: pairs of notes sharing a word; the user corrects the first of each pair. */
const LABEL = (note: string) => `Label this note: ${note}`;
const FEEDBACK_SET: Array<{ note: string; label: string; corrected: boolean }> = [
  ["dentist appointment on Monday", "health", "dentist bill to pay"],
  ["quarterly report due Friday", "work", "quarterly budget review"],
  ["fix the kitchen tap", "home", "new kitchen curtains"],
  ["buy milk and eggs", "shopping", "buy bread and milk"],
  ["flight to Lisbon on Sunday", "travel", "hotel near the flight gate"],
  ["call grandma for her birthday", "family", "birthday cake for grandma"],
].flatMap(([a, label, b]) => [
  { note: a!, label: label!, corrected: true },
  { note: b!, label: label!, corrected: false },
]);

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : null;

const kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve(process.env.AIOS_MODELS ?? "public/models") + "/", device: "cpu" })], { tools: libraryTools() });
const files = await FileStore.open({ name: `patterns-eval-${Date.now()}` });
kernel.mountFiles(files);
await kernel.loadModel("aios-tiny");
const CAPS = ["calculator", "files"];
const agent = kernel.spawn({ name: "evaluator", capabilities: CAPS });
for (const [path, text] of Object.entries(FILES)) await files.write("evaluator", path, text);

type Mode = "single" | "ensemble-5" | "debate" | "collaborate";
const MODES: Mode[] = ["single", "ensemble-5", "debate", "collaborate"];
interface Row {
  task: Task;
  mode: Mode;
  answer: string | null;
  right: boolean;
  tokens: number;
  ms: number;
}

async function solve(task: Task, mode: Mode): Promise<Omit<Row, "task" | "mode" | "right">> {
  const t = performance.now();
  if (mode === "single") {
    const r = await kernel.ensemble(agent.pid, { question: task.question, members: [{}], tools: true });
    return { answer: r.answer, tokens: r.tokens, ms: Math.round(performance.now() - t) };
  }
  if (mode === "ensemble-5") {
    const members = [0, 0.7, 0.9, 1.1, 1.3].map((temperature, i) => ({ temperature, seed: i + 1 }));
    const r = await kernel.ensemble(agent.pid, { question: task.question, members, tools: true });
    return { answer: r.answer, tokens: r.tokens, ms: Math.round(performance.now() - t) };
  }
  if (mode === "debate") {
    const r = await kernel.debate(agent.pid, { question: task.question, rounds: 2, tools: true });
    return { answer: r.answer, tokens: r.tokens, ms: Math.round(performance.now() - t) };
  }
  const r = await kernel.collaborate(agent.pid, { task: task.question, workers: 2, tools: true });
  return { answer: r.answer, tokens: r.tokens, ms: Math.round(performance.now() - t) };
}

const rows: Row[] = [];
for (const task of TASKS.filter((t) => !only || t.kind === only)) {
  for (const mode of MODES) {
    let row: Row;
    try {
      const r = await solve(task, mode);
      row = { task, mode, ...r, right: gives(r.answer, task.answer) };
    } catch (error) {
      row = { task, mode, answer: `${(error as { code?: string }).code ?? "EIO"}: ${(error as Error).message}`, right: false, tokens: 0, ms: 0 };
    }
    rows.push(row);
    console.log(`${row.right ? "ok  " : "MISS"} [${task.kind}/${mode}] ${JSON.stringify(task.question)} -> ${JSON.stringify(row.answer?.slice(0, 100))} (${row.tokens} tok, ${row.ms} ms)`);
  }
}

const kinds = [...new Set(rows.map((r) => r.task.kind))];
console.log("\naccuracy (right / tasks), completion tokens per task, time per task — aios-tiny, onnxruntime-node, this machine");
console.log(`| pattern | ${kinds.join(" | ")} | all | tokens/task | ms/task |`);
console.log(`|---|${kinds.map(() => "---").join("|")}|---|---|---|`);
const table: Record<string, unknown> = {};
for (const mode of MODES) {
  const mine = rows.filter((r) => r.mode === mode);
  const cell = (list: Row[]) => `${list.filter((r) => r.right).length}/${list.length}`;
  const tokens = Math.round(mine.reduce((a, r) => a + r.tokens, 0) / Math.max(1, mine.length));
  const ms = Math.round(mine.reduce((a, r) => a + r.ms, 0) / Math.max(1, mine.length));
  table[mode] = { ...Object.fromEntries(kinds.map((k) => [k, cell(mine.filter((r) => r.task.kind === k))])), all: cell(mine), tokens, ms };
  console.log(`| ${mode} | ${kinds.map((k) => cell(mine.filter((r) => r.task.kind === k))).join(" | ")} | ${cell(mine)} | ${tokens} | ${ms} |`);
}

// Feedback: a "Sorter" app labels notes; the user corrects the first note of each pair; the app
// sees its best-rated examples. Its conversation is cleared before each note, so only the examples carry over.
const sorter = kernel.spawn({ name: "sorter", memory: { system: "You are Sorter. You label the user's notes." } });
async function label(note: string): Promise<string> {
  await files.remove("sorter", ".memory/conversation.json").catch(() => undefined);
  return (await kernel.memory.chat(sorter.pid, LABEL(note))).content;
}
const before: boolean[] = [];
for (const item of FEEDBACK_SET) before.push(gives(await label(item.note), item.label));
for (const item of FEEDBACK_SET.filter((i) => i.corrected)) {
  const shown = await label(item.note);
  const { files: fs } = kernel.filesOf(kernel.shellPid);
  const { giveFeedback } = await import("../src/kernel/memory/feedback.ts");
  await giveFeedback(fs, "sorter", { question: LABEL(item.note), answer: shown || "(no answer)", rating: "down", correction: item.label, byUser: true });
}
const after: Array<{ note: string; answer: string; right: boolean; corrected: boolean }> = [];
for (const item of FEEDBACK_SET) {
  const answer = await label(item.note);
  after.push({ note: item.note, answer, right: gives(answer, item.label), corrected: item.corrected });
  console.log(`${gives(answer, item.label) ? "ok  " : "MISS"} [feedback/${item.corrected ? "corrected" : "similar"}] ${JSON.stringify(item.note)} -> ${JSON.stringify(answer)} (want ${item.label})`);
}
const count = (list: boolean[]) => `${list.filter(Boolean).length}/${list.length}`;
const feedback = {
  before: { corrected: count(before.filter((_, i) => FEEDBACK_SET[i]!.corrected)), similar: count(before.filter((_, i) => !FEEDBACK_SET[i]!.corrected)) },
  after: { corrected: count(after.filter((a) => a.corrected).map((a) => a.right)), similar: count(after.filter((a) => !a.corrected).map((a) => a.right)) },
};
console.log(`\nfeedback (labels the user chose; 6 corrected, 6 similar notes never rated): before ${feedback.before.corrected} corrected, ${feedback.before.similar} similar; after ${feedback.after.corrected} corrected, ${feedback.after.similar} similar`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ table, feedback, rows, after }, null, 1));
process.exit(0);
