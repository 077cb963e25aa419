/**
 * The apps the OS ships with: manifests like any other (installed on first boot, uninstallable,
 * updatable). Most are natural language: their instructions are their program; Council is a code
 * app whose window runs the multi-agent patterns (patterns.ts) through the SDK, as itself.
 */
import type { Manifest } from "./manifest.ts";

const base = { manifestVersion: 1, version: "1.0.0", author: "AIOS", kind: "nl", ui: "window" } as const;

/** Council's window: a question, a pattern, and what each agent said (it uses only the SDK's agents.* calls). */
const COUNCIL_VIEW = `<style>
  body { font: 14px system-ui, sans-serif; margin: 10px; color: #e6e1cf; background: #0f1419; }
  textarea, select, button { font: inherit; color: inherit; background: #1a2330; border: 1px solid #36506b; border-radius: 6px; padding: 6px; }
  textarea { width: 100%; box-sizing: border-box; }
  .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0; }
  .agent { border-left: 3px solid #59c2ff; padding: 2px 8px; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
  .who { color: #8a9199; font-size: 12px; }
  .final { border-left-color: #aad94c; font-weight: 600; }
  .meta, .error { color: #8a9199; } .error { color: #f07178; }
</style>
<label for="q">Question or task</label>
<textarea id="q" rows="2">What is 17 times 23?</textarea>
<div class="row">
  <select id="pattern" aria-label="Pattern">
    <option value="ensemble">Ensemble of 5 (vote)</option>
    <option value="debate">Debate, 2 rounds, with a judge</option>
    <option value="collaborate">Planner and 2 workers</option>
  </select>
  <label><input type="checkbox" id="tools" checked /> agents may use tools</label>
  <button id="ask">Ask the council</button>
</div>
<div id="status" class="meta" role="status"></div>
<div id="out" aria-label="What the agents said"></div>
<script>
  const out = document.getElementById("out");
  const status = document.getElementById("status");
  const line = (who, text, cls) => {
    const div = document.createElement("div");
    div.className = "agent" + (cls ? " " + cls : "");
    const w = document.createElement("div");
    w.className = "who";
    w.textContent = who;
    div.append(w, document.createTextNode(text == null || text === "" ? "(no answer)" : String(text)));
    out.append(div);
  };
  document.getElementById("ask").onclick = async () => {
    const question = document.getElementById("q").value.trim();
    const pattern = document.getElementById("pattern").value;
    const tools = document.getElementById("tools").checked;
    if (!question) return;
    out.textContent = "";
    status.textContent = "The agents are working…";
    status.className = "meta";
    try {
      if (pattern === "ensemble") {
        // Weights learned from the user's feedback ("That's right" below), kept in Council's memory.
        const members = [0, 0.7, 0.9, 1.1, 1.3].map((temperature, i) => ({ temperature, seed: i + 1, key: "member-" + (i + 1) }));
        const r = await aios.agents.ensemble({ question, members, tools, learn: "council", budget: { tokens: 600, wallMs: 60000 } });
        r.members.forEach((m, i) => line("Member " + (i + 1) + " (weight " + Math.round(m.weight * 100) / 100 + ")", m.answer ?? m.status));
        line("The vote: " + r.votes.map((v) => Math.round(v.weight * 100) / 100 + " for " + JSON.stringify(v.answer)).join(", "), r.answer, "final");
        const teach = document.createElement("div");
        teach.className = "row";
        teach.setAttribute("role", "group");
        teach.setAttribute("aria-label", "Which answer is right?");
        for (const v of r.votes) {
          const b = document.createElement("button");
          b.textContent = "Right: " + v.answer.slice(0, 40);
          b.onclick = async () => {
            const learned = await aios.agents.learn({ name: "council", correct: v.answer });
            status.textContent = "Learned: " + Object.entries(learned.weights).map(([k, w]) => k + " " + Math.round(w * 100) / 100).join(", ");
          };
          teach.append(b);
        }
        out.append(teach);
        status.textContent = r.tokens + " tokens, " + r.ms + " ms" + (r.stopped ? ", stopped: " + r.stopped : "");
      } else if (pattern === "debate") {
        const r = await aios.agents.debate({ question, rounds: 2, tools, budget: { tokens: 800, wallMs: 60000 } });
        r.transcript.forEach((t) => line("Round " + t.round + ", debater " + t.side, t.text));
        if (r.verdict) line("The judge: " + r.verdict.winner + " wins. " + r.verdict.reason, r.answer, "final");
        else line("No verdict (" + (r.stopped ?? "no judge") + "): the best so far", r.answer, "final");
        status.textContent = r.tokens + " tokens, " + r.ms + " ms" + (r.stopped ? ", stopped: " + r.stopped : "");
      } else {
        const r = await aios.agents.collaborate({ task: question, workers: 2, tools, budget: { tokens: 800, wallMs: 60000 } });
        line("The plan" + (r.planEdited ? " (edited by you)" : ""), r.plan.map((s, i) => i + 1 + ". " + s).join("\\n"));
        r.parts.forEach((p, i) => line("Worker " + (i + 1) + ": " + p.step, p.answer ?? p.status));
        line("The planner's answer", r.answer, "final");
        status.textContent = r.tokens + " tokens, " + r.ms + " ms" + (r.stopped ? ", stopped: " + r.stopped : "");
      }
    } catch (e) {
      status.textContent = (e && e.code ? e.code + ": " : "") + (e && e.message ? e.message : String(e));
      status.className = "error";
    }
  };
</script>`;

