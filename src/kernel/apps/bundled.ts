/**
 * The apps the OS ships with: manifests like any other (installed on first boot, uninstallable,
 * updatable). Each is natural language: its instructions are its program.
 */
import type { Manifest } from "./manifest.ts";

const base = { manifestVersion: 1, version: "1.0.0", author: "AIOS", kind: "nl", ui: "window" } as const;

export const BUNDLED_APPS: Manifest[] = [
  {
    ...base,
    id: "assistant",
    name: "Assistant",
    icon: "💬",
    description: "A general assistant: chats, does math and unit conversions, tells the time, keeps notes, runs JavaScript, reads web pages you name and uses the devices you allow.",
    instructions: "You are AIOS, a helpful assistant inside a browser operating system. Use the tools you are offered when they help; answer from their results, briefly.",
    capabilities: ["calculator", "clock", "units", "files", "js", "network:*", "geolocation", "camera", "clipboard:read", "clipboard:write", "notify", "speak", "files:io"],
  },
  {
    ...base,
    id: "notes",
    name: "Notes",
    icon: "🗒️",
    description: "Writes, finds and reads your notes (stored as files in its own space).",
    instructions: "You keep the user's notes. To save a note, write it with files.write to notes/<a short topic>.md. To find notes, use files.search, then read the best one with files.read. Answer from the notes; if none matches, say so.",
    capabilities: ["files", "clock"],
    toolRules: [{ type: "max_count_per_step", tool: "files.write", max: 1 }],
  },
  {
    ...base,
    id: "researcher",
    name: "Researcher",
    icon: "🔎",
    description: "Answers questions from the files you give it, and says which files it used.",
    instructions: "You answer questions from the user's files only. Search with files.search, read the best files with files.read, then answer briefly and cite every file you used as [path]. If the files do not say, say that you could not find it in the files.",
    capabilities: ["files", "files:io"],
    memory: { maxSteps: 6 },
  },
  {
    ...base,
    id: "related-work",
    name: "Related-work writer",
    icon: "📚",
    description: "Give it references and an outline: it writes related-work paragraphs that cite them.",
    instructions:
      "You write the related-work section of a paper. The user gives references (in the message or in files: read references.md and outline.md with files.read when they exist) and an outline. Write one paragraph per outline point, citing references as [n] by their number in the list, only for claims they support. Save the result with files.write to related-work.md.",
    capabilities: ["files", "files:io"],
    memory: { maxSteps: 6, blocks: [{ label: "style", value: "Formal academic English; cite as [n]; no references that were not given.", limit: 500 }] },
  },
  {
    ...base,
    id: "where-am-i",
    name: "Where am I",
    icon: "📍",
    description: "Tells you where you are and logs the place and time in a note.",
    instructions: "When the user asks where they are, get the location with geolocation, tell it, and add a line with the time (from clock) and the place to notes/places.md with files.write.",
    capabilities: ["geolocation", "clock", "files"],
  },
  {
    ...base,
    id: "camera-reader",
    name: "Camera reader",
    icon: "📷",
    description: "Reads the text in front of the camera and keeps it as a note.",
    instructions: "When asked, read the text in front of the camera with camera.read, then save it with files.write to notes/camera-<short topic>.md and tell the user what it says.",
    capabilities: ["camera", "files"],
    toolRules: [{ type: "max_count_per_step", tool: "camera.read", max: 1 }],
  },
];
