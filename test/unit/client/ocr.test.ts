// src/client/devices/ocr.ts's life cycle with tesseract.js replaced by a scripted fake (the real
// model runs in test/browser/ocr.test.ts): one worker per page, a failed load retried afresh, the
// idle timeout, aborts and terminateOcr() failing only the calls they hit.
import { afterEach, beforeEach, expect, it, vi } from "vitest";

type Job = { resolve(page: { text: string; confidence: number }): void; reject(e: unknown): void };
const fake = vi.hoisted(() => ({
  workers: [] as { terminated: boolean }[],
  jobs: [] as Job[],
  failNextLoad: null as string | null,
}));

vi.mock("tesseract.js", () => ({
  OEM: { LSTM_ONLY: 1 },
  // Like tesseract.js: the Worker is made synchronously; a failed load only calls errorHandler.
  createWorker: (_langs: string, _oem: number, options: { workerPath: string; errorHandler(e: unknown): void }) => {
    new Worker(options.workerPath);
    const failure = fake.failNextLoad;
    fake.failNextLoad = null;
    if (failure) {
      setTimeout(() => options.errorHandler(failure), 0);
      return new Promise(() => {});
    }
    return Promise.resolve({
      setParameters: async () => ({}),
      recognize: () => new Promise((resolve, reject) => fake.jobs.push({ resolve: (data) => resolve({ data }), reject })),
    });
  },
}));

class FakeWorker {
  terminated = false;
  constructor() {
    fake.workers.push(this);
  }
  terminate() {
    this.terminated = true;
  }
  addEventListener() {}
}

const image = new Blob(["png"]);
const settle = () => new Promise((r) => setTimeout(r, 0));
/** Answers the oldest pending recognition. */
async function answer(text: string, confidence = 87.4) {
  for (let i = 0; i < 20 && !fake.jobs.length; i++) await settle();
  fake.jobs.shift()!.resolve({ text, confidence });
}
const live = () => fake.workers.filter((w) => !w.terminated).length;

beforeEach(() => {
  vi.resetModules();
  vi.stubGlobal("Worker", FakeWorker);
  vi.stubGlobal("location", new URL("http://127.0.0.1:4173/lab.html"));
  fake.workers.length = fake.jobs.length = 0;
  fake.failNextLoad = null;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

it("loads one worker for every call, tidies the text and rounds the confidence", async () => {
  const { recognizeText, ocrAssets } = await import("../../../src/client/devices/ocr.ts");
  const a = recognizeText(image);
  const b = recognizeText(image);
  await answer("  OPEN 9 TO 5  \n\n\n\nRoom 214\n\n");
  await answer("x");
  expect(await a).toMatchObject({ text: "OPEN 9 TO 5\n\nRoom 214", confidence: 0.87 });
  expect((await b).text).toBe("x");
  expect(fake.workers).toHaveLength(1);
  expect(ocrAssets().every((u) => u.startsWith("http://127.0.0.1:4173/"))).toBe(true);
  expect(ocrAssets().map((u) => u.split("/").at(-1))).toEqual(["worker.min.js", "tesseract-core-simd-lstm.wasm.js", "eng.traineddata.gz"]);
});

it("fails a load with ELOAD, terminates that worker, and loads afresh on the next call", async () => {
  const { recognizeText } = await import("../../../src/client/devices/ocr.ts");
  fake.failNextLoad = "Network error while fetching eng.traineddata.gz. Response code: 404";
  await expect(recognizeText(image)).rejects.toMatchObject({ code: "ELOAD", message: expect.stringContaining("404") });
  expect(live()).toBe(0);
  const again = recognizeText(image);
  await answer("ok");
  expect((await again).text).toBe("ok");
  expect(fake.workers).toHaveLength(2);
});

it("terminates the worker after 60 s with no call, not while one runs or waits", async () => {
  vi.useFakeTimers();
  const { recognizeText } = await import("../../../src/client/devices/ocr.ts");
  const first = recognizeText(image);
  await vi.advanceTimersByTimeAsync(0);
  await vi.advanceTimersByTimeAsync(120_000); // a long recognition: the worker stays
  expect(live()).toBe(1);
  fake.jobs.shift()!.resolve({ text: "a", confidence: 90 });
  await first;
  await vi.advanceTimersByTimeAsync(59_000);
  expect(live()).toBe(1);
  await vi.advanceTimersByTimeAsync(1_000);
  expect(live()).toBe(0);
});

it("an abort mid-recognition rejects that call and stops the worker; the next call gets a new one", async () => {
  const { recognizeText } = await import("../../../src/client/devices/ocr.ts");
  const controller = new AbortController();
  const first = recognizeText(image, controller.signal);
  const second = recognizeText(image);
  for (let i = 0; i < 20 && !fake.jobs.length; i++) await settle();
  controller.abort();
  await expect(first).rejects.toMatchObject({ name: "AbortError" });
  expect(fake.workers[0]!.terminated).toBe(true);
  fake.jobs.shift(); // the stopped worker's job, never answered
  await answer("second");
  expect((await second).text).toBe("second");
  expect(fake.workers).toHaveLength(2);
});

it("terminateOcr() fails the call in progress with EIO; a failed job leaves the worker alone", async () => {
  const { recognizeText, terminateOcr } = await import("../../../src/client/devices/ocr.ts");
  const running = recognizeText(image);
  for (let i = 0; i < 20 && !fake.jobs.length; i++) await settle();
  await terminateOcr();
  await expect(running).rejects.toMatchObject({ code: "EIO" });
  fake.jobs.shift();
  const bad = recognizeText(image);
  for (let i = 0; i < 20 && !fake.jobs.length; i++) await settle();
  fake.jobs.shift()!.reject("Error attempting to read image.");
  await expect(bad).rejects.toMatchObject({ code: "EIO", message: expect.stringContaining("read image") });
  expect(live()).toBe(1);
});
