// Agents together on the real stack (issue 13), in Chromium on the embedded model: a planner and
// two workers whose plan the user rewrites from the System monitor while the team is paused, a
// debate with a judge, and people in the loop in an app's window — a correction that the app
// then gives its model as an example, and what it may remember about the user, with their consent.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("a planner and two workers: paused, the user rewrites the plan in the System monitor; the workers use the calculator; scratch files shared", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: "System monitor" }).click();
    const monitor = page.getByRole("dialog", { name: "System monitor" });
    await monitor.waitFor();
    // The team starts paused-to-the-next-step: it runs until its planner proposes a plan, and stops there.
    await page.evaluate(async () => {
      const team = await window.aios.spawn({ name: "team", capabilities: ["calculator"] });
      await window.aios.kernel.pause(team.pid);
      await window.aios.kernel.resume(team.pid, { step: true });
      (window as unknown as { run: Promise<unknown> }).run = team.agents.collaborate({ task: "What is 17 times 23, and what is 12 plus 30?", workers: 2, tools: true, keepScratch: true });
    });
    const step = monitor.getByRole("region", { name: "Next step of planner" });
    await step.waitFor({ timeout: 60_000 });
    expect(await step.getByRole("heading").textContent()).toMatch(/planner \(pid \d+\) is paused before its next step: its plan/);
    await step.getByRole("textbox", { name: "Next step of planner" }).fill("What is 17 times 23?\nWhat is 12 plus 30?");
    await shoot(page, "steer-plan");
    // On a phone the monitor's row actions and the step editor fit: nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await monitor.getByRole("button", { name: "Kill planner" }).boundingBox().then((b) => b!.x + b!.width)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
    await step.getByRole("button", { name: "Apply and resume" }).click();
    const out = await page.evaluate(async () => {
      const r = (await (window as unknown as { run: Promise<unknown> }).run) as Awaited<ReturnType<typeof window.aios.agents.collaborate>>;
      const files = await window.aios.storage.list(r.scratch!, { namespace: "team" });
      const ps = await window.aios.kernel.ps();
      return { r, files, left: ps.filter((p) => p.app === "team" && p.state !== "done").map((p) => p.name) };
    });
    expect(out.r.planEdited).toBe(true);
    expect(out.r.plan).toEqual(["What is 17 times 23?", "What is 12 plus 30?"]);
    // Three agents: the planner and one worker per step, decoded side by side.
    expect(new Set([out.r.planner.pid, ...out.r.parts.map((p) => p.pid)]).size).toBe(3);
    expect(out.r.parts.map((p) => p.status)).toEqual(["answered", "answered"]);
    expect(out.r.parts[0]!.answer).toMatch(/391/);
    expect(out.r.parts[1]!.answer).toMatch(/42/);
    expect(out.files.map((f) => f.path.slice(out.r.scratch!.length)).sort()).toEqual(["answer.md", "part-1.md", "part-2.md", "plan.md"]);
    expect(out.left).toEqual(["team"]);
    // The System monitor draws the team's hand-offs as a sequence diagram: the planner asks, the workers answer.
    const diagram = monitor.getByRole("img", { name: "Sequence diagram of messages between agents" });
    await expect.poll(() => diagram.textContent(), { timeout: 5_000 }).toMatch(/team\/planner[\s\S]*team\/worker-1[\s\S]*team\/worker-2/);
    // team → planner, planner → each worker, each worker → planner, planner → team.
    await expect.poll(() => diagram.locator("[data-performative]").allTextContents(), { timeout: 5_000 }).toEqual(["request", "request", "request", "inform", "inform", "inform"]);
    await diagram.scrollIntoViewIfNeeded();
    await shoot(page, "team-sequence");
    console.log(`collaboration: ${out.r.ms} ms, ${out.r.tokens} tokens; parts ${JSON.stringify(out.r.parts.map((p) => p.answer))}; answer ${JSON.stringify(out.r.answer)}`);
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 180_000);

