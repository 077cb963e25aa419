// The model manager on this machine's software WebGPU adapter (SwiftShader, no shader-f16): what
// fits, "Show all" with each reason, the embedded model (not offline without a service worker), a partly downloaded
// web-llm model (its files put in the Cache API where web-llm puts them) that says it resumes and
// can be deleted, and a download refused before it starts when the browser's storage cannot hold it.
//
// Chromium's navigator.storage.estimate() reports a static quota (usage + 10 GiB, a fingerprinting
// defence) rather than the quota it enforces; this browser runs with that feature off, so the
// quota DevTools can set for an origin (Storage.overrideQuotaForOrigin) is what the page is told.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CHROMIUM_ARGS, launchWithArgs } from "./chromium.ts";
import { openApp, shoot } from "./harness.ts";

let browser: Browser;
beforeAll(async () => {
  // One --disable-features flag counts (the last): extend the harness's list.
  const features = CHROMIUM_ARGS.find((a) => a.startsWith("--disable-features="))!;
  browser = await launchWithArgs([`${features},StaticStorageQuota,IncognitoStaticStorageQuota`]);
});
afterAll(async () => browser?.close());

const LLAMA = "Llama-3.2-1B-Instruct-q4f32_1-MLC";
const LLAMA_LABEL = "Llama-3.2-1B-Instruct-q4f32_1";

it("lists the models that fit by default, the rest behind Show all with their reasons, and the embedded model (not kept offline without a service worker)", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const { page } = app;
    const models = await page.evaluate(() => window.aios.models.list());
    const fitting = models.filter((m) => m.fits).map((m) => m.id);
    expect(fitting).toEqual(["aios-tiny", "aios-tiny-q8"]);
    const tiny = models.find((m) => m.id === "aios-tiny")!;
    // The harness blocks service workers, and only the service worker's precache keeps the embedded
    // models: here they are not available offline and take no disk (offline.test.ts: the opposite).
    expect(tiny).toMatchObject({ embedded: true, offline: false, loaded: true, diskBytes: 0 });
    const llama = models.find((m) => m.id === LLAMA)!;
    expect(llama).toMatchObject({ fits: false, runnable: true, cached: false, offline: false, diskBytes: 0, sizeEstimated: true });
    expect(llama.why).toMatch(/the adapter is software \(.*swiftshader.*\): far too slow/i);
    const f16 = models.find((m) => m.id === "Llama-3.2-1B-Instruct-q4f16_1-MLC")!;
    expect(f16).toMatchObject({ fits: false, runnable: false });
    expect(f16.why).toContain("needs the shader-f16 WebGPU feature, which this adapter lacks");

    await page.getByRole("region", { name: "Model manager" }).getByRole("button", { name: /^Models \(2 fit this device\)$/ }).click();
    const picker = page.getByRole("dialog", { name: "Models" });
    const list = picker.getByRole("list", { name: "Models" });
    await expect.poll(() => list.getByRole("listitem").count()).toBe(2);
    const tinyRow = list.getByRole("listitem", { name: "AIOS tiny (embedded, fp32)" });
    expect(await tinyRow.textContent()).toMatch(/loaded.*embedded/);
    expect(await tinyRow.textContent()).not.toContain("available offline");
    await shoot(page, "model-manager");

    await picker.getByRole("checkbox", { name: /Show all/ }).check();
    await expect.poll(() => list.getByRole("listitem").count()).toBe(models.length);
    const llamaRow = list.getByRole("listitem", { name: LLAMA_LABEL, exact: true });
    expect(await llamaRow.textContent()).toMatch(/≈ 1\.1 GB \(estimate\).*May not run well: the adapter is software/);
    expect(await llamaRow.getByRole("button", { name: `Load ${LLAMA_LABEL}` }).isEnabled()).toBe(true);
    const f16Row = list.getByRole("listitem", { name: "Llama-3.2-1B-Instruct-q4f16_1", exact: true });
    expect(await f16Row.textContent()).toContain("Cannot run here: needs the shader-f16 WebGPU feature");
    expect(await f16Row.getByRole("button", { name: /^Load / }).isDisabled()).toBe(true);
    await llamaRow.scrollIntoViewIfNeeded();
    await shoot(page, "model-manager-all");
    app.assertOffline();
    expect(app.errors).toEqual([]);
  } finally {
    await app.close();
  }
});

