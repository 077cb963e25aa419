// The file system through the real stack: window.aios → shared kernel worker → IndexedDB in
// Chromium. Versions, rollback, search, namespaces, export/import, and durability across a reload,
// a page killed mid-write, and a browser restart on the same profile.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, inject, it } from "vitest";
import { openApp, openWithProfile, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("an app's files: versions, rollback, search, namespaces, export and import, typed errors", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const notes = await window.aios.spawn({ name: "notes-app" });
      const other = await window.aios.spawn({ name: "other-app" });
      const s = notes.storage;
      await s.write("journal/monday.md", "Walked the dog, Biscuit, by the river.");
      await s.write("journal/monday.md", "Walked the dog, Biscuit, by the river. Rain later.", { mood: "ok" });
      await s.write("settings.json", { theme: "dark", fontSize: 14 });
      await s.write("photo.bin", new Blob([new Uint8Array([1, 2, 3])], { type: "image/x-raw" }));
      const read = await s.read("journal/monday.md");
      const v1 = await s.read("journal/monday.md", { version: 1 });
      const rolled = await s.rollback("journal/monday.md", 1);
      const versions = (await s.versions("journal/monday.md")).map((v) => v.version);
      const hits = await s.search("dog river", { mode: "lexical" });
      const photo = await s.read("photo.bin");
      const bytes = [...new Uint8Array(await (photo.content as Blob).arrayBuffer())];
      const otherSees = await other.storage.list();
      const exported = await s.export();
      const removed = await s.remove("settings.json");
      const restored = await s.import(exported);
      const codes = await Promise.all([
        s.write("../escape", "x"),
        s.read("missing.txt"),
        s.read("journal/monday.md", { version: 99 }),
        s.search("", {}),
        other.storage.import(exported),
        s.write("big", "x".repeat(33 * 1024 * 1024)),
      ].map((p) => (p as Promise<unknown>).then(() => "ok", (e) => (e as { code?: string }).code)));
      await notes.exit();
      // Data outlives the process: a new process of the same app sees it.
      const again = await window.aios.spawn({ name: "notes-app" });
      const list = (await again.storage.list()).map((f) => [f.path, f.version, f.type]);
      return { read: [read.content, read.version, read.meta], v1: v1.content, rolled, versions, hits, bytes, otherSees, removed, restored, codes, list };
    });
    expect(out.read).toEqual(["Walked the dog, Biscuit, by the river. Rain later.", 2, { mood: "ok" }]);
    expect(out.v1).toBe("Walked the dog, Biscuit, by the river.");
    expect(out.rolled).toEqual({ path: "journal/monday.md", version: 3 });
    expect(out.versions).toEqual([1, 2, 3]);
    expect(out.hits[0]).toMatchObject({ path: "journal/monday.md", snippet: "Walked the dog, Biscuit, by the river." });
    expect(out.bytes).toEqual([1, 2, 3]);
    expect(out.otherSees).toEqual([]);
    expect(out.removed).toEqual({ path: "settings.json", versions: 1 });
    expect(out.restored).toEqual({ files: 3, versions: 5 });
    expect(out.codes).toEqual(["EINVAL", "ENOENT", "ENOENT", "EINVAL", "EPERM", "EQUOTA"]);
    expect(out.list).toEqual([
      ["journal/monday.md", 3, "text"],
      ["photo.bin", 1, "blob"],
      ["settings.json", 1, "json"],
    ]);
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("committed files survive a reload and a page killed in the middle of writing", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "durable" });
      await p.storage.write("committed.txt", "written before the reload");
    });
    await page.reload();
    await page.evaluate(() => window.aios.ready);
    expect(await page.evaluate(async () => (await (await window.aios.spawn({ name: "durable" })).storage.read("committed.txt")).content)).toBe("written before the reload");

    // Fire 200 writes (each file's version n holds the word "wordN") and kill the page midway.
    await page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "durable" });
      await p.storage.write("marker.txt", "start");
      const writes = Array.from({ length: 200 }, (_, i) => p.storage.write(`burst/f${i % 20}.txt`, `burst version word${Math.floor(i / 20) + 1}`));
      writes.forEach((w) => w.catch(() => {}));
      // Kill once some have committed, with most still queued or in flight.
      await writes[25];
    });
    await page.close({ runBeforeUnload: false });
    // The shared kernel ends with its last page; open a new one on the same origin and storage.
    const next = await app.context.newPage();
    await next.goto(new URL("?device=wasm", inject("baseUrl")).href);
    const check = await next.evaluate(async () => {
      await window.aios.ready;
      const p = await window.aios.spawn({ name: "durable" });
      const files = await p.storage.list("burst/");
      const problems: string[] = [];
      for (const f of files) {
        const r = await p.storage.read(f.path);
        const n = Number(/word(\d+)/.exec(r.content as string)?.[1]);
        if (r.version !== n) problems.push(`${f.path}: version ${r.version} holds word${n}`);
        // The index holds exactly the current version's words.
        const hits = await p.storage.search(`word${n}`, { mode: "lexical", prefix: f.path, k: 5 });
        if (hits.length !== 1) problems.push(`${f.path}: search for its own word found ${hits.length}`);
        if (n > 1 && (await p.storage.search(`word${n - 1}`, { mode: "lexical", prefix: f.path })).length !== 0) problems.push(`${f.path}: stale terms`);
      }
      return { files: files.length, problems, marker: (await p.storage.read("marker.txt")).content };
    });
    expect(check.marker).toBe("start");
    expect(check.files).toBeGreaterThan(0);
    expect(check.problems).toEqual([]);
    await next.close();
  } finally {
    await app.close();
  }
});

