// OCR end to end in real headless Chromium: a fake camera (an MJPEG of printed lines) feeds
// getUserMedia, one frame is grabbed, the stream stopped, and src/client/devices/ocr.ts reads the
// frame in the page (lab.html) from model files on our own origin; nothing leaves the machine.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchWithArgs } from "./chromium.ts";
import { fakeCameraArgs, makeFakeCameraFile } from "./fake-camera.ts";
import { openApp, useBrowser } from "./harness.ts";

// Tesseract's LSTM drops the spaces of a short line of one-digit words ("OPEN 9 TO 5" reads
// "OPEN9TO5" in DejaVu/Liberation Sans at 20-96 px); a longer line reads exactly.
const LINES = ["OPEN 9 TO 5 DAILY", "Room 214"];
const normal = (s: string) => s.toUpperCase().replace(/\s+/g, " ");

const renderer = useBrowser();
let camera: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aios-camera-"));
  const file = await makeFakeCameraFile(renderer(), LINES, join(dir, "camera.mjpeg"));
  camera = await launchWithArgs(fakeCameraArgs(file));
});
afterAll(async () => {
  await camera?.close();
  await rm(dir, { recursive: true, force: true });
});

/** In the page: one frame from the camera as window.frame, every track stopped; the tracks' states. */
const grabFrame = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const [track] = stream.getVideoTracks();
  const Capture = (globalThis as unknown as { ImageCapture: new (t: MediaStreamTrack) => { grabFrame(): Promise<ImageBitmap> } }).ImageCapture;
  const frame = await new Capture(track!).grabFrame();
  for (const t of stream.getTracks()) t.stop();
  (window as unknown as Framed).frame = frame;
  return { states: stream.getTracks().map((t) => t.readyState), size: [frame.width, frame.height] };
};
type Framed = { frame: ImageBitmap };
const tesseractWorkers = (page: Page) => page.workers().filter((w) => w.url().includes("/worker.min")).length;

it("reads printed text from a camera frame, on our own origin only, with the camera stopped", async () => {
  const app = await openApp(camera, "lab.html", { waitReady: false });
  const requested: string[] = [];
  app.context.on("request", (r) => requested.push(r.url()));
  try {
    const cam = await app.page.evaluate(grabFrame);
    expect(cam).toEqual({ states: ["ended"], size: [640, 480] });
    const cold = await app.page.evaluate(() => window.lab.ocr((window as unknown as Framed).frame));
    const warm = await app.page.evaluate(() => window.lab.ocr((window as unknown as Framed).frame));
    console.log(`OCR of a 640x480 frame: cold ${cold.ms} ms (model load + first frame), warm ${warm.ms} ms; read ${JSON.stringify(cold.text)} at ${cold.confidence}`);
    for (const r of [cold, warm]) {
      for (const line of LINES) expect(normal(r.text)).toContain(normal(line));
      expect(r.confidence).toBeGreaterThan(0.5);
      expect(r.confidence).toBe(Math.round(r.confidence * 100) / 100);
    }
    expect(warm.text).toBe(cold.text);
    expect(tesseractWorkers(app.page), "one OCR worker per page").toBe(1);
    // It fetched exactly its assets, each once, from this origin.
    const assets = await app.page.evaluate(() => window.lab.ocrAssets());
    const origin = new URL(app.page.url()).origin;
    expect(assets.every((u) => new URL(u).origin === origin)).toBe(true);
    for (const u of assets) expect(requested.filter((r) => r === u), u).toHaveLength(1);
    app.assertOffline();
    expect(app.errors).toEqual([]);
  } finally {
    await app.close();
  }
});

it("fails a load with ELOAD and loads afresh on the next call; an abort fails only its own call", async () => {
  const app = await openApp(camera, "lab.html", { waitReady: false });
  let loads = 0; // fetches of the language data: one per worker load
  app.context.on("request", (r) => void (r.url().endsWith("/eng.traineddata.gz") && loads++));
  try {
    await app.page.evaluate(grabFrame);
    await app.context.route("**/eng.traineddata.gz", (route) => route.fulfill({ status: 404, body: "gone" }));
    const failed = await app.page.evaluate(() => window.lab.ocr((window as unknown as Framed).frame).then(() => null, (e: Error & { code?: string }) => ({ code: e.code, message: e.message })));
    expect(failed).toMatchObject({ code: "ELOAD", message: expect.stringContaining("404") });
    await expect.poll(() => tesseractWorkers(app.page), { message: "the failed load's worker is terminated" }).toBe(0);
    await app.context.unroute("**/eng.traineddata.gz");
    const retried = await app.page.evaluate(() => window.lab.ocr((window as unknown as Framed).frame));
    expect(normal(retried.text)).toContain("ROOM 214");
    // An image Tesseract cannot decode fails that call only: no reload follows.
    const unreadable = await app.page.evaluate(() => window.lab.ocr(new Blob(["not an image"])).then(() => null, (e: Error & { code?: string }) => e.code));
    expect(unreadable).toBe("EIO");
    // Aborted mid-recognition: that call rejects with the signal's reason, the next one still reads.
    const [aborted, after] = await app.page.evaluate(async () => {
      // A page of 40 lines (seconds of work) so the abort lands mid-recognition on any machine.
      const page = new OffscreenCanvas(1600, 1200);
      const g = page.getContext("2d")!;
      g.fillStyle = "#fff";
      g.fillRect(0, 0, 1600, 1200);
      g.fillStyle = "#111";
      g.font = "20px sans-serif";
      for (let i = 0; i < 40; i++) g.fillText(`Line ${i}: the quick brown fox jumps over the lazy dog, again and again and again.`, 20, 30 * (i + 1));
      const blob = await page.convertToBlob({ type: "image/png" });
      const controller = new AbortController();
      const first = window.lab.ocr(blob, controller.signal).then(() => "finished", (e: Error) => e.name);
      const second = window.lab.ocr((window as unknown as Framed).frame);
      setTimeout(() => controller.abort(), 100);
      return [await first, (await second).text] as const;
    });
    expect(aborted).toBe("AbortError");
    expect(normal(after)).toContain("OPEN 9 TO 5 DAILY");
    expect(loads, "the 404, the retry, and the reload after the abort stopped the worker").toBe(3);
    await expect.poll(() => tesseractWorkers(app.page), { message: "the stopped worker is gone" }).toBe(1);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
