// Apps on the real stack (the kernel in Chromium's shared worker, the embedded model, IndexedDB):
// the bundled apps are installed on first boot; an app is installed, launched with an input and
// used, updated (its new capability waits for the user's grant), exported with its data,
// uninstalled, imported back — and all of it survives a reload.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("install → launch → use → update (re-consent) → export → uninstall → import, on the embedded model", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e) => `${(e as { code?: string }).code}: ${(e as Error).message}`);
      const bundled = (await window.aios.apps.list()).map((a) => a.manifest.id);
      const manifest = {
        manifestVersion: 1 as const,
        id: "converter",
        name: "Converter",
        version: "1.0.0",
        description: "Converts units.",
        icon: "📏",
        kind: "nl" as const,
        instructions: "You are AIOS, a helpful assistant inside a browser operating system.",
        capabilities: ["units", "files"],
        ui: "window" as const,
      };
      const installed = await window.aios.apps.install(JSON.stringify(manifest));
      const badInstall = await codeOf(window.aios.apps.install({ ...manifest, id: "Bad id" }));
      const started = performance.now();
      const p = await window.aios.apps.launch("converter", "How many miles is 5 km?");
      const launchMs = performance.now() - started;
      const reply = await p.output!;
      const info = await p.info();
      await p.storage.write("saved.md", "5 km is about 3.1 miles");
      const squat = await codeOf(window.aios.spawn({ name: "converter" }));
      const updated = await window.aios.apps.update("converter", { ...manifest, version: "1.1.0", capabilities: ["units", "files", "clock"] });
      const beforeGrant = (await (await window.aios.apps.launch("converter")).info()).capabilities;
      const granted = await window.aios.apps.grant("converter", ["clock"]);
      const afterGrant = (await (await window.aios.apps.launch("converter")).info()).capabilities;
      const file = await window.aios.apps.export("converter", { data: true });
      const removed = await window.aios.apps.uninstall("converter", { keepData: false });
      const gone = await codeOf(window.aios.apps.launch("converter"));
      const left = await window.aios.storage.list(undefined, { namespace: "converter" });
      const imported = await window.aios.apps.import(file);
      const back = await window.aios.apps.launch("converter");
      const saved = await back.storage.read("saved.md");
      const history = await back.memory.history();
      return { bundled, installed, badInstall, launchMs, reply: { content: reply.content, calls: reply.toolCalls.map((c) => c.name) }, info, squat, updated, beforeGrant, granted, afterGrant, fileBytes: file.size, removed, gone, left, imported, saved: saved.content, turns: history.turns.length };
    });
    expect(out.bundled.sort()).toEqual(["assistant", "camera-reader", "notes", "related-work", "researcher", "where-am-i"]);
    expect(out.installed).toMatchObject({ manifest: { id: "converter", version: "1.0.0" }, granted: ["units", "files"], pending: [], bundled: false });
    expect(out.badInstall).toMatch(/^EINVAL: manifest\.id:/);
    expect(out.info).toMatchObject({ name: "Converter", app: "converter", capabilities: ["units", "files"] });
    expect(out.reply.calls).toEqual(["units"]);
    expect(out.reply.content).toMatch(/3\.1/);
    expect(out.squat).toMatch(/^EPERM: name: converter is an installed app's id/);
    expect(out.updated).toMatchObject({ added: ["clock"], app: { granted: ["units", "files"], pending: ["clock"] } });
    expect(out.beforeGrant).toEqual(["units", "files"]);
    expect(out.granted).toMatchObject({ pending: [] });
    expect(out.afterGrant).toEqual(["units", "files", "clock"]);
    expect(out.removed).toMatchObject({ id: "converter", processes: 3 });
    expect(out.removed.files).toBeGreaterThan(1);
    expect(out.gone).toMatch(/^ENOENT/);
    expect(out.left).toEqual([]);
    expect(out.imported).toMatchObject({ manifest: { id: "converter", version: "1.1.0" }, imported: { files: out.removed.files } });
    expect(out.saved).toBe("5 km is about 3.1 miles");
    expect(out.turns).toBeGreaterThan(1);
    console.log(`apps: launch ${out.launchMs.toFixed(0)} ms, app file ${out.fileBytes} bytes`);

    // Installed apps survive a reload; an uninstalled bundled app does not come back.
    await app.page.evaluate(() => window.aios.apps.uninstall("where-am-i"));
    await app.page.reload();
    await app.page.evaluate(() => window.aios.ready);
    const after = await app.page.evaluate(async () => (await window.aios.apps.list()).map((a) => `${a.manifest.id}@${a.manifest.version}`));
    expect(after).toContain("converter@1.1.0");
    expect(after).not.toContain("where-am-i@1.0.0");
    expect(after).toContain("notes@1.0.0");
    app.assertOffline();
  } finally {
    await app.close();
  }
});
