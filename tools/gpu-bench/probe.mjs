// Which WebGPU adapter headless Chromium gets with each candidate flag set (CHROME_PATH): prints
// one JSON line per set, and exits 0 when one of them is a hardware adapter, printing its flags last.
import { createServer } from "node:http";
import { chromium } from "playwright-core";

// WebGPU needs a secure context: a page from loopback (about:blank has no navigator.gpu).
const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>probe</title>"));
await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;

const base = ["--enable-unsafe-webgpu", "--no-sandbox", "--ignore-gpu-blocklist", "--disable-gpu-sandbox"];
const sets = [
  // Chrome's own Vulkan asks for a surface extension a display-less NVIDIA driver lacks
  // (vkCreateInstance: VK_ERROR_EXTENSION_NOT_PRESENT); --disable-vulkan-surface drops it.
  ["--enable-features=Vulkan", "--use-vulkan=native", "--disable-vulkan-surface", "--use-angle=vulkan"],
  ["--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan", "--use-angle=vulkan", "--disable-vulkan-surface"],
  ["--enable-features=Vulkan", "--use-vulkan=native", "--disable-vulkan-surface", "--use-gl=angle", "--use-angle=swiftshader-webgl"],
  ["--enable-features=Vulkan", "--use-vulkan=native", "--use-angle=vulkan"],
  []];
/** chrome://gpu's text (it lives in shadow roots) from its "Dawn Info" section: the adapters Dawn sees. */
async function dawnInfo(page, waitMs) {
  await page.goto("chrome://gpu");
  await page.waitForTimeout(waitMs);
  const text = await page.evaluate(() => {
    const walk = (node) => [...(node.shadowRoot ? [node.shadowRoot] : []), ...node.childNodes].filter((n) => !["STYLE", "SCRIPT"].includes(n.nodeName)).map((n) => (n.nodeType === 3 ? n.textContent : walk(n))).join(" ");
    return walk(document.documentElement).replace(/\s+/g, " ");
  });
  const dawn = text.indexOf("Dawn Info");
  return dawn >= 0 ? text.slice(dawn, dawn + 3000) : "(no Dawn Info)";
}

let found = null;
for (const extra of sets) {
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH, args: [...base, ...extra], headless: true });
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    const adapter = await page.evaluate(async () => {
      // Core first (what ONNX Runtime needs); a compatibility-mode adapter is shown, never chosen.
      const core = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
      const a = core ?? (await navigator.gpu?.requestAdapter({ featureLevel: "compatibility" }));
      if (!a) return null;
      const i = a.info;
      return { core: Boolean(core), vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, f16: a.features.has("shader-f16"), maxBuffer: a.limits.maxBufferSize };
    });
    console.log(JSON.stringify({ flags: extra, adapter }));
    if (process.env.PROBE_DAWN && adapter) {
      console.log(await dawnInfo(page, 4000));
    }
    if (!found && adapter?.core && !/swiftshader|google/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`)) found = extra;
  } catch (e) {
    console.log(JSON.stringify({ flags: extra, error: String(e).slice(0, 300) }));
  } finally {
    await browser.close();
  }
}
if (!found) {
  // Why not: Chromium's own account of its GPU process.
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH, args: [...base, ...sets[0]], headless: true });
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.evaluate(() => navigator.gpu?.requestAdapter());
  console.log(await dawnInfo(page, 6000));
  await browser.close();
}
if (found) console.log(`HARDWARE_FLAGS=${found.join(" ")}`);
server.close();
process.exit(found ? 0 : 1);
