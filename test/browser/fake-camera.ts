/**
 * A fake camera for browser tests: lines of text drawn dark on white (640x480, 48 px sans-serif),
 * rendered in a page of a real Chromium and written as an MJPEG file (concatenated JPEG frames),
 * which a Chromium launched with fakeCameraArgs(file) serves as its only camera, looping.
 */
import { writeFile } from "node:fs/promises";
import type { Browser } from "playwright-core";

export const FAKE_CAMERA = { width: 640, height: 480 } as const;

/** Chromium flags that make `file` the camera and grant camera access without a prompt. */
export function fakeCameraArgs(file: string): string[] {
  return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${file}`];
}

export async function makeFakeCameraFile(browser: Browser, lines: string[], path: string): Promise<string> {
  const page = await browser.newPage(); // about:blank: draws offline, loads nothing
  try {
    const jpeg = await page.evaluate(
      ({ lines, width, height }) => {
        const canvas = document.createElement("canvas");
        Object.assign(canvas, { width, height });
        const g = canvas.getContext("2d")!;
        g.fillStyle = "#fff";
        g.fillRect(0, 0, width, height);
        g.fillStyle = "#111";
        g.font = "48px sans-serif";
        g.textAlign = "center";
        g.textBaseline = "middle";
        const step = height / (lines.length + 1);
        lines.forEach((line, i) => g.fillText(line, width / 2, step * (i + 1)));
        return canvas.toDataURL("image/jpeg", 0.95).split(",")[1]!;
      },
      { lines, ...FAKE_CAMERA },
    );
    const frame = Buffer.from(jpeg, "base64");
    await writeFile(path, Buffer.concat([frame, frame])); // two identical frames
    return path;
  } finally {
    await page.close();
  }
}