it("a debate: two debaters for two rounds, decoded together, and a judge's verdict", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const moderator = await window.aios.spawn({ name: "moderator" });
      const helpful = { instructions: "You are a helpful assistant." };
      const r = await moderator.agents.debate({ question: "What is the capital of France?", rounds: 2, debaters: [helpful, helpful] });
      const stats = await window.aios.kernel.stats();
      return { r, largest: stats.batches.largest, left: (await window.aios.kernel.ps()).filter((p) => p.app === "moderator" && p.state !== "done").length };
    });
    expect(out.r.transcript.map((t) => `${t.round}${t.side}`)).toEqual(["1A", "1B", "2A", "2B"]);
    expect(out.r.verdict?.winner).toMatch(/^[AB]$/);
    // The first round answers the question; the embedded model is not made for later rounds (see the closing note's table).
    expect(out.r.transcript.slice(0, 2).map((t) => t.answer)).toEqual(["The capital of France is Paris.", "The capital of France is Paris."]);
    expect(out.r.answer).toBe(out.r.transcript.findLast((t) => t.side === out.r.verdict!.winner && t.answer)!.answer);
    expect(out.largest).toBeGreaterThan(1);
    expect(out.left).toBe(1);
    console.log(`debate: ${out.r.ms} ms, ${out.r.tokens} tokens, winner ${out.r.verdict?.winner}: ${JSON.stringify(out.r.answer)}`);
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 120_000);

it("people in the loop, in an app's window: a correction becomes the app's example; what it may remember about the user, with their consent", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(async () => {
      await window.aios.apps.install({ manifestVersion: 1, id: "sorter", name: "Sorter", version: "1.0.0", kind: "nl", ui: "window", description: "Labels your notes.", icon: "🗂️", capabilities: [], instructions: "You are Sorter. You label the user's notes." });
    });
    await page.getByRole("button", { name: "Apps", exact: true }).click();
    await page.getByRole("dialog", { name: "Apps" }).getByRole("button", { name: "Open Sorter" }).click();
    const win = page.getByRole("dialog", { name: /Sorter$/ });
    await win.waitFor();
    const input = win.getByRole("textbox", { name: "Message to Sorter" });
    const lastAnswer = () => win.locator('[data-role="assistant"]').last();
    const ask = async (text: string) => {
      const before = await win.locator('[data-role="assistant"]').count();
      await input.fill(text);
      await win.getByRole("button", { name: "Send" }).click();
      await expect.poll(() => win.locator('[data-role="assistant"]').count()).toBe(before + 1);
      await expect.poll(() => lastAnswer().getByRole("group", { name: "Rate this answer" }).count(), { timeout: 60_000 }).toBe(1);
      return (await lastAnswer().locator(".text").textContent())!.trim();
    };

    // Before: the app cannot label a note. The user corrects it.
    const before = await ask("Label this note: dentist appointment on Monday");
    expect(before).not.toMatch(/health/i);
    await lastAnswer().getByRole("button", { name: "Correct it" }).click();
    await lastAnswer().getByRole("textbox", { name: "The right answer" }).fill("health");
    await lastAnswer().getByRole("button", { name: "Save correction" }).click();
    await expect.poll(() => lastAnswer().textContent()).toMatch(/Corrected: health/);
    // After: the correction is kept in the app's memory and given to the model as an example with
    // the same request and with a similar one. (Whether the model then answers "health" is the
    // model's: the embedded one does not learn from examples — see the closing note's figures.)
    const after = await ask("Label this note: dentist appointment on Monday");
    const similar = await ask("Label this note: dentist bill to pay");
    const stored = await page.evaluate(async () => window.aios.memory.feedbackList("sorter"));
    expect(stored).toMatchObject([{ question: "Label this note: dentist appointment on Monday", rating: "down", correction: "health", byUser: true }]);
    const examples = await page.evaluate(async () => {
      const p = await window.aios.apps.launch("sorter");
      const same = await p.chat("Label this note: dentist appointment on Monday");
      const near = await p.chat("Label this note: dentist bill to pay");
      await p.kill(p.pid);
      return [same.context.examples, near.context.examples];
    });
    expect(examples).toEqual([1, 1]);

    // What the user says about themselves is only proposed; their click remembers it; they can delete it.
    await ask("My name is Ada and I prefer short answers.");
    const offer = win.getByRole("group", { name: "Remember about you" });
    await expect.poll(() => offer.count()).toBe(2);
    expect(await offer.first().textContent()).toMatch(/Name: Ada/);
    expect(await page.evaluate(async () => (await window.aios.human.get("sorter")).value)).toBe("");
    await offer.first().getByRole("button", { name: "Remember" }).click();
    await offer.first().getByRole("button", { name: "Not now" }).click();
    await expect.poll(() => offer.count()).toBe(0);
    expect(await page.evaluate(async () => (await window.aios.human.get("sorter")).value)).toBe("- Name: Ada");
    // The app's process may read the block, never write it.
    const denied = await page.evaluate(async () => {
      const p = await window.aios.apps.launch("sorter");
      const blocks = await p.memory.blocks.get();
      const write = await p.memory.blocks.set("human", "Name: Mallory").then(() => "written", (e: { code?: string }) => e.code);
      await p.kill(p.pid);
      return { blocks, write };
    });
    expect(denied).toEqual({ blocks: [{ label: "human", value: "- Name: Ada", limit: 2000 }], write: "EPERM" });
    await win.getByText("What Sorter knows about you").click();
    const about = win.getByRole("textbox", { name: "What Sorter knows about you" });
    await expect.poll(() => about.inputValue()).toBe("- Name: Ada");
    await shoot(page, "feedback-and-about-you");
    await win.getByRole("button", { name: "Delete all" }).click();
    await expect.poll(() => page.evaluate(async () => (await window.aios.human.get("sorter")).value)).toBe("");
    console.log(`feedback in the app window: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}; a similar note: ${JSON.stringify(similar)}`);
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 240_000);