it("a partly downloaded model says it resumes and how much is on disk; Delete removes it; neither loads the web-llm library", async () => {
  // A dedicated kernel worker, whose requests Playwright sees (a SharedWorker's it does not).
  const app = await openApp(browser, "?device=wasm&kernel=dedicated");
  try {
    const { page, context } = app;
    const scripts: string[] = [];
    context.on("request", (r) => scripts.push(new URL(r.url()).pathname));
    // What web-llm stores of a download cut off after its first shard (its caches and URLs).
    await page.evaluate(async (id) => {
      const base = `https://huggingface.co/mlc-ai/${id}/resolve/main/`;
      const put = async (cache: string, url: string, body: string | Uint8Array) =>
        (await caches.open(cache)).put(url, new Response(body as BodyInit, { headers: { "content-length": String(typeof body === "string" ? body.length : body.length) } }));
      const shards = [0, 1, 2].map((i) => ({ dataPath: `params_shard_${i}.bin`, nbytes: 4_000_000, records: [] }));
      await put("webllm/config", `${base}mlc-chat-config.json`, JSON.stringify({ tokenizer_files: ["tokenizer.json"] }));
      await put("webllm/wasm", `https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/Llama-3.2-1B-Instruct-q4f32_1_cs1k-webgpu.wasm`, new Uint8Array(1_000_000));
      await put("webllm/model", `${base}tokenizer.json`, "{}");
      await put("webllm/model", `${base}tensor-cache.json`, JSON.stringify({ metadata: {}, records: shards }));
      await put("webllm/model", `${base}params_shard_0.bin`, new Uint8Array(4_000_000));
    }, LLAMA);
    const listed = await page.evaluate(async (id) => (await window.aios.models.list()).find((m) => m.id === id)!, LLAMA);
    expect(listed).toMatchObject({ cached: false, offline: false, partial: { stored: 5, total: 7 }, sizeEstimated: false });
    expect(listed.diskBytes).toBeGreaterThan(5_000_000);
    expect(listed.sizeBytes! - listed.diskBytes).toBe(8_000_000);

    await page.getByRole("region", { name: "Model manager" }).getByRole("button", { name: /^Models/ }).click();
    const picker = page.getByRole("dialog", { name: "Models" });
    await picker.getByRole("checkbox", { name: /Show all/ }).check();
    const row = picker.getByRole("listitem", { name: LLAMA_LABEL, exact: true });
    await row.scrollIntoViewIfNeeded();
    expect(await row.textContent()).toMatch(/5 MB on disk.*resumes: 5 of 7 files already downloaded/);
    expect(await row.getByRole("button", { name: `Load ${LLAMA_LABEL}` }).textContent()).toBe("Resume download");
    await shoot(page, "model-manager-partial");

    await row.getByRole("button", { name: `Delete ${LLAMA_LABEL}` }).click();
    await expect.poll(() => row.getByRole("button", { name: `Delete ${LLAMA_LABEL}` }).count(), { timeout: 60_000 }).toBe(0);
    const after = await page.evaluate(async (id) => (await window.aios.models.list()).find((m) => m.id === id)!, LLAMA);
    expect(after).toMatchObject({ diskBytes: 0, cached: false });
    expect(after.partial).toBeUndefined();
    expect(await picker.getByRole("alert").count()).toBe(0);
    // web-llm's library is its own chunk (assets/lib-*.js, fetched on a load: webllm.test.ts).
    expect(scripts.filter((path) => /\/assets\/lib-[^/]*\.js$/.test(path))).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("refuses a download the browser's storage cannot hold, before anything is fetched, and the picker says why", async () => {
  const app = await openApp(browser, "?device=wasm");
  try {
    const { page, context } = app;
    const origin = new URL(page.url()).origin;
    const { usage } = await page.evaluate(() => navigator.storage.estimate());
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: (usage ?? 0) + 200 * 2 ** 20 });
    try {
      const error = await page.evaluate((id) => window.aios.models.load(id).then(() => null, (e: Error & { code?: string }) => ({ code: e.code, message: e.message })), LLAMA);
      expect(error?.code).toBe("ENOSPC");
      expect(error?.message).toMatch(/not enough storage to download Llama-3\.2-1B-Instruct-q4f32_1-MLC .*\(estimated from its memory needs: 1\.1 GB\): it needs about 1\.1 GB more, but the browser lets this site store only \d+ MB more \(quota \d+ MB, [\d.]+ [KMG]?B used\)\. Delete a downloaded model or free disk space; nothing was downloaded\./);

      await page.getByRole("region", { name: "Model manager" }).getByRole("button", { name: /^Models/ }).click();
      const picker = page.getByRole("dialog", { name: "Models" });
      await picker.getByRole("checkbox", { name: /Show all/ }).check();
      const row = picker.getByRole("listitem", { name: LLAMA_LABEL, exact: true });
      await row.getByRole("button", { name: `Load ${LLAMA_LABEL}` }).click();
      await expect.poll(() => picker.getByRole("alert").textContent()).toMatch(/not enough storage to download .* only \d+ MB more/);
      expect(await page.getByTestId("model").textContent()).toBe("aios-tiny");
      await shoot(page, "model-manager-nospace");
    } finally {
      await cdp.send("Storage.overrideQuotaForOrigin", { origin }).catch(() => undefined);
    }
    // Nothing was fetched: no request left (or tried to leave) the machine.
    app.assertOffline();
  } finally {
    await app.close();
  }
});
