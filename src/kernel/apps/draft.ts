/**
 * Natural-language programming: "make me an app that …" → a drafted manifest.
 *
 * The model writes an *app spec* (name, icon, description, capabilities, instructions, example)
 * under a JSON-Schema grammar, so the reply always parses and its capabilities are ones this kernel
 * has (an enum). `manifestFromSpec` turns any spec the grammar allows into a manifest that passes
 * `validateManifest` (lengths clipped, a free id chosen, duplicates dropped): a draft is valid by
 * construction, and it is checked again anyway. Nothing is installed or granted here: the user
 * reviews the draft (`reviewOf`, in plain words), may test-run it, and installs it with their own
 * action in the shell.
 */
import { KernelError } from "../errors.ts";
import type { JsonSchema } from "../output-format.ts";
import { APP_ID, MANIFEST_VERSION, validateManifest, type Manifest } from "./manifest.ts";

/** The draft call's system prompt (tools/aios_apps.py trains the embedded model on this exact text). */
export const DRAFT_SYSTEM =
  "You design apps for AIOS. Write the app the user asks for as JSON: its name, icon, description, the capabilities it needs, its instructions and an example request.";

/** Longest request the draft call takes. */
export const MAX_REQUEST_CHARS = 1000;
/**
 * The spec's bounds, in the grammar: every string ends within its limit, so a reply is complete
 * within DRAFT_MAX_TOKENS even at one character per token (a draft never runs away).
 */
export const SPEC_LIMITS = { name: 48, icon: 8, description: 240, capabilities: 8, instructions: 1000, example: 200 } as const;
/** The draft's reply budget: the longest spec the grammar allows at one token per character, and its JSON around it. */
export const DRAFT_MAX_TOKENS = 48 + 8 + 240 + 1000 + 200 + 8 * 24 + 64;

/** What the model writes: the parts of a manifest a request decides. */
export interface AppSpec {
  name: string;
  icon: string;
  description: string;
  capabilities: string[];
  instructions: string;
  example: string;
}

/** The spec's JSON Schema; `capabilities` may name only `known` ones. Key order is the reply's order. */
export function draftSchema(known: readonly string[]): JsonSchema {
  if (known.length === 0) throw new KernelError("ENOTSUP", "this kernel has no tools an app could use");
  const text = (maxLength: number) => ({ type: "string", minLength: 1, maxLength });
  return {
    type: "object",
    properties: {
      name: text(SPEC_LIMITS.name),
      icon: text(SPEC_LIMITS.icon),
      description: text(SPEC_LIMITS.description),
      capabilities: { type: "array", items: { type: "string", enum: [...known] }, maxItems: SPEC_LIMITS.capabilities },
      instructions: text(SPEC_LIMITS.instructions),
      example: text(SPEC_LIMITS.example),
    },
    required: ["name", "icon", "description", "capabilities", "instructions", "example"],
    additionalProperties: false,
  } as JsonSchema;
}

/**
 * The capabilities an app may ask for here, from the tools' labels: exact labels as they are, a
 * pattern ("network:<host>") as its whole family ("network:*").
 */
export function draftableCapabilities(labels: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const label of labels) out.add(label.includes("<") ? `${label.split(":")[0]}:*` : label);
  return [...out].sort();
}

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max - 1).trimEnd() + "…" : s);
const oneLine = (s: unknown) => (typeof s === "string" ? s.replace(/\s+/g, " ").trim() : "");

/** A slug from a name: "Unit converter" → "unit-converter". */
export function slugOf(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug.length >= 2 ? slug : "my-app";
}

/**
 * The manifest for a spec: always valid (EINVAL only if the spec is not an object at all). `taken`
 * are ids in use; the draft gets the first free one of slug, slug-2, slug-3, …
 */
