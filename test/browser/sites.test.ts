// Agents from other websites (issue 12, part 4), on the real stack: two other origins (loopback
// ports) load the OS's SDK (/sdk/aios.js), which embeds the bridge (/bridge.html); the user answers
// in the OS's own tab (the real consent dialog); the site becomes an identity of its own; identity
// comes from the browser (event.origin), never from a message; revoked mid-session, its agent ends.
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openApp, useBrowser } from "./harness.ts";
import { startTestSite } from "./test-site.ts";

const browser = useBrowser();

type Connect = typeof import("../../src/sdk/connect.ts").connect;

/** Loads the OS's SDK into a page of another website, as that site would (a module script). */
async function loadSdk(page: Page, os: string): Promise<void> {
  await page.addScriptTag({ type: "module", content: `import { connect } from "${os}/sdk/aios.js"; window.aiosConnect = connect;` });
  await page.waitForFunction(() => "aiosConnect" in window);
}

/** Starts connect() in a page of another website; resolves the outcome once settled. */
function startConnect(page: Page, capabilities: string[]) {
  return page.evaluate(
    async ({ capabilities }) => {
      const connect = (window as unknown as { aiosConnect: Connect }).aiosConnect;
      try {
        const agent = await connect({ capabilities });
        (window as unknown as { agent: typeof agent }).agent = agent;
        return { pid: agent.pid, app: agent.app, capabilities: agent.capabilities };
      } catch (e) {
        return { code: (e as { code?: string }).code, message: (e as Error).message };
      }
    },
    { capabilities },
  );
}

