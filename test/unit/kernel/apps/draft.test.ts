// Natural-language programming: any spec the draft grammar allows becomes a valid manifest; the
// review says what it asks for in plain words; through the real kernel on the embedded model, a
// request becomes an app that does what was asked, tried before anything is installed.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DRAFT_SYSTEM, SPEC_LIMITS, draftSchema, draftableCapabilities, manifestFromSpec, reviewOf, slugOf } from "../../../../src/kernel/apps/draft.ts";
import { validateManifest } from "../../../../src/kernel/apps/manifest.ts";
import { DeviceHosts } from "../../../../src/kernel/devices.ts";
import { TransformersSource } from "../../../../src/kernel/engines/transformers-source.ts";
import { Kernel, TRIAL_PREFIX } from "../../../../src/kernel/kernel.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";
import { deviceTools } from "../../../../src/kernel/tools/devices.ts";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";

const known = ["calculator", "units", "clock", "files", "geolocation", "camera", "network:*"];

describe("manifestFromSpec", () => {
  it("makes a valid manifest of every spec the grammar allows, and of worse", () => {
    const nasty = ["", " ", "\n\t", "x".repeat(5000), "🧮🧮🧮🧮🧮🧮🧮🧮🧮🧮", "shell", "---", "123", "Ünïcödé Äpp", "<script>alert(1)</script>", "a\u0000b"];
    let n = 0;
    for (const name of nasty)
      for (const icon of nasty.slice(0, 6))
        for (const text of [nasty[0]!, nasty[3]!, "Converts units."]) {
          const m = manifestFromSpec({ name, icon, description: text, capabilities: ["units", "units", "root", 7, "network:*"], instructions: text, example: text }, { known, taken: ["unit-converter"] });
          expect(validateManifest(m)).toEqual(m);
          expect(m.capabilities).toEqual(["units", "network:*"]);
          expect(m.kind).toBe("nl");
          n++;
        }
    expect(n).toBeGreaterThan(100);
    expect(manifestFromSpec({}, { known, taken: [] }).name).toBe("My app");
    expect(() => manifestFromSpec("not a spec", { known, taken: [] })).toThrow(/EINVAL|not an app spec/);
    expect(() => manifestFromSpec(null, { known, taken: [] })).toThrow(/not an app spec/);
  });

  it("picks a free id: an installed app is never overwritten by a draft", () => {
    const spec = { name: "Unit converter", icon: "📏", description: "d", capabilities: ["units"], instructions: "i", example: "e" };
    expect(manifestFromSpec(spec, { known, taken: [] }).id).toBe("unit-converter");
    expect(manifestFromSpec(spec, { known, taken: ["unit-converter", "unit-converter-2"] }).id).toBe("unit-converter-3");
    expect(manifestFromSpec({ ...spec, name: "Shell" }, { known, taken: [] }).id).toBe("shell-2");
  });

  it("slugs names", () => {
    expect(slugOf("Unit converter")).toBe("unit-converter");
    expect(slugOf("  Où suis-je ?  ")).toBe("ou-suis-je");
    expect(slugOf("42 things")).toBe("things");
    expect(slugOf("🧮")).toBe("my-app");
  });
});