export function manifestFromSpec(raw: unknown, options: { known: readonly string[]; taken: Iterable<string> }): Manifest {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new KernelError("EINVAL", "draft: the model's reply is not an app spec");
  const spec = raw as Partial<Record<keyof AppSpec, unknown>>;
  const name = clip(oneLine(spec.name), 64) || "My app";
  const base = slugOf(name);
  const taken = new Set(options.taken);
  let id = base;
  for (let n = 2; taken.has(id) || id === "shell"; n++) id = `${base.slice(0, 44)}-${n}`;
  const icon = oneLine(spec.icon);
  const capabilities = Array.isArray(spec.capabilities) ? [...new Set(spec.capabilities.filter((c): c is string => typeof c === "string" && options.known.includes(c)))] : [];
  const instructions = typeof spec.instructions === "string" && spec.instructions.trim() ? clip(spec.instructions.trim(), 20_000) : `You are ${name}. Help the user briefly.`;
  const manifest = {
    manifestVersion: MANIFEST_VERSION,
    id,
    name,
    version: "1.0.0",
    description: clip(oneLine(spec.description), 2000) || name,
    ...(icon && icon.length <= 16 ? { icon } : { icon: "✨" }),
    author: "drafted by AIOS",
    kind: "nl" as const,
    instructions,
    capabilities,
    ui: "window" as const,
  };
  if (!new RegExp(APP_ID).test(manifest.id)) throw new KernelError("EINVAL", `draft: no id could be made from ${JSON.stringify(name)}`);
  return validateManifest(manifest);
}

/** What each capability lets an app do, in plain words; `sensitive` ones are marked in the review. */
const CAPABILITY_WORDS: Record<string, { words: string; sensitive?: boolean }> = {
  calculator: { words: "do math with the calculator" },
  units: { words: "convert between units" },
  clock: { words: "read the date and time" },
  files: { words: "read and write files in its own space (not your other apps' files)" },
  js: { words: "run JavaScript in a sandbox" },
  "network:*": { words: "read web pages and send requests to any website", sensitive: true },
  geolocation: { words: "know your location (to about 1 km)", sensitive: true },
  "geolocation:precise": { words: "know your precise location", sensitive: true },
  camera: { words: "take pictures and read text with your camera", sensitive: true },
  "clipboard:read": { words: "read what you copied", sensitive: true },
  "clipboard:write": { words: "put text on your clipboard" },
  notify: { words: "show you notifications" },
  speak: { words: "speak aloud" },
  "files:io": { words: "open files you pick and save files to your disk", sensitive: true },
};

export interface DraftReview {
  /** One sentence: what the app is and does. */
  summary: string;
  /** Each capability it asks for, in plain words. */
  capabilities: { capability: string; words: string; sensitive: boolean }[];
  /** Lines worth the user's attention before installing. */
  notes: string[];
}

/** The draft in plain words, for the user's review before anything is installed. */
export function reviewOf(manifest: Manifest, toolsByCapability: ReadonlyMap<string, string[]> = new Map()): DraftReview {
  const capabilities = manifest.capabilities.map((capability) => {
    const known = CAPABILITY_WORDS[capability];
    const tools = toolsByCapability.get(capability) ?? [];
    return { capability, words: known?.words ?? (tools.length ? `use ${tools.join(", ")}` : `use ${capability}`), sensitive: known?.sensitive ?? false };
  });
  const notes: string[] = [];
  if (capabilities.length === 0) notes.push("It asks for no capabilities: it can only chat.");
  const sensitive = capabilities.filter((c) => c.sensitive);
  if (sensitive.length) notes.push(`Sensitive: ${sensitive.map((c) => c.capability).join(", ")}. It can use ${sensitive.length === 1 ? "it" : "them"} only after you install it, and you can revoke ${sensitive.length === 1 ? "it" : "them"} in Permissions.`);
  notes.push("Its instructions are its program: read them below; you can edit them before installing.");
  return { summary: `${manifest.name}: ${manifest.description}`, capabilities, notes };
}
