// web-llm's weights cannot be fetched in this world: test what can be. Capability detection and
// catalog filtering are covered in aios-api.test.ts; here a download whose every file answers 404
// (served locally, nothing leaves the machine) must fail clearly and leave the kernel running.
// Playwright answers requests of pages and dedicated workers only, so these run the kernel in a
// dedicated worker (?kernel=dedicated); the shared kernel's attempt is caught by the offline proxy.
import { expect, it } from "vitest";
import { openApp, useBrowser, type GuardedPage } from "./harness.ts";

const browser = useBrowser();

/** The app on a dedicated kernel worker, with the model hub and lib host answering 404 locally. */
async function appWithHubAnswering404(): Promise<{ app: GuardedPage; served: string[][] }> {
  const app = await openApp(browser(), "?device=wasm&kernel=dedicated");
  const served = [await app.answerLocally("huggingface.co", 404), await app.answerLocally("raw.githubusercontent.com", 404)];
  return { app, served };
}

it("a web-llm download answering 404 gives a clear ELOAD error and the embedded model keeps serving", async () => {
  const { app, served } = await appWithHubAnswering404();
  try {
    const scripts: string[] = [];
    app.context.on("request", (r) => scripts.push(new URL(r.url()).pathname));
    const out = await app.page.evaluate(async () => {
      const models = await window.aios.models.list();
      const target = models.filter((m) => m.engine === "web-llm" && m.runnable).sort((a, b) => (a.vramMB ?? 1e9) - (b.vramMB ?? 1e9))[0]!;
      const events: number[] = [];
      window.aios.models.addEventListener("progress", (e) => events.push((e as CustomEvent<{ progress: number }>).detail.progress));
      let error: { code?: string; message: string } | null = null;
      try {
        await window.aios.models.load(target.id);
      } catch (e) {
        error = { code: (e as { code?: string }).code, message: (e as Error).message };
      }
      const info = await window.aios.kernel.info();
      const reply = await window.aios.llm.chat.completions.create({ messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 16 });
      return { target: target.id, error, events, model: info.model, reply: reply.choices[0]!.message.content };
    });
    expect(out.error?.code).toBe("ELOAD");
    expect(out.error?.message).toContain(out.target);
    expect(out.error?.message).toMatch(/HTTP 404 .*mlc-chat-config\.json/);
    expect(out.events[0]).toBe(0);
    expect(out.model).toBe("aios-tiny");
    expect(out.reply!.length).toBeGreaterThan(0);
    expect(served.flat().length).toBeGreaterThan(0);
    // The library was fetched for the load, as its own chunk (not part of the kernel's bundle).
    expect(scripts.filter((path) => /\/assets\/lib-[^/]*\.js$/.test(path))).toHaveLength(1);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("the model picker shows a failed download as an alert and keeps the embedded model", async () => {
  const { app } = await appWithHubAnswering404();
  try {
    const { page } = app;
    await page.getByRole("region", { name: "Model manager" }).getByRole("button", { name: /^Models/ }).click();
    const picker = page.getByRole("dialog", { name: "Models" });
    // On this software adapter no web-llm model fits: they are behind "Show all", and may be tried.
    await picker.getByRole("checkbox", { name: /Show all/ }).check();
    await picker.getByRole("button", { name: "Load Llama-3.2-1B-Instruct-q4f32_1", exact: true }).click();
    await expect.poll(() => picker.getByRole("alert").textContent(), { timeout: 60_000 }).toMatch(/HTTP 404/);
    expect(await page.getByTestId("model").textContent()).toBe("aios-tiny");
    await page.screenshot({ path: "test-results/model-picker-404.png" });
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("the offline guard catches a download attempted by the shared kernel, which reports it clearly", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const error = await app.page.evaluate(async () => {
      const models = await window.aios.models.list();
      const target = models.find((m) => m.engine === "web-llm" && m.runnable)!;
      return window.aios.models.load(target.id).then(() => null, (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
    });
    expect(error?.code).toBe("ELOAD");
    expect(error?.message).toMatch(/HTTP 403|could not reach/);
    expect(app.offsite().some((url) => url.includes("huggingface.co"))).toBe(true);
    expect(await app.page.evaluate(async () => (await window.aios.kernel.info()).model)).toBe("aios-tiny");
  } finally {
    await app.close();
  }
});
