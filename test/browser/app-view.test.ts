// A code app's own window (its manifest's `view`) in real Chromium: an HTML document in an iframe
// sandboxed to scripts, an opaque origin with a policy that lets nothing load or connect. Its
// buttons use the SDK as the app's process (its capabilities, its files); it cannot reach the OS's
// page, storage or the network, nor make a call that is not the SDK's; closing the window ends it.
import { expect, it } from "vitest";
import { openApp, shoot, useBrowser } from "./harness.ts";
import { useTestSite } from "./test-site.ts";

const browser = useBrowser();
const site = useTestSite();

const VIEW = (target: string) => `
<style>body { font: 14px sans-serif; margin: 8px; } button { padding: 4px 10px; }</style>
<h1>Tip calculator</h1>
<button id="tip">15 % of 80</button> <output id="out"></output>
<pre id="probes">…</pre>
<script>
  // A hostile script takes the port itself and speaks the protocol raw.
  addEventListener("message", (e) => {
    if (!e.ports[0] || window.rawPort) return;
    window.rawPort = e.ports[0];
  });
  document.getElementById("tip").onclick = async () => {
    const tip = await aios.tools.call("calculator", { expression: "80 * 15 / 100" });
    await aios.storage.write("tips.md", "15 % of 80 = " + tip);
    document.getElementById("out").textContent = String(tip);
  };
  (async () => {
    const probes = {};
    const attempt = async (name, run) => { try { probes[name] = "reached: " + String(await run()).slice(0, 40); } catch (e) { probes[name] = e instanceof DOMException ? e.name : (e && (e.code || e.name)) || String(e); } };
    await attempt("parent", () => parent.document.title);
    await attempt("parentAios", () => typeof parent.aios.apps);
    await attempt("localStorage", () => localStorage.length);
    await attempt("indexedDB", () => new Promise((ok, no) => { const r = indexedDB.open("x"); r.onsuccess = () => ok("opened"); r.onerror = () => no(r.error); }));
    await attempt("cookie", () => { document.cookie = "a=1"; return document.cookie || "(none)"; });
    await attempt("fetch", () => fetch(${JSON.stringify(target)}).then((r) => r.status));
    await attempt("image", () => new Promise((ok, no) => { const i = new Image(); i.onload = () => ok("loaded"); i.onerror = () => no(Object.assign(new Error("blocked"), { name: "ImageBlocked" })); i.src = ${JSON.stringify(target)}; }));
    await attempt("netTool", () => aios.tools.call("fetch", { url: ${JSON.stringify(target)} }));
    probes.self = (await aios.self()).app;
    const raw = (msg) => new Promise((ok) => { const id = msg.id; const on = (m) => { if (m.data && m.data.id === id) { window.rawPort.removeEventListener("message", on); ok(m.data.error ? m.data.error.code : "ran"); } }; window.rawPort.addEventListener("message", on); window.rawPort.start(); window.rawPort.postMessage(msg); });
    while (!window.rawPort) await new Promise((r) => setTimeout(r, 20));
    probes.rawInstall = await raw({ id: "r1", name: "apps.install", args: { source: "{}" } });
    probes.rawAs = await raw({ id: "r2", name: "proc.self", args: {}, as: 1 });
    probes.rawJunk = await raw({ id: "r3", name: { toString: null } });
    document.getElementById("probes").textContent = JSON.stringify(probes);
  })();
</script>`;

it("a code app's window: its view uses the SDK as the app; the page, storage and network are out of reach", async () => {
  const app = await openApp(browser(), "?device=wasm");
  const { page } = app;
  try {
    const target = `${site()}/blank.html`;
    await page.evaluate(async (view) => {
      await window.aios.apps.install({
        manifestVersion: 1, id: "tips", name: "Tips", version: "1.0.0", description: "Works out tips.", icon: "💶", kind: "code",
        entry: "export default async function () { return 'ready'; }", view, capabilities: ["calculator", "files"], ui: "window",
      });
    }, VIEW(target));
    await page.getByRole("button", { name: "Apps", exact: true }).click();
    await page.getByRole("dialog", { name: "Apps" }).getByRole("button", { name: "Open Tips" }).click();
    const win = page.getByRole("dialog", { name: /Tips$/ });
    await win.waitFor();
    const frame = page.frameLocator('iframe[title="Tips"]');
    expect(await win.locator("iframe").getAttribute("sandbox")).toBe("allow-scripts");
    await expect.poll(() => frame.locator("#probes").textContent(), { timeout: 20_000 }).toMatch(/^\{/);
    const probes = JSON.parse((await frame.locator("#probes").textContent())!) as Record<string, string>;
    expect(probes.parent).toBe("SecurityError");
    expect(probes.parentAios).toBe("SecurityError");
    expect(probes.localStorage).toBe("SecurityError");
    expect(probes.indexedDB).toBe("SecurityError");
    expect(probes.cookie).not.toMatch(/a=1/);
    expect(probes.fetch).toBe("TypeError");
    expect(probes.image).toBe("ImageBlocked");
    expect(probes.netTool).toBe("EPERM"); // the app holds no network capability
    expect(probes.self).toBe("tips");
    expect(probes.rawInstall).toBe("ENOSYS");
    expect(probes.rawAs).toBe("ENOSYS");
    expect(probes.rawJunk).toBe("ENOSYS");

    await frame.getByRole("button", { name: "15 % of 80" }).click();
    await expect.poll(() => frame.locator("#out").textContent(), { timeout: 20_000 }).toBe("12");
    const saved = await page.evaluate(() => window.aios.storage.read("tips.md", { namespace: "tips" }).then((f) => f.content));
    expect(saved).toBe("15 % of 80 = 12");
    await shoot(page, "app-view");

    // Closing the window ends the app's process.
    const pid = Number(await win.locator(".app-window").getAttribute("data-pid"));
    expect((await page.evaluate(async () => (await window.aios.kernel.ps()).map((p) => [p.pid, p.state])))).toContainEqual([pid, expect.not.stringMatching(/done/)]);
    await win.getByRole("button", { name: "Close 💶 Tips" }).click();
    await expect.poll(async () => (await page.evaluate(async (p) => (await window.aios.kernel.wait(p)).status, pid))).toBe("killed");
    app.assertOffline();
  } finally {
    await app.close();
  }
}, 120_000);
