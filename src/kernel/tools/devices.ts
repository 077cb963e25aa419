/**
 * The browser's devices as tools ("device" drivers). Their declarations live here, in the kernel,
 * so every process is offered them and every call is validated, checked by the access manager and
 * audited like any tool; their work happens in a tab (src/client/devices/), reached through
 * `DeviceHosts` (../devices.ts). The tab answers with data only; the kernel shapes what the model
 * sees: it rounds coordinates unless the call needed `geolocation:precise`, writes photos and
 * imported files into the calling app's own files, and reads the file an export hands out.
 *
 * | tool            | capability                         | what the tab does                         |
 * |-----------------|------------------------------------|-------------------------------------------|
 * | geolocation     | geolocation (geolocation:precise)  | navigator.geolocation, one fix            |
 * | camera.snapshot | camera                             | one frame as JPEG; the stream stopped     |
 * | camera.read     | camera                             | one frame → OCR (tesseract.js, offline)   |
 * | clipboard.read  | clipboard:read                     | navigator.clipboard.readText()            |
 * | clipboard.write | clipboard:write                    | navigator.clipboard.writeText()           |
 * | notify          | notify                             | a system Notification                     |
 * | speak           | speak                              | speechSynthesis (ENODEV without a voice)  |
 * | files.import    | files:io                           | the user picks a file in the shell        |
 * | files.export    | files:io                           | the user saves a file from the shell      |
 */
import type { DeviceHosts } from "../devices.ts";
import { KernelError } from "../errors.ts";
import { matches, Type, type TSchema } from "../schema.ts";
import { TEXT_BLOB } from "./files.ts";
import { defineTool, type AppFiles, type ToolDriver } from "./tool.ts";

/** Characters of text (OCR, clipboard) a device call hands back. */
export const MAX_DEVICE_TEXT = 8000;
/** Characters of text an agent may copy, notify or speak. */
const MAX_OUT_TEXT = 4000;
/** Bytes of a file the user imports (the storage's own per-file limit is larger). */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;
/** Waiting on a person (a file picker, a save dialog) may take minutes. */
const PERSON_TIMEOUT_MS = 5 * 60_000;


/** The tab's answer must have this shape; anything else is an EIO (a tab is not trusted to be right). */
function answer<S extends TSchema>(schema: S, value: unknown, device: string) {
  if (!matches(schema, value)) throw new KernelError("EIO", `${device}: the tab answered something malformed`);
  return value;
}

function cut(text: string, max = MAX_DEVICE_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A file name the user gave (or a picker reported) made safe as one path segment. */
function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[\u0000-\u001f<>:"|?*]/g, "_").replace(/^\.+/, "").trim().slice(0, 120);
  return cleaned || "file";
}

const optionalPath = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description }));

const GeoFix = Type.Object({ latitude: Type.Number({ minimum: -90, maximum: 90 }), longitude: Type.Number({ minimum: -180, maximum: 180 }), accuracy: Type.Number({ minimum: 0 }) });
const Frame = Type.Object({ type: Type.String(), data: Type.Unsafe<ArrayBuffer>({}), width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) });
const Reading = Type.Object({ text: Type.String(), confidence: Type.Number({ minimum: 0, maximum: 1 }) });
const Picked = Type.Object({ name: Type.String(), type: Type.String(), data: Type.Unsafe<ArrayBuffer>({}) });

function isBuffer(value: unknown): value is ArrayBuffer {
  return value instanceof ArrayBuffer;
}

/** How content read from the app's files travels to a tab to be saved. */
async function toBytes(content: unknown): Promise<{ data: ArrayBuffer; type: string }> {
  if (typeof content === "string") return { data: new TextEncoder().encode(content).buffer as ArrayBuffer, type: "text/plain;charset=utf-8" };
  if (typeof Blob !== "undefined" && content instanceof Blob) return { data: await content.arrayBuffer(), type: content.type || "application/octet-stream" };
  return { data: new TextEncoder().encode(JSON.stringify(content, null, 2)).buffer as ArrayBuffer, type: "application/json" };
}

async function save(files: AppFiles, path: string, data: ArrayBuffer, type: string): Promise<{ path: string; version: number }> {
  const content = TEXT_BLOB.test(type) ? new TextDecoder().decode(data) : new Blob([data], { type: type || "application/octet-stream" });
  return files.write(path, content);
}

