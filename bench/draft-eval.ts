/**
 * Natural-language programming, measured (issue 12, part 5): every held-out request in
 * tools/heldout_apps.json (wordings the embedded model was not trained on) is drafted through the
 * real kernel (Transformers.js on aios-tiny, XGrammar's schema grammar, real tools, fake-indexeddb
 * files), then each drafted app is test-run (`tryApp`) on its family's probe requests.
 *
 *   npx tsx bench/draft-eval.ts [--limit N] [--json out.json]     (AIOS_MODELS=dir: another export of aios-tiny)
 *
 * Figures: the draft's validity (the manifest validates: by construction), whether it asks for
 * exactly the capabilities the request needs, and whether the drafted app does what was asked
 * (its first tool call on each probe is the tool the request is about). Device tools have no tab
 * here: their calls fail (ENODEV), but which tool the app chose to call is what is measured.
 */
import "fake-indexeddb/auto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { validateManifest } from "../src/kernel/apps/manifest.ts";
import { DeviceHosts } from "../src/kernel/devices.ts";
import { TransformersSource } from "../src/kernel/engines/transformers-source.ts";
import { Kernel } from "../src/kernel/kernel.ts";
import { FileStore } from "../src/kernel/storage/files.ts";
import { deviceTools } from "../src/kernel/tools/devices.ts";
import { libraryTools } from "../src/kernel/tools/library.ts";

interface Held {
  request: string;
  family: string;
  /** "phrases": a held-out frame and task phrase; "frames": a held-out frame around a trained task phrase. */
  split: string;
  capabilities: string[];
  probes: { input: string; tool: string }[];
}

const args = process.argv.slice(2);
const limit = args.includes("--limit") ? Number(args[args.indexOf("--limit") + 1]) : Infinity;
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : null;
const held = (JSON.parse(readFileSync(resolve("tools/heldout_apps.json"), "utf8")) as { requests: Held[] }).requests.slice(0, limit);

const noHosts = new DeviceHosts(); // no tab: device calls fail ENODEV
const kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve(process.env.AIOS_MODELS ?? "public/models") + "/", device: "cpu" })], { tools: [...libraryTools(), ...deviceTools(noHosts)] });
kernel.mountFiles(await FileStore.open({ name: "draft-eval" }));
await kernel.loadModel("aios-tiny");
// Sensitive capabilities ask the user; no tab is open here, so those calls are refused (EPERM) after the app chose them.

type Row = Held & { valid: boolean; capsRight: boolean; got: string[]; name: string; probesPassed: number; tokens: number; draftMs: number; error?: string; calls: string[] };
const rows: Row[] = [];
const does = (r: Row) => r.capsRight && r.probesPassed === r.probes.length;
for (const item of held) {
  const row: Row = { ...item, valid: false, capsRight: false, got: [] as string[], name: "", probesPassed: 0, tokens: 0, draftMs: 0, calls: [] as string[] };
  try {
    const draft = await kernel.draftApp(item.request);
    validateManifest(draft.manifest);
    row.valid = true;
    row.name = draft.manifest.name;
    row.got = draft.manifest.capabilities;
    row.tokens = draft.tokens;
    row.draftMs = draft.ms;
    row.capsRight = [...row.got].sort().join() === [...item.capabilities].sort().join();
    for (const probe of item.probes) {
      const trial = await kernel.tryApp(draft.manifest, probe.input);
      const first = trial.toolCalls[0]?.name ?? "(none)";
      row.calls.push(first);
      if (first === probe.tool) row.probesPassed++;
    }
  } catch (error) {
    row.error = `${(error as { code?: string }).code ?? ""} ${(error as Error).message}`;
  }
  rows.push(row);
  console.log(`${does(row) ? "ok  " : "MISS"} [${item.family}/${item.split}] ${JSON.stringify(item.request)} -> ${row.name || row.error} ${JSON.stringify(row.got)} probes ${row.probesPassed}/${item.probes.length} ${row.calls.join(",")} (${row.tokens} tok, ${row.draftMs} ms)`);
}

const pct = (k: number, n: number) => `${k}/${n} (${((100 * k) / Math.max(1, n)).toFixed(1)} %)`;
const summary: Record<string, unknown> = {};
for (const split of [...new Set(rows.map((r) => r.split)), "all"]) {
  const part = split === "all" ? rows : rows.filter((r) => r.split === split);
  const n = part.length;
  const probes = part.reduce((a, r) => a + r.probesPassed, 0);
  const probeN = part.reduce((a, r) => a + r.probes.length, 0);
  const figures = { n, valid: part.filter((r) => r.valid).length, capabilities: part.filter((r) => r.capsRight).length, does: part.filter(does).length, probes, probeN };
  summary[split] = figures;
  console.log(`\nheld-out app requests, ${split === "all" ? "all" : split === "phrases" ? "held-out task phrases" : "held-out sentence frames around trained phrases"}: ${n} (${new Set(part.map((r) => r.family)).size} families)`);
  console.log(`  valid manifests:              ${pct(figures.valid, n)}`);
  console.log(`  the capabilities asked for:   ${pct(figures.capabilities, n)}`);
  console.log(`  probe requests the app served with the right tool: ${probes}/${probeN}`);
  console.log(`  does what was asked (capabilities right and every probe served): ${pct(figures.does, n)}`);
  const families = [...new Set(part.map((r) => r.family))];
  console.log("  per family: " + families.map((f) => `${f} ${part.filter((r) => r.family === f && does(r)).length}/${part.filter((r) => r.family === f).length}`).join(", "));
}
const draftMs = rows.filter((r) => r.valid).map((r) => r.draftMs).sort((a, b) => a - b);
console.log(`\ndraft time median ${draftMs[Math.floor(draftMs.length / 2)] ?? 0} ms, ~${Math.round(rows.reduce((a, r) => a + r.tokens, 0) / Math.max(1, draftMs.length))} tokens (onnxruntime-node, CPU)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, rows }, null, 1));
process.exit(0);
