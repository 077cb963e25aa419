// Messages between agents on the real stack (the kernel in Chromium's shared worker, IndexedDB):
// two agents talk in one conversation, the sender is the kernel's word, a receive waits, a full
// mailbox pushes back with EAGAIN, an installed app's mailbox survives a reload, and the System
// monitor draws the conversation as a sequence diagram.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("agents message each other: typed envelopes, waiting receives, back-pressure, persistence, the sequence diagram", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    const out = await page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e as { code?: string }).code);
      const planner = await window.aios.spawn({ name: "planner", capabilities: ["message:*"] });
      const worker = await window.aios.spawn({ name: "worker", capabilities: ["message:planner"] });
      const stranger = await window.aios.spawn({ name: "stranger" });
      // The worker waits; the planner's request wakes it.
      const waiting = worker.messages.receive({ timeoutMs: 10_000 });
      const request = await planner.messages.send({ to: "worker", performative: "request", content: { task: "sum", numbers: [2, 3] } });
      const got = await waiting;
      await worker.messages.send({ to: "planner", performative: "inform", content: { sum: 5 }, conversation: got.conversation, replyTo: got.id });
      const answer = await planner.messages.receive({ conversation: request.conversation, timeoutMs: 5000 });
      const denied = await codeOf(stranger.messages.send({ to: "planner", performative: "inform", content: "hi" }));
      const wrongTarget = await codeOf(worker.messages.send({ to: "stranger", performative: "inform", content: "hi" }));
      // Back-pressure: the 65th message to an unread mailbox is refused, none is lost.
      let sent = 0;
      let refused = "";
      for (let i = 0; i < 70 && !refused; i++) {
        refused = await codeOf(planner.messages.send({ to: "stranger", performative: "inform", content: i })).then((c) => (c === "ok" ? (sent++, "") : c!));
      }
      let read = 0;
      while (await codeOf(stranger.messages.receive()) === "ok") read++;
      // A topic.
      await worker.messages.subscribe("news");
      await planner.messages.send({ to: "topic:news", performative: "inform", content: "the build is green" });
      const news = await worker.messages.receive({ timeoutMs: 2000 });
      return { request, got, answer, denied, wrongTarget, sent, refused, read, news };
    });
    expect(out.got).toMatchObject({ from: "planner", to: "worker", performative: "request", content: { task: "sum", numbers: [2, 3] }, conversation: out.request.conversation });
    expect(out.answer).toMatchObject({ from: "worker", performative: "inform", content: { sum: 5 }, replyTo: out.request.id });
    expect(out.denied).toBe("EPERM");
    expect(out.wrongTarget).toBe("EPERM");
    expect(out.sent).toBe(64);
    expect(out.refused).toBe("EAGAIN");
    expect(out.read).toBe(64);
    expect(out.news).toMatchObject({ from: "planner", to: "topic:news", content: "the build is green" });

    // An installed app's mailbox survives a reload (the kernel restarts; IndexedDB keeps it).
    await page.evaluate(async () => {
      await window.aios.apps.install({ manifestVersion: 1, id: "inbox", name: "Inbox", version: "1.0.0", description: "Reads its messages.", kind: "nl", instructions: "Read your messages.", capabilities: [], ui: "headless" });
      await window.aios.messages.send({ to: "inbox", performative: "request", content: "read me after the restart" });
    });
    await page.reload();
    await page.evaluate(() => window.aios.ready);
    const kept = await page.evaluate(async () => {
      const p = await window.aios.apps.launch("inbox");
      return p.messages.receive({ timeoutMs: 2000 });
    });
    expect(kept).toMatchObject({ from: "shell", to: "inbox", content: "read me after the restart" });

    // A conversation the System monitor draws.
    await page.evaluate(async () => {
      const a = await window.aios.spawn({ name: "proposer", capabilities: ["message:*"] });
      const b = await window.aios.spawn({ name: "judge", capabilities: ["message:*"] });
      const first = await a.messages.send({ to: "judge", performative: "propose", content: "answer: 42" });
      await b.messages.receive({});
      await b.messages.send({ to: "proposer", performative: "query", content: "why?", conversation: first.conversation });
      await a.messages.receive({});
      await a.messages.send({ to: "judge", performative: "inform", content: "6 times 7", conversation: first.conversation });
      await b.messages.receive({});
      await b.messages.send({ to: "proposer", performative: "accept", content: "ok", conversation: first.conversation });
    });
    await page.getByRole("button", { name: "System monitor", exact: true }).click();
    const diagram = page.getByRole("img", { name: "Sequence diagram of messages between agents" });
    await expect.poll(() => diagram.locator("[data-performative]").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(await diagram.locator("text.lane").allTextContents()).toEqual(expect.arrayContaining(["proposer", "judge"]));
    expect(await diagram.locator("[data-performative]").allTextContents()).toEqual(expect.arrayContaining(["propose", "query", "inform", "accept"]));
    await diagram.scrollIntoViewIfNeeded();
    await shoot(page, "messages-sequence");
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 120_000);
