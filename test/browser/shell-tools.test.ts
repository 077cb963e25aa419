// The shell's agent loop and access control as a person meets them: the prompt box runs the
// kernel's managed conversation (tool calls shown as cards, restored after a reload, over-long
// prompts refused clearly), consent dialogs for a process's network calls (Allow once, Always
// allow, Deny), and the Permissions window (decisions, revoke, audit log, export, proxy setting).
// Screenshots of the consent dialog and the Permissions window at desktop and phone widths go to
// test/browser/screenshots/.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";

const browser = useBrowser();
/** Waits until the reply in progress has finished (the Send button is back). */
async function replyDone(page: Page) {
  await expect.poll(() => page.getByRole("button", { name: "Send" }).count(), { timeout: 240_000, interval: 100 }).toBe(1);
}

it("the prompt runs the agent loop: tool cards, the answer, restored after a reload; over-long prompts are refused clearly", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    const conversation = page.getByRole("region", { name: "Conversation" });
    const prompt = page.getByRole("textbox", { name: "Prompt" });
    await expect.poll(() => page.getByRole("button", { name: "Send" }).count()).toBe(1);
    await prompt.fill("What is 12*7?");
    await prompt.press("Enter");
    await expect.poll(() => page.getByRole("button", { name: "Stop" }).count()).toBe(1);
    await replyDone(page);

    // Whatever the model did, the shell shows exactly what the kernel stored: one card per tool
    // call (with its result), the answer's text, and never tool-call markup.
    const history = await page.evaluate(() => window.aios.memory.history());
    const stored = history.turns.flatMap((t) => t.tool_calls ?? []);
    const results = new Map(history.turns.filter((t) => t.role === "tool").map((t) => [t.tool_call_id, t.content]));
    const answer = history.turns.at(-1)!;
    expect(answer.role).toBe("assistant");
    const cards = conversation.getByTestId("tool-card");
    expect(await cards.count()).toBe(stored.length);
    for (const [i, call] of stored.entries()) {
      await expect.poll(() => cards.nth(i).getAttribute("data-tool")).toBe(call.function.name);
      expect(await cards.nth(i).textContent()).toContain(results.get(call.id));
    }
    const lastText = conversation.locator('[data-role="assistant"] .text').last();
    expect((await lastText.textContent())?.trim()).toBe(answer.content.trim());
    expect(await conversation.textContent()).not.toContain("<tool_call>");
    // The tokens/s figure comes from the kernel's stats after the turn.
    await expect.poll(() => page.getByTestId("tps").textContent()).toMatch(/^\d+(\.\d)?$/);

    // A card expands to its full arguments and result.
    if (stored.length) {
      await cards.first().locator("summary").click();
      await expect.poll(() => cards.first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
      expect(await cards.first().locator("pre").first().textContent()).toContain(Object.keys(JSON.parse(stored[0]!.function.arguments))[0] ?? "");
    }

    await shoot(page, "conversation");

    // (d) A reload restores the conversation from the kernel, cards included.
    const before = {
      cards: await cards.evaluateAll((els) => els.map((e) => `${e.getAttribute("data-tool")}|${e.getAttribute("data-status")}|${e.querySelector(".tool-result")?.textContent}`)),
      texts: await conversation.locator('[data-role="assistant"] .text, [data-role="user"] .text').allTextContents(),
    };
    await page.reload();
    await page.evaluate(() => window.aios.ready);
    await expect.poll(() => conversation.locator('[data-role="user"]').count()).toBe(1);
    expect(await cards.evaluateAll((els) => els.map((e) => `${e.getAttribute("data-tool")}|${e.getAttribute("data-status")}|${e.querySelector(".tool-result")?.textContent}`))).toEqual(before.cards);
    expect((await conversation.locator('[data-role="assistant"] .text, [data-role="user"] .text').allTextContents()).map((t) => t.trim())).toEqual(before.texts.map((t) => t.trim()));

    // (c) A message too long for the window: a clear message under the prompt, the text kept,
    // nothing added to the conversation; the next turn works.
    const long = "word ".repeat(3000).trim();
    await prompt.fill(long);
    await prompt.press("Enter");
    const alert = page.locator("form").getByRole("alert");
    await expect.poll(() => alert.textContent(), { timeout: 60_000 }).toMatch(/too long.*the message is \d+ tokens/s);
    expect(await prompt.inputValue()).toBe(long);
    expect(await prompt.getAttribute("aria-invalid")).toBe("true");
    await shoot(page, "prompt-too-long");
    expect(await conversation.locator('[data-role="user"]').count()).toBe(1);
    expect((await page.evaluate(() => window.aios.memory.history())).turns.length).toBe(history.turns.length);
    await prompt.fill("Hello");
    expect(await alert.count()).toBe(0);
    await prompt.press("Enter");
    await replyDone(page);
    expect(await conversation.locator('[data-role="user"]').count()).toBe(2);
    expect(await conversation.locator('[data-role="assistant"]').last().getByRole("alert").count()).toBe(0);
    expect(((await conversation.locator('[data-role="assistant"] .text').last().textContent()) ?? "").trim().length).toBeGreaterThan(0);

    // MODEL-DEPENDENT (the embedded model must choose the calculator for arithmetic): the first
    // turn called calculator with 12*7, its card shows 84, and the answer says 84.
    expect(stored.map((c) => c.function.name), "the embedded model did not call the calculator (model-dependent)").toContain("calculator");
    const calc = conversation.locator('[data-testid="tool-card"][data-tool="calculator"]').first();
    expect(await calc.locator(".tool-result").textContent()).toBe("84");
    expect(answer.content, "the model's answer (model-dependent)").toContain("84");

    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("consent dialog for a process's fetch: allow once, always allow, revoke in Permissions, deny; the audit log shows it all", async () => {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "access-control-allow-origin": "*" });
    res.end(`hello from ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const capability = `network:127.0.0.1:${port}`;
  const url = (n: number) => `http://127.0.0.1:${port}/call-${n}`;
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.evaluate(() => Object.assign(window, { calls: {} }));
    /**
     * Starts call n from the page without waiting for it; `result(n)` waits for its outcome. Each
     * call comes from a fresh process of the app "reader": a process that has fetched a page holds
     * untrusted content, and its next fetch needs an approval of its own (labels.ts, tested below).
     */
    const pids: number[] = [];
    const call = async (n: number, app = "reader") => {
      pids[n] = await page.evaluate(
        async ([n, url, capability, app]) => {
          const w = window as unknown as { calls: Record<number, Promise<unknown>> };
          const proc = await window.aios.spawn({ name: app as string, capabilities: [capability as string] });
          w.calls[n as number] = proc.tools.call("fetch", { url }).then(
            (r) => ({ ok: r }),
            (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
          );
          return proc.pid;
        },
        [n, url(n), capability, app] as const,
      );
    };
    const result = (n: number) => page.evaluate((n) => (window as unknown as { calls: Record<number, Promise<{ ok?: { status: number; body: string }; code?: string }>> }).calls[n], n);
    const dialog = page.getByRole("dialog", { name: "Permission request" });

    // 1: Allow once.
    await call(1);
    await expect.poll(() => dialog.count()).toBe(1);
    const said = (await dialog.textContent()) ?? "";
    expect(said).toContain("reader");
    expect(said).toContain(`pid ${pids[1]}`);
    expect(said).toContain("fetch");
    expect(said).toContain(`the network: 127.0.0.1:${port}`);
    expect(await dialog.getByTestId("consent-summary").textContent()).toBe(`GET ${url(1)}`);
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("dialog");
    await dialog.getByText("Arguments").click();
    expect(await dialog.locator("pre").textContent()).toContain(url(1));
    await shoot(page, "consent-dialog");
    await dialog.getByRole("button", { name: "Allow once" }).click();
    expect(await result(1)).toMatchObject({ ok: { status: 200, body: "hello from /call-1" } });
    await expect.poll(() => dialog.count()).toBe(0);

    // 2: asks again; Always allow. 3: does not ask.
    await call(2);
    await expect.poll(() => dialog.count()).toBe(1);
    await dialog.getByRole("button", { name: "Always allow" }).click();
    expect(await result(2)).toMatchObject({ ok: { body: "hello from /call-2" } });
    await call(3);
    expect(await result(3)).toMatchObject({ ok: { body: "hello from /call-3" } });
    expect(await dialog.count()).toBe(0);

    // The Permissions window: the decision is the user's; revoke it (back to the default, ask).
    await page.getByRole("button", { name: "Permissions" }).click();
    const perms = page.getByRole("dialog", { name: "Permissions" });
    const grants = perms.getByRole("table", { name: "Permissions of reader" });
    const decision = grants.getByRole("combobox", { name: `Decision for ${capability} (reader)` });
    await expect.poll(() => decision.inputValue()).toBe("allow");
    expect(await grants.locator(`tr[data-capability="${capability}"]`).textContent()).toContain("you");
    await grants.getByRole("button", { name: `Revoke ${capability} for reader` }).click();
    await expect.poll(() => decision.inputValue()).toBe("ask");
    expect(await grants.locator(`tr[data-capability="${capability}"]`).textContent()).toContain("default");
    expect(await grants.getByRole("button", { name: /Revoke/ }).count()).toBe(0);

    // 4: asks again; Deny → EPERM.
    await call(4);
    await expect.poll(() => dialog.count()).toBe(1);
    await dialog.getByRole("button", { name: "Deny" }).click();
    expect(await result(4)).toMatchObject({ code: "EPERM" });
    await expect.poll(() => dialog.count()).toBe(0);

    // The audit log, newest first: the four calls and the user's decisions.
    const auditRows = perms.getByRole("table", { name: "Audit log" }).locator("tbody tr");
    const rows = async () => (await auditRows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "")))).filter((r) => r[3] === "fetch");
    await expect.poll(async () => (await rows()).length, { timeout: 10_000 }).toBe(4);
    const fetches = await rows();
    // Columns: time, pid, app, tool, capability, decision, by, result.
    expect(fetches.map((r) => [r[1], r[2], r[4], r[5], r[6]])).toEqual([
      [String(pids[4]), "reader", capability, "deny", "user-deny"],
      [String(pids[3]), "reader", capability, "allow", "policy"],
      [String(pids[2]), "reader", capability, "allow", "user-always"],
      [String(pids[1]), "reader", capability, "allow", "user-once"],
    ]);
    expect(fetches[0]![7]).toBe("EPERM");
    expect(fetches[3]![7]).toMatch(/^\d+ B$/);
    // The user's changes: Always allow (allow), then Revoke (back to the default).
    const changes = (await auditRows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "")))).filter((r) => r[3] === "access.set");
    expect(changes.map((r) => [r[2], r[4], r[7]])).toEqual([
      ["reader", capability, "set: default"],
      ["reader", capability, "set: allow"],
    ]);
    expect(await perms.getByTestId("audit-dropped").textContent()).toBe("0 older entries dropped");

    // Export: a JSON file with every entry.
    const [download] = await Promise.all([page.waitForEvent("download"), perms.getByRole("button", { name: "Export audit log" }).click()]);
    const exported = JSON.parse(readFileSync(await download.path(), "utf8")) as { entries: Array<{ tool: string; by: string }> };
    expect(exported.entries.filter((e) => e.tool === "fetch").map((e) => e.by)).toEqual(["user-once", "user-always", "policy", "user-deny"]);

    // The proxy setting: validated, saved, removed.
    const proxy = perms.getByRole("textbox", { name: /Proxy/ });
    await proxy.fill("http://127.0.0.1:9/fetch");
    await perms.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => perms.getByRole("alert").textContent()).toContain("{url}");
    await proxy.fill("http://127.0.0.1:9/fetch?url={url}");
    await perms.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.evaluate(() => window.aios.access.network())).toEqual({ proxy: "http://127.0.0.1:9/fetch?url={url}" });
    expect(await perms.getByRole("alert").count()).toBe(0);

    // The tools, in a collapsible section.
    await perms.getByText(/^Tools \(\d+\)$/).click();
    expect(await perms.getByRole("table", { name: "Tools" }).locator("tbody tr", { hasText: "calculator" }).count()).toBe(1);
    await perms.getByText(/^Tools \(\d+\)$/).click();
    await perms.locator(".content").evaluate((el) => el.scrollTo({ top: 0 }));
    await shoot(page, "permissions");

    await proxy.fill("");
    await perms.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.evaluate(() => window.aios.access.network())).toEqual({});
    await perms.getByRole("button", { name: "Close permissions" }).click();

    // Several prompts at once queue, one shown at a time; Escape denies the one shown.
    await Promise.all([call(11, "crawler"), call(12, "crawler"), call(13, "crawler")]);
    await expect.poll(() => dialog.getByTestId("consent-count").textContent().catch(() => null)).toBe("1 of 3");
    await shoot(page, "consent-queue");
    const first = await dialog.getByTestId("consent-summary").textContent();
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.getByTestId("consent-count").textContent().catch(() => null)).toBe("1 of 2");
    expect(await dialog.getByTestId("consent-summary").textContent()).not.toBe(first);
    await dialog.getByRole("button", { name: "Allow once" }).click();
    await dialog.getByRole("button", { name: "Allow once" }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    const outcomes = await Promise.all([11, 12, 13].map(result));
    expect(outcomes.filter((o) => o.code === "EPERM").length).toBe(1);
    expect(outcomes.filter((o) => o.ok?.status === 200).length).toBe(2);

    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

it("the Files window hides the kernel's .memory/ files unless asked", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "diary" });
      await p.storage.write("today.md", "A quiet day.");
      await p.memory.remember("The cat is called Biscuit.");
    });
    await page.getByRole("button", { name: "Files" }).click();
    const files = page.getByRole("dialog", { name: "Files" });
    await files.getByRole("button", { name: /diary/ }).click();
    const table = files.getByRole("table", { name: "Files of diary" });
    await expect.poll(() => table.locator("tbody tr").allTextContents()).toEqual([expect.stringContaining("today.md")]);
    await files.getByRole("checkbox", { name: /Show system files/ }).check();
    await expect.poll(() => table.locator("tbody tr").count()).toBe(2);
    expect(await table.textContent()).toContain(".memory/items/archival/");
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