it("Council, the bundled app: its window asks an ensemble of 5 and a team, through the SDK as the app", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: "Apps", exact: true }).click();
    await page.getByRole("dialog", { name: "Apps" }).getByRole("button", { name: "Open Council" }).click();
    const win = page.getByRole("dialog", { name: /Council$/ });
    await win.waitFor();
    const frame = page.frameLocator('iframe[title="Council"]');
    await frame.getByRole("button", { name: "Ask the council" }).click();
    await expect.poll(() => frame.getByRole("status").textContent(), { timeout: 60_000 }).toMatch(/tokens, \d+ ms/);
    const said = await frame.locator(".agent").allInnerTexts();
    expect(said).toHaveLength(6);
    expect(said.filter((t) => /391/.test(t)).length).toBeGreaterThanOrEqual(2);
    expect(said.at(-1)).toMatch(/The vote[\s\S]*391/);
    // Feedback teaches the ensemble: the members that gave the right answer keep their weight.
    await frame.getByRole("group", { name: "Which answer is right?" }).getByRole("button").first().click();
    await expect.poll(() => frame.getByRole("status").textContent()).toMatch(/^Learned: member-1 /);
    await shoot(page, "council-ensemble");
    // The members were the app's own children: Council's identity, nothing left running.
    const left = await page.evaluate(async () => (await window.aios.kernel.ps()).filter((p) => p.app === "council" && p.state !== "done").map((p) => p.name));
    expect(left).toEqual(["Council"]);
    await frame.getByRole("combobox", { name: "Pattern" }).selectOption("collaborate");
    await frame.getByRole("button", { name: "Ask the council" }).click();
    await expect.poll(() => frame.getByRole("status").textContent(), { timeout: 60_000 }).toMatch(/tokens, \d+ ms/);
    expect((await frame.locator(".agent").allInnerTexts())[0]).toMatch(/^The plan/);
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 180_000);
