/**
 * The app manifest, version 1: everything an app is, in one JSON document (after AIOS's
 * `config.json` and Letta's agent file). An app is either natural language (`kind: "nl"`: its
 * `instructions` are its program, run by the kernel's agent loop) or code (`kind: "code"`: `entry`
 * is a JavaScript module run in a sandbox whose only powers are its process's calls).
 *
 * `validateManifest` checks the document at the boundary (install, update, import, a drafted app):
 * the schema first, then the rules a schema cannot say; every problem is EINVAL naming the field.
 * Whether each capability names something this kernel has is the kernel's check (it knows its tools).
 */
import { KernelError } from "../errors.ts";
import { CAPABILITY, SHELL_APP } from "../process.ts";
import { Type, validate, type Static } from "../schema.ts";
import { ToolRulesSchema } from "../tool-rules.ts";

export const MANIFEST_VERSION = 1;
/** An app's id: a stable slug, its identity (storage namespace, capability decisions). */
export const APP_ID = "^[a-z][a-z0-9-]{1,47}$";
const SEMVER = "^(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(-[0-9A-Za-z.-]{1,32})?$";
const MAX_ENTRY_CHARS = 512 * 1024;
const MAX_ICON_CHARS = 64 * 1024;
const MAX_VIEW_CHARS = 256 * 1024;

const Block = Type.Object(
  {
    label: Type.String({ pattern: "^[a-z][a-z0-9_-]{0,31}$", description: "The block's name." }),
    value: Type.String({ maxLength: 100_000, description: "Its starting text." }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "Characters it may hold." })),
  },
  { additionalProperties: false },
);

export const ManifestSchema = Type.Object(
  {
    manifestVersion: Type.Literal(MANIFEST_VERSION),
    id: Type.String({ pattern: APP_ID, description: "A stable slug: 2-48 lower-case letters, digits or -, starting with a letter." }),
    name: Type.String({ minLength: 1, maxLength: 64, pattern: "\\S" }),
    version: Type.String({ pattern: SEMVER, description: "Semantic version, e.g. 1.0.0." }),
    description: Type.String({ minLength: 1, maxLength: 2000, description: "What the app does, in plain words (shown before install)." }),
    icon: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ICON_CHARS, description: "A short text (an emoji) or a data:image/png|svg+xml URL." })),
    author: Type.Optional(Type.String({ maxLength: 128 })),
    kind: Type.Union([Type.Literal("nl"), Type.Literal("code")]),
    instructions: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: "The agent's program in natural language (its system prompt; trusted)." })),
    entry: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ENTRY_CHARS, description: "A code app's JavaScript module source." })),
    view: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_VIEW_CHARS, description: "A code app's window: an HTML document shown in a sandboxed iframe (scripts only: no network, no storage, no access to the OS's page); its scripts have the same SDK (`aios`) as the module." })),
    capabilities: Type.Array(Type.String({ pattern: CAPABILITY }), { maxItems: 64, description: "What it asks to use, as the access manager names capabilities." }),
    toolRules: Type.Optional(ToolRulesSchema),
    memory: Type.Optional(
      Type.Object(
        {
          contextTokens: Type.Optional(Type.Integer({ minimum: 128, description: "Its conversation's window (at most the model's)." })),
          replyTokens: Type.Optional(Type.Integer({ minimum: 1 })),
          maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: "Tool-loop steps per turn." })),
          blocks: Type.Optional(Type.Array(Block, { maxItems: 16, description: "Core memory blocks, written on first launch." })),
        },
        { additionalProperties: false },
      ),
    ),
    model: Type.Optional(
      Type.Object(
        {
          minContextTokens: Type.Optional(Type.Integer({ minimum: 1, description: "Launch refuses a loaded model with a smaller window." })),
          preferred: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 8, description: "Model ids or engines (transformers, web-llm, remote) it works best with, best first." })),
        },
        { additionalProperties: false },
      ),
    ),
    ui: Type.Union([Type.Literal("window"), Type.Literal("headless")], { description: "A window on the desktop, or none." }),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;

function invalid(field: string, problem: string): never {
  throw new KernelError("EINVAL", `manifest.${field}: ${problem}`);
}

/** Parses a manifest from an object or JSON text; throws EINVAL naming the first bad field. */
export function validateManifest(raw: unknown): Manifest {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new KernelError("EINVAL", `manifest: not JSON (${(error as Error).message})`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new KernelError("EINVAL", "manifest: must be a JSON object");
  const version = (value as { manifestVersion?: unknown }).manifestVersion;
  if (version !== MANIFEST_VERSION) throw new KernelError("EINVAL", `manifest.manifestVersion: must be ${MANIFEST_VERSION} (got ${JSON.stringify(version) ?? "nothing"}); this OS reads manifest version ${MANIFEST_VERSION}`);
  const m = validate(ManifestSchema, value, "manifest");
  if (m.id === SHELL_APP) invalid("id", `"${SHELL_APP}" is the user's shell`);
  if (m.kind === "nl") {
    if (m.instructions === undefined) invalid("instructions", 'is required for kind "nl" (the app\'s program)');
    if (m.entry !== undefined) invalid("entry", 'is for kind "code" only');
    if (m.view !== undefined) invalid("view", 'is for kind "code" only (a natural-language app\'s window is its conversation)');
  } else {
    if (m.entry === undefined) invalid("entry", 'is required for kind "code" (the module\'s source)');
    if (m.view !== undefined && m.ui !== "window") invalid("view", 'needs ui "window" (a headless app has no window to show it in)');
  }
  if (m.icon !== undefined && m.icon.length > 16 && !/^data:image\/(png|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(m.icon)) invalid("icon", "must be a short text (an emoji) or a data:image/png or data:image/svg+xml base64 URL");
  const dup = m.capabilities.find((c, i) => m.capabilities.indexOf(c) !== i);
  if (dup) invalid("capabilities", `${dup} is listed twice`);
  const mem = m.memory;
  if (mem?.replyTokens !== undefined && mem.contextTokens !== undefined && mem.replyTokens > mem.contextTokens / 2) invalid("memory.replyTokens", "must be at most half of memory.contextTokens");
  const labels = mem?.blocks?.map((b) => b.label) ?? [];
  const dupLabel = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dupLabel) invalid("memory.blocks", `label ${dupLabel} is used twice`);
  for (const [i, b] of (mem?.blocks ?? []).entries()) if (b.limit !== undefined && b.value.length > b.limit) invalid(`memory.blocks[${i}].value`, `${b.value.length} characters is over its limit of ${b.limit}`);
  return m;
}

/** The capabilities `next` asks for that `previous` did not. */
export function addedCapabilities(previous: readonly string[], next: readonly string[]): string[] {
  return next.filter((c) => !previous.includes(c));
}