it("a page on another site runs an agent after the user allows it in AIOS; a denied site is refused; revoking ends its agent mid-session", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const siteA = await startTestSite();
  const siteB = await startTestSite();
  try {
    const os = new URL(app.page.url()).origin;
    const pageA = await app.context.newPage();
    await pageA.goto(`${siteA.origin}/blank.html`);
    await loadSdk(pageA, os);
    const pendingA = startConnect(pageA, ["calculator", "files"]);
    // The OS's own tab asks, naming the website by the origin the browser reported.
    const dialog = app.page.getByRole("dialog", { name: "A website wants to run an agent" });
    await dialog.waitFor({ timeout: 60_000 });
    expect(await dialog.getByTestId("consent-origin").textContent()).toBe(siteA.origin);
    expect(await dialog.getByTestId("consent-summary").textContent()).toContain("with: calculator, files");
    await dialog.getByRole("button", { name: "Allow", exact: true }).click();
    const connected = await pendingA;
    expect(connected).toMatchObject({ app: `site:${siteA.origin}`, capabilities: ["calculator", "files"] });

    const used = await pageA.evaluate(async () => {
      const agent = (window as unknown as { agent: import("../../src/sdk/connect.ts").Connection }).agent;
      const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e as { code?: string }).code);
      const sum = await agent.tools.call("calculator", { expression: "6*7" });
      const written = await agent.storage.write("from-site.md", "hello from another site");
      const reply = await agent.chat("What is 12 times 7?");
      const self = await agent.self();
      const helper = await agent.spawn({ name: "helper", capabilities: ["calculator"] });
      const helped = await helper.tools.call("calculator", { expression: "1+2" });
      const wider = await codeOf(agent.spawn({ name: "wider", capabilities: ["network:*"] }));
      const notGranted = await codeOf(agent.tools.call("clock", {}));
      // A page speaking the protocol itself: nothing but the SDK's calls, as nothing but its own processes.
      const raw = await new Promise<unknown[]>((resolve) => {
        const frame = document.querySelector("iframe")!;
        const channel = new MessageChannel();
        const answers: unknown[] = [];
        channel.port1.onmessage = (e) => {
          answers.push(e.data);
          if (answers.length === 1) {
            channel.port1.postMessage({ id: 1, name: "access.set", args: { app: "x", capability: "calculator", decision: "allow" } });
            channel.port1.postMessage({ id: 2, name: "tools.call", args: { name: "calculator", arguments: { expression: "2+2" } }, as: 1 });
            channel.port1.postMessage({ id: 3, name: "apps.install", args: {} });
          }
          if (answers.length === 4) resolve(answers);
        };
        // A message claiming another origin: the bridge reads the browser's, not this.
        frame.contentWindow!.postMessage({ type: "aios.connect", capabilities: ["calculator"], origin: "http://127.0.0.1:1", app: "shell" }, "*", [channel.port2]);
      });
      return { sum, written, reply: { content: reply.content, calls: reply.toolCalls.map((c) => c.name) }, self: { app: self.app, quota: self.quota, owner: self.owner }, helped, wider, notGranted, raw };
    });
    expect(used.sum).toBe(42);
    expect(used.written).toMatchObject({ path: "from-site.md", version: 1 });
    expect(used.reply.calls).toEqual(["calculator"]);
    expect(used.reply.content).toContain("84");
    expect(used.self).toMatchObject({ app: `site:${siteA.origin}`, quota: { maxQueued: 4, maxCompletionTokens: 200000 } });
    expect(used.helped).toBe(3);
    expect(used.wider).toBe("EPERM");
    expect(used.notGranted).toBe("EPERM");
    expect(used.raw).toEqual([
      expect.objectContaining({ type: "aios.ready", app: `site:${siteA.origin}` }),
      { id: 1, error: expect.objectContaining({ code: "ENOSYS" }) },
      { id: 2, error: expect.objectContaining({ code: "EPERM" }) },
      { id: 3, error: expect.objectContaining({ code: "ENOSYS" }) },
    ]);
    // Its files are its own: in the site's namespace, seen by the user (the shell).
    const files = await app.page.evaluate((ns) => window.aios.storage.list(undefined, { namespace: ns }), `site:${siteA.origin}`);
    expect(files.map((f) => f.path)).toContain("from-site.md");

    // Site B: the user denies; asking again is refused without a prompt.
    const pageB = await app.context.newPage();
    await pageB.goto(`${siteB.origin}/blank.html`);
    await loadSdk(pageB, os);
    const pendingB = startConnect(pageB, ["calculator"]);
    const dialogB = app.page.getByRole("dialog", { name: "A website wants to run an agent" });
    await dialogB.waitFor({ timeout: 60_000 });
    expect(await dialogB.getByTestId("consent-origin").textContent()).toBe(siteB.origin);
    await dialogB.getByRole("button", { name: "Deny" }).click();
    expect(await pendingB).toMatchObject({ code: "EPERM", message: expect.stringContaining("denied") });
    expect(await startConnect(pageB, ["calculator"])).toMatchObject({ code: "EPERM", message: expect.stringContaining("denied") });

    // The Permissions window lists both; revoking A there ends its agent mid-session.
    await app.page.getByRole("button", { name: "Permissions" }).click();
    const row = app.page.locator(`tr[data-origin="${siteA.origin}"]`);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain("allowed");
    expect(await app.page.locator(`tr[data-origin="${siteB.origin}"]`).textContent()).toContain("denied");
    await row.getByRole("button", { name: `Revoke ${siteA.origin}` }).click();
    await expect.poll(() => app.page.evaluate(async () => (await window.aios.sites.list()).map((s) => s.origin)), { timeout: 10_000 }).not.toContain(siteA.origin);
    const afterRevoke = await pageA.evaluate(async () => {
      const agent = (window as unknown as { agent: import("../../src/sdk/connect.ts").Connection }).agent;
      return agent.tools.call("calculator", { expression: "1+1" }).then(() => "ok", (e) => (e as { code?: string }).code);
    });
    expect(afterRevoke).toBe("EKILLED");
    // Connecting again asks the user again.
    const again = startConnect(pageA, ["calculator"]);
    await app.page.getByRole("dialog", { name: "A website wants to run an agent" }).waitFor({ timeout: 60_000 });
    await app.page.getByRole("dialog", { name: "A website wants to run an agent" }).getByRole("button", { name: "Allow", exact: true }).click();
    expect(await again).toMatchObject({ app: `site:${siteA.origin}`, capabilities: ["calculator"] });
    const audit = await app.page.evaluate(async () => (await window.aios.access.audit({})).entries.filter((e) => e.tool === "sites.connect").map((e) => `${e.app} ${e.decision}`));
    expect(audit).toEqual([`site:${siteA.origin} allow`, `site:${siteB.origin} deny`, `site:${siteA.origin} deny`, `site:${siteA.origin} allow`]);
    // Closing the site's page ends its agent.
    await pageA.close();
    await expect.poll(() => app.page.evaluate(async (a) => (await window.aios.kernel.ps()).filter((p) => p.app === a && p.state !== "done").length, `site:${siteA.origin}`), { timeout: 20_000 }).toBe(0);
    app.assertOffline();
  } finally {
    await siteA.close();
    await siteB.close();
    await app.close();
  }
});
