/**
 * `camera.snapshot` and `camera.read`: one frame from the camera, then the stream is stopped (no
 * camera light left on): every track of every stream this module opens is stopped before its call
 * answers, whatever happens. `camera.read` runs OCR on the frame in this tab (./ocr.ts, a real
 * model shipped with the app, offline).
 */
import { deviceError, whenAborted, type DeviceDriver } from "./driver.ts";

/** Streams open now (normally none: a call's stream lives only while it grabs its frame). */
const open = new Set<MediaStream>();

export function liveCameraTracks(): number {
  let n = 0;
  for (const s of open) n += s.getTracks().filter((t) => t.readyState === "live").length;
  return n;
}

async function hasCamera(): Promise<boolean> {
  const media = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  if (!media?.getUserMedia || !media.enumerateDevices) return false;
  return (await media.enumerateDevices()).some((d) => d.kind === "videoinput");
}

function cameraError(error: unknown): Error {
  const name = (error as { name?: string } | null)?.name;
  const message = (error as Error | null)?.message ?? String(error);
  if (name === "NotAllowedError" || name === "SecurityError") return deviceError("EPERM", "the browser blocks the camera for this site (see its site settings)");
  if (name === "NotFoundError" || name === "OverconstrainedError") return deviceError("ENODEV", "no camera is available in this tab");
  if (name === "NotReadableError") return deviceError("EIO", "the camera is in use by another program or failed to start");
  return (error as { code?: string } | null)?.code ? (error as Error) : deviceError("EIO", `the camera failed: ${message}`);
}

/** Grabs one frame; the stream is stopped before this returns or throws. */
async function grabFrame(signal: AbortSignal): Promise<ImageBitmap> {
  let stream: MediaStream;
  try {
    stream = await Promise.race([navigator.mediaDevices.getUserMedia({ video: true, audio: false }), whenAborted(signal)]);
  } catch (error) {
    throw cameraError(error);
  }
  open.add(stream);
  try {
    const track = stream.getVideoTracks()[0];
    if (!track) throw deviceError("ENODEV", "the camera gave no video");
    return await Promise.race([frameOf(stream, track), whenAborted(signal)]);
  } catch (error) {
    throw cameraError(error);
  } finally {
    for (const t of stream.getTracks()) t.stop();
    open.delete(stream);
  }
}

async function frameOf(stream: MediaStream, track: MediaStreamTrack): Promise<ImageBitmap> {
  const Capture = (globalThis as unknown as { ImageCapture?: new (t: MediaStreamTrack) => { grabFrame(): Promise<ImageBitmap> } }).ImageCapture;
  if (Capture) return new Capture(track).grabFrame();
  // Without ImageCapture (Firefox, Safari): play the stream in a detached <video>, draw a frame.
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  try {
    return await createImageBitmap(video);
  } finally {
    video.pause();
    video.srcObject = null;
  }
}

async function jpeg(frame: ImageBitmap): Promise<ArrayBuffer> {
  const canvas = new OffscreenCanvas(frame.width, frame.height);
  canvas.getContext("2d")!.drawImage(frame, 0, 0);
  return (await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 })).arrayBuffer();
}

export const cameraSnapshotDriver: DeviceDriver = {
  name: "camera.snapshot",
  available: hasCamera,
  async run(_args, signal) {
    const frame = await grabFrame(signal);
    try {
      return { type: "image/jpeg", data: await jpeg(frame), width: frame.width, height: frame.height };
    } finally {
      frame.close();
    }
  },
};

export const cameraReadDriver: DeviceDriver = {
  name: "camera.read",
  available: hasCamera,
  async run(_args, signal) {
    const frame = await grabFrame(signal);
    try {
      const { recognizeText } = await import("./ocr.ts");
      const r = await recognizeText(frame, signal);
      return { text: r.text, confidence: r.confidence };
    } finally {
      frame.close();
    }
  },
};