describe("draftSchema", () => {
  it("lists the spec's keys in order, bounds every string and allows only known capabilities", () => {
    const schema = draftSchema(known) as { properties: Record<string, { maxLength?: number; items?: { enum: string[] }; maxItems?: number }>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(["name", "icon", "description", "capabilities", "instructions", "example"]);
    expect(schema.required).toEqual(Object.keys(schema.properties));
    expect(schema.properties.capabilities!.items!.enum).toEqual(known);
    expect(schema.properties.capabilities!.maxItems).toBe(SPEC_LIMITS.capabilities);
    expect(schema.properties.instructions!.maxLength).toBe(SPEC_LIMITS.instructions);
    expect(() => draftSchema([])).toThrow(/no tools/);
  });

  it("offers a pattern capability as its whole family", () => {
    expect(draftableCapabilities(["units", "network:<host>", "geolocation", "geolocation:precise", "units"])).toEqual(["geolocation", "geolocation:precise", "network:*", "units"]);
  });

  it("is the prompt the embedded model was trained on (tools/aios_apps.py wrote tools/heldout_apps.json)", () => {
    const held = JSON.parse(readFileSync(resolve("tools/heldout_apps.json"), "utf8")) as { system: string; requests: unknown[] };
    expect(held.system).toBe(DRAFT_SYSTEM);
    expect(held.requests.length).toBeGreaterThanOrEqual(40);
  });
});

describe("reviewOf", () => {
  it("says what each capability lets the app do and marks the sensitive ones", () => {
    const m = manifestFromSpec({ name: "Where", icon: "📍", description: "Logs places.", capabilities: ["geolocation", "files"], instructions: "i", example: "e" }, { known, taken: [] });
    const review = reviewOf(m);
    expect(review.summary).toBe("Where: Logs places.");
    expect(review.capabilities).toEqual([
      { capability: "geolocation", words: "know your location (to about 1 km)", sensitive: true },
      { capability: "files", words: "read and write files in its own space (not your other apps' files)", sensitive: false },
    ]);
    expect(review.notes.join(" ")).toMatch(/Sensitive: geolocation/);
    const chatty = reviewOf(manifestFromSpec({ name: "Chat", capabilities: [] }, { known, taken: [] }));
    expect(chatty.notes[0]).toMatch(/only chat/);
    expect(reviewOf({ ...m, capabilities: ["speak:loud"] }, new Map([["speak:loud", ["speak"]]])).capabilities[0]!.words).toBe("use speak");
  });
});

describe("through the kernel, on the embedded model", () => {
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })], { tools: [...libraryTools(), ...deviceTools(new DeviceHosts())] });
    kernel.mountFiles(await FileStore.open({ name: "draft-test" }));
    await kernel.loadModel("aios-tiny");
  });

  it("drafts an app from a request, tries it without installing it, and installs what the user approved", async () => {
    const chunks: string[] = [];
    const draft = await kernel.draftApp("make me an app that converts units", { onChunk: (c) => chunks.push(c.choices[0]?.delta?.content ?? "") });
    expect(chunks.join("")).toContain('"capabilities"');
    expect(validateManifest(draft.manifest)).toEqual(draft.manifest);
    expect(draft.manifest.capabilities).toEqual(["units"]);
    expect(draft.review.capabilities.map((c) => c.words)).toEqual(["convert between units"]);
    expect(draft.example).toBeTruthy();
    expect(await kernel.apps.list()).toEqual([]);

    const trial = await kernel.tryApp(draft.manifest, "How many miles is 5 km?");
    expect(trial.toolCalls[0]?.name).toBe("units");
    expect(trial.reply).toMatch(/3\.1/);
    // Nothing of the trial is left: no process, no files, no app.
    expect(kernel.ps().filter((p) => p.app.startsWith(TRIAL_PREFIX) && p.state !== "done")).toEqual([]);
    expect(await kernel.apps.list()).toEqual([]);

    const app = await kernel.installApp(draft.manifest);
    expect(app.granted).toEqual(["units"]);
    const again = await kernel.draftApp("make me an app that converts units");
    expect(again.manifest.id).toBe(`${draft.manifest.id}-2`);
  }, 120_000);

  it("refuses bad requests and manifests with clear errors", async () => {
    await expect(kernel.draftApp("  ")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.draftApp("x".repeat(1001))).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.draftApp(42)).rejects.toMatchObject({ code: "EINVAL" });
    const code = { manifestVersion: 1, id: "code-thing", name: "C", version: "1.0.0", description: "d", kind: "code", entry: "export default () => 1", capabilities: [], ui: "headless" };
    await expect(kernel.tryApp(code, "go")).rejects.toMatchObject({ code: "ENOTSUP" });
    await expect(kernel.tryApp({ ...code, kind: "nl", entry: undefined, instructions: "i", capabilities: ["root"] }, "go")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.tryApp({ nonsense: true }, "go")).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => kernel.spawn({ name: `${TRIAL_PREFIX}x` })).toThrow(/EPERM|test run/);
  });
});