export const BUNDLED_APPS: Manifest[] = [
  {
    ...base,
    id: "assistant",
    name: "Assistant",
    icon: "💬",
    description: "A general assistant: chats, does math and unit conversions, tells the time, keeps notes, runs JavaScript, reads web pages you name and uses the devices you allow.",
    instructions: "You are AIOS, a helpful assistant inside a browser operating system. Use the tools you are offered when they help; answer from their results, briefly.",
    capabilities: ["calculator", "clock", "units", "files", "js", "network:*", "geolocation", "camera", "clipboard:read", "clipboard:write", "notify", "speak", "files:io"],
  },
  {
    ...base,
    id: "notes",
    name: "Notes",
    icon: "🗒️",
    description: "Writes, finds and reads your notes (stored as files in its own space).",
    instructions: "You keep the user's notes. To save a note, write it with files.write to notes/<a short topic>.md. To find notes, use files.search, then read the best one with files.read. Answer from the notes; if none matches, say so.",
    capabilities: ["files", "clock"],
    toolRules: [{ type: "max_count_per_step", tool: "files.write", max: 1 }],
  },
  {
    ...base,
    id: "researcher",
    name: "Researcher",
    icon: "🔎",
    description: "Answers questions from the files you give it, and says which files it used.",
    instructions: "You answer questions from the user's files only. Search with files.search, read the best files with files.read, then answer briefly and cite every file you used as [path]. If the files do not say, say that you could not find it in the files.",
    capabilities: ["files", "files:io"],
    memory: { maxSteps: 6 },
  },
  {
    ...base,
    id: "related-work",
    name: "Related-work writer",
    icon: "📚",
    description: "Give it references and an outline: it writes related-work paragraphs that cite them.",
    instructions:
      "You write the related-work section of a paper. The user gives references (in the message or in files: read references.md and outline.md with files.read when they exist) and an outline. Write one paragraph per outline point, citing references as [n] by their number in the list, only for claims they support. Save the result with files.write to related-work.md.",
    capabilities: ["files", "files:io"],
    memory: { maxSteps: 6, blocks: [{ label: "style", value: "Formal academic English; cite as [n]; no references that were not given.", limit: 500 }] },
  },
  {
    ...base,
    id: "where-am-i",
    name: "Where am I",
    icon: "📍",
    description: "Tells you where you are and logs the place and time in a note.",
    instructions: "When the user asks where they are, get the location with geolocation, tell it, and add a line with the time (from clock) and the place to notes/places.md with files.write.",
    capabilities: ["geolocation", "clock", "files"],
  },
  {
    ...base,
    id: "camera-reader",
    name: "Camera reader",
    icon: "📷",
    description: "Reads the text in front of the camera and keeps it as a note.",
    instructions: "When asked, read the text in front of the camera with camera.read, then save it with files.write to notes/camera-<short topic>.md and tell the user what it says.",
    capabilities: ["camera", "files"],
    toolRules: [{ type: "max_count_per_step", tool: "camera.read", max: 1 }],
  },
  {
    manifestVersion: 1,
    version: "1.0.0",
    author: "AIOS",
    kind: "code",
    ui: "window",
    id: "council",
    name: "Council",
    icon: "🏛️",
    description: "Asks several agents at once: an ensemble that votes, a debate with a judge, or a planner with workers. Shows who said what.",
    capabilities: ["calculator", "clock", "units", "files"],
    entry: "export default async function () { return 'ready'; }",
    view: COUNCIL_VIEW,
  },
];