it("files survive a browser restart on the same profile", async () => {
  const profile = mkdtempSync(join(tmpdir(), "aios-profile-"));
  const open = () => openWithProfile(profile);

  try {
    const first = await open();
    await first.page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "diary" });
      await p.storage.write("day1.md", "Met Ada at the library.");
      await p.storage.write("day1.md", "Met Ada at the library. We talked about engines.");
    });
    await first.context.close();
    const second = await open();
    const out = await second.page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "diary" });
      return { read: await p.storage.read("day1.md"), hits: await p.storage.search("engines", { mode: "lexical" }) };
    });
    await second.context.close();
    expect([out.read.content, out.read.version]).toEqual(["Met Ada at the library. We talked about engines.", 2]);
    expect(out.hits.map((h) => h.path)).toEqual(["day1.md"]);
    expect([...first.offsite(), ...second.offsite()]).toEqual([]);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});

it("the Files window shows usage, apps, files, search and previews, and exports and imports (screenshot)", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const { page } = app;
    await page.evaluate(async () => {
      const p = await window.aios.spawn({ name: "travel-planner" });
      await p.storage.write("trips/lisbon.md", "Lisbon in May: trams, tiles and custard tarts. Book the hotel by Friday.");
      await p.storage.write("trips/kyoto.md", "Kyoto in autumn: temples, maple leaves, a day trip to Nara.");
      await p.storage.write("budget.json", { lisbon: 1200, kyoto: 2600, currency: "EUR" });
    });
    await page.getByRole("button", { name: "Files" }).click();
    const files = page.getByRole("dialog", { name: "Files" });
    await files.getByRole("button", { name: /travel-planner/ }).click();
    const table = files.getByRole("table", { name: "Files of travel-planner" });
    await expect.poll(() => table.locator("tbody tr").count()).toBe(3);
    await expect.poll(() => files.getByTestId("usage").textContent()).toMatch(/using .+ of .+/);
    await files.getByRole("textbox", { name: "Search files" }).fill("temples");
    await files.getByRole("button", { name: "Search" }).click();
    const results = files.getByRole("list", { name: "Search results" });
    await expect.poll(() => results.locator("li").first().textContent()).toContain("trips/kyoto.md");
    await results.getByRole("button", { name: "trips/kyoto.md" }).click();
    await expect.poll(() => files.getByLabel("File content").textContent()).toContain("maple leaves");
    await files.getByRole("button", { name: "Keep my data" }).click();
    await expect.poll(() => files.getByRole("status").textContent()).toMatch(/declined|will keep/);
    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/files.png" });

    const [download] = await Promise.all([page.waitForEvent("download"), files.getByRole("button", { name: "Export all" }).click()]);
    const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
    expect(exported.files.filter((f: { ns: string }) => f.ns === "travel-planner").length).toBe(3);
    // Remove a file, then import the export from the file picker: it is back.
    await page.evaluate(async () => (await window.aios.spawn({ name: "travel-planner" })).storage.remove("trips/lisbon.md"));
    await files.getByLabel("Import files").setInputFiles(await download.path());
    await expect.poll(() => files.getByRole("status").textContent()).toMatch(/Imported \d+ files/);
    expect(await page.evaluate(async () => (await (await window.aios.spawn({ name: "travel-planner" })).storage.read("trips/lisbon.md")).content)).toContain("custard tarts");
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