/** Every device tool, each forwarding to a tab through `hosts`. `now` is the clock (tests). */
export function deviceTools(hosts: DeviceHosts, now: () => Date = () => new Date()): ToolDriver[] {
  const geolocation = defineTool({
    name: "geolocation",
    description: "The device's location: latitude and longitude rounded to about 1 km (full precision with precise: true, which needs geolocation:precise).",
    parameters: Type.Object({ precise: Type.Optional(Type.Boolean({ description: "Full precision (needs the capability geolocation:precise)" })) }, { additionalProperties: false }),
    kind: "device",
    flow: { private: "location" },
    capability: (args) => (args.precise ? "geolocation:precise" : "geolocation"),
    capabilityLabel: "geolocation",
    capabilities: ["geolocation:precise"],
    describe: (args) => (args.precise ? "read your precise location" : "read your location (rounded to about 1 km)"),
    timeoutMs: 30_000,
    async run(args, ctx) {
      const fix = answer(GeoFix, await hosts.call("geolocation", {}, ctx.signal), "geolocation");
      if (args.precise) return { latitude: fix.latitude, longitude: fix.longitude, accuracy: Math.round(fix.accuracy) };
      // Two decimals: ~1.1 km of latitude; the accuracy says no better than that.
      return { latitude: round(fix.latitude, 2), longitude: round(fix.longitude, 2), accuracy: Math.max(1000, Math.round(fix.accuracy)) };
    },
  });

  const snapshot = defineTool({
    name: "camera.snapshot",
    description: "Takes one photo with the camera and saves it in your own files as a JPEG; returns its path.",
    parameters: Type.Object({ path: optionalPath('Where to save it, e.g. "camera/desk.jpg" (default camera/photo-<date>-<time>.jpg)') }, { additionalProperties: false }),
    kind: "device",
    flow: { private: "camera" },
    capability: () => "camera",
    describe: (args) => `take a photo with the camera and save it${args.path ? ` as ${args.path}` : ""}`,
    timeoutMs: 30_000,
    async run(args, ctx) {
      const frame = answer(Frame, await hosts.call("camera.snapshot", {}, ctx.signal, "no open AIOS tab has a camera"), "camera.snapshot");
      if (!isBuffer(frame.data)) throw new KernelError("EIO", "camera.snapshot: the tab sent no image");
      const path = args.path ?? `camera/photo-${stamp(now())}.jpg`;
      const written = await ctx.files.write(path, new Blob([frame.data], { type: frame.type }));
      return { path: written.path, width: frame.width, height: frame.height, bytes: frame.data.byteLength };
    },
  });

  const read = defineTool({
    name: "camera.read",
    description: "Reads the text in front of the camera (OCR on one frame, offline); returns the text and a confidence from 0 to 1.",
    parameters: Type.Object({}, { additionalProperties: false }),
    kind: "device",
    flow: { private: "camera" },
    capability: () => "camera",
    describe: () => "read the text in front of the camera",
    timeoutMs: 60_000,
    async run(_args, ctx) {
      const r = answer(Reading, await hosts.call("camera.read", {}, ctx.signal, "no open AIOS tab has a camera"), "camera.read");
      return { text: cut(r.text), confidence: round(r.confidence, 2) };
    },
  });

  const clipboardRead = defineTool({
    name: "clipboard.read",
    description: "Reads the text on the clipboard.",
    parameters: Type.Object({}, { additionalProperties: false }),
    kind: "device",
    flow: { private: "clipboard" },
    capability: () => "clipboard:read",
    describe: () => "read the text on your clipboard",
    timeoutMs: 15_000,
    async run(_args, ctx) {
      const r = answer(Type.Object({ text: Type.String() }), await hosts.call("clipboard.read", {}, ctx.signal), "clipboard.read");
      return { text: cut(r.text) };
    },
  });

  const clipboardWrite = defineTool({
    name: "clipboard.write",
    description: "Copies a text to the clipboard.",
    parameters: Type.Object({ text: Type.String({ maxLength: MAX_OUT_TEXT, description: "The text to copy" }) }, { additionalProperties: false }),
    kind: "device",
    flow: { consequential: true, output: "trusted" },
    capability: () => "clipboard:write",
    describe: (args) => `copy ${JSON.stringify(cut(args.text, 120))} to your clipboard`,
    timeoutMs: 15_000,
    async run(args, ctx) {
      await hosts.call("clipboard.write", { text: args.text }, ctx.signal);
      return { written: args.text.length };
    },
  });

  const notify = defineTool({
    name: "notify",
    description: "Shows the user a system notification.",
    parameters: Type.Object(
      { title: Type.String({ minLength: 1, maxLength: 200, description: "The notification's title" }), body: Type.Optional(Type.String({ maxLength: 1000, description: "More text under the title" })) },
      { additionalProperties: false },
    ),
    kind: "device",
    flow: { consequential: true, output: "trusted" },
    capability: () => "notify",
    describe: (args) => `show a notification: ${JSON.stringify(cut(args.title, 120))}`,
    timeoutMs: 30_000,
    async run(args, ctx) {
      await hosts.call("notify", { app: ctx.app, title: args.title, body: args.body ?? "" }, ctx.signal, "no open AIOS tab can show notifications");
      return { shown: true };
    },
  });

  const speak = defineTool({
    name: "speak",
    description: "Says a text aloud with the browser's speech synthesis.",
    parameters: Type.Object(
      { text: Type.String({ minLength: 1, maxLength: MAX_OUT_TEXT, description: "What to say" }), lang: Type.Optional(Type.String({ pattern: "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description: 'A BCP 47 language, e.g. "en-US"' })) },
      { additionalProperties: false },
    ),
    kind: "device",
    flow: { consequential: true, output: "trusted" },
    capability: () => "speak",
    describe: (args) => `say aloud: ${JSON.stringify(cut(args.text, 120))}`,
    timeoutMs: 120_000,
    async run(args, ctx) {
      const r = answer(Type.Object({ voice: Type.String() }), await hosts.call("speak", { text: args.text, lang: args.lang }, ctx.signal, "no open AIOS tab can speak"), "speak");
      return { spoken: true, voice: r.voice };
    },
  });

  const importFile = defineTool({
    name: "files.import",
    description: "Asks the user to pick a file on their device and saves it in your own files (default imports/<name>).",
    parameters: Type.Object({ path: optionalPath('Where to save it, e.g. "inbox/report.pdf" (default imports/<the file\'s name>)') }, { additionalProperties: false }),
    kind: "device",
    flow: { private: "files" },
    capability: () => "files:io",
    describe: (args) => `ask you to pick a file and save it${args.path ? ` as ${args.path}` : " in imports/"}`,
    timeoutMs: PERSON_TIMEOUT_MS,
    async run(args, ctx) {
      const picked = answer(Picked, await hosts.call("files.import", { app: ctx.app }, ctx.signal, "no open AIOS shell can show a file picker"), "files.import");
      if (!isBuffer(picked.data)) throw new KernelError("EIO", "files.import: the tab sent no file");
      if (picked.data.byteLength > MAX_IMPORT_BYTES) throw new KernelError("EINVAL", `the file is ${picked.data.byteLength} bytes, over the ${MAX_IMPORT_BYTES}-byte import limit`);
      const name = safeName(picked.name);
      const type = picked.type || "application/octet-stream";
      const written = await save(ctx.files, args.path ?? `imports/${name}`, picked.data, type);
      return { path: written.path, name, bytes: picked.data.byteLength, type };
    },
  });

  const exportFile = defineTool({
    name: "files.export",
    description: "Lets the user save one of your own files on their device (they choose whether to).",
    parameters: Type.Object({ path: Type.String({ minLength: 1, maxLength: 1024, description: 'The file to hand out, e.g. "notes/groceries.md"' }) }, { additionalProperties: false }),
    kind: "device",
    flow: { consequential: true, output: "trusted" },
    capability: () => "files:io",
    describe: (args) => `offer you ${args.path} to save on your device`,
    timeoutMs: PERSON_TIMEOUT_MS,
    async run(args, ctx) {
      // Read first: a missing file is ENOENT before anyone is asked to save it.
      const file = await ctx.files.read(args.path);
      const { data, type } = await toBytes(file.content);
      const name = safeName(file.path);
      const r = answer(Type.Object({ name: Type.String() }), await hosts.call("files.export", { app: ctx.app, name, type, data, path: file.path }, ctx.signal, "no open AIOS shell can save a file"), "files.export");
      return { saved: true, name: safeName(r.name), bytes: data.byteLength };
    },
  });

  return [geolocation, snapshot, read, clipboardRead, clipboardWrite, notify, speak, importFile, exportFile] as ToolDriver[];
}
