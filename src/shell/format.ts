/** Small formatting helpers the shell's windows share (plain words for capabilities, compact JSON). */

const FAMILY_WORDS: Record<string, string> = {
  calculator: "the calculator",
  clock: "the clock",
  units: "unit conversion",
  files: "its own files",
  js: "running JavaScript in a sandbox",
  geolocation: "your location (about 1 km)",
  camera: "the camera",
  notify: "notifications",
  speak: "speaking aloud",
};

/** Capabilities whose words are not "family: qualifier". */
const CAPABILITY_WORDS: Record<string, string> = {
  "geolocation:precise": "your precise location",
  "clipboard:read": "reading your clipboard",
  "clipboard:write": "writing to your clipboard",
  "files:io": "files on your device (you pick or save them)",
};

/** A capability in plain words: "network:127.0.0.1:8123" → "the network: 127.0.0.1:8123". */
export function capabilityWords(capability: string): string {
  const colon = capability.indexOf(":");
  const family = colon < 0 ? capability : capability.slice(0, colon);
  const qualifier = colon < 0 ? "" : capability.slice(colon + 1);
  const exact = CAPABILITY_WORDS[capability];
  if (exact) return exact;
  if (family === "network") return qualifier === "*" ? "the network: any site" : `the network: ${qualifier}`;
  const words = FAMILY_WORDS[family];
  if (words) return qualifier ? `${words}: ${qualifier}` : words;
  return qualifier ? `${family}: ${qualifier}` : capability;
}

/** One value as short text: strings as they are, the rest as compact JSON. */
export function compact(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A tool call's arguments on one line: `expression: "12*7", to: "km"`. */
export function compactArgs(args: unknown): string {
  if (typeof args === "string") {
    try {
      args = JSON.parse(args);
    } catch {
      return args as string;
    }
  }
  if (args && typeof args === "object" && !Array.isArray(args)) {
    return Object.entries(args as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${JSON.stringify(v) ?? String(v)}`)
      .join(", ");
  }
  return compact(args);
}

/** A value for a <pre>: pretty JSON (a JSON text is parsed first), or the text as it is. */
export function pretty(value: unknown): string {
  if (typeof value === "string") {
    const t = value.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch {
        return value;
      }
    }
    return value;
  }
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** A timestamp as the time of day (with the date when it is not today). */
export function when(at: number): string {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
