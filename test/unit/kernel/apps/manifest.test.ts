// The app manifest at the boundary: every field checked with an error naming it; the bundled
// apps are valid manifests whose capabilities this OS's tools define.
import { describe, expect, it } from "vitest";
import { BUNDLED_APPS } from "../../../../src/kernel/apps/bundled.ts";
import { addedCapabilities, validateManifest, type Manifest } from "../../../../src/kernel/apps/manifest.ts";
import { sample } from "./sample.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { deviceTools } from "../../../../src/kernel/tools/devices.ts";
import { createJsTool } from "../../../../src/kernel/tools/js.ts";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";
import { inlineSandbox } from "../../../../src/kernel/tools/sandbox.ts";
import { DeviceHosts } from "../../../../src/kernel/devices.ts";


function problem(change: Record<string, unknown>, drop: string[] = []): string {
  const m: Record<string, unknown> = { ...sample, ...change };
  for (const k of drop) delete m[k];
  try {
    validateManifest(m);
    return "valid";
  } catch (e) {
    expect((e as { code: string }).code).toBe("EINVAL");
    return (e as Error).message;
  }
}

describe("validateManifest", () => {
  it("accepts a full manifest, as an object or JSON text", () => {
    const full: Manifest = { ...sample, icon: "📏", author: "me", toolRules: [{ type: "requires_approval", tool: "units" }, { type: "max_count_per_step", tool: "*", max: 2 }], memory: { contextTokens: 1024, replyTokens: 128, maxSteps: 3, blocks: [{ label: "prefs", value: "metric", limit: 100 }] }, model: { minContextTokens: 512, preferred: ["transformers"] } };
    expect(validateManifest(full)).toEqual(full);
    expect(validateManifest(JSON.stringify(full))).toEqual(full);
  });

  it("names the field of every problem", () => {
    expect(problem({ manifestVersion: 2 })).toMatch(/^manifest\.manifestVersion: must be 1 \(got 2\)/);
    expect(problem({}, ["manifestVersion"])).toMatch(/manifestVersion: must be 1 \(got nothing\)/);
    expect(problem({ id: "Bad Id" })).toMatch(/^manifest\.id:/);
    expect(problem({ id: "shell" })).toMatch(/manifest\.id: "shell" is the user's shell/);
    expect(problem({ version: "1.0" })).toMatch(/^manifest\.version:/);
    expect(problem({ kind: "python" })).toMatch(/^manifest\.kind:/);
    expect(problem({}, ["instructions"])).toMatch(/manifest\.instructions: is required for kind "nl"/);
    expect(problem({ entry: "export default 1" })).toMatch(/manifest\.entry: is for kind "code" only/);
    expect(problem({ kind: "code" }, ["instructions"])).toMatch(/manifest\.entry: is required for kind "code"/);
    expect(problem({ view: "<p>hi</p>" })).toMatch(/manifest\.view: is for kind "code" only/);
    expect(problem({ kind: "code", entry: "export default 1", view: "<p>hi</p>", ui: "headless" }, ["instructions"])).toMatch(/manifest\.view: needs ui "window"/);
    expect(problem({ kind: "code", entry: "export default 1", view: "x".repeat(256 * 1024 + 1) }, ["instructions"])).toMatch(/^manifest\.view:/);
    expect(problem({ capabilities: ["units", "units"] })).toMatch(/manifest\.capabilities: units is listed twice/);
    expect(problem({ capabilities: ["Network!"] })).toMatch(/^manifest\.capabilities\[0\]:/);
    expect(problem({ extra: 1 })).toMatch(/manifest\.extra: unknown field/);
    expect(problem({ ui: "fullscreen" })).toMatch(/^manifest\.ui:/);
    expect(problem({ icon: "x".repeat(40) })).toMatch(/manifest\.icon: must be a short text/);
    expect(problem({ icon: "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" })).toBe("valid");
    expect(problem({ toolRules: [{ type: "max_count_per_step", tool: "units", max: 0 }] })).toMatch(/^manifest\.toolRules\[0\]/);
    expect(problem({ toolRules: [{ type: "terminal", tool: "units" }] })).toMatch(/^manifest\.toolRules\[0\]/);
    expect(problem({ memory: { contextTokens: 256, replyTokens: 200 } })).toMatch(/manifest\.memory\.replyTokens: must be at most half/);
    expect(problem({ memory: { blocks: [{ label: "a", value: "x" }, { label: "a", value: "y" }] } })).toMatch(/label a is used twice/);
    expect(problem({ memory: { blocks: [{ label: "a", value: "xyz", limit: 2 }] } })).toMatch(/manifest\.memory\.blocks\[0\]\.value: 3 characters is over its limit of 2/);
    expect(problem({ name: "" })).toMatch(/^manifest\.name:/);
    expect(() => validateManifest("{not json")).toThrow(/manifest: not JSON/);
    expect(() => validateManifest([])).toThrow(/manifest: must be a JSON object/);
  });

  it("says which capabilities an update adds", () => {
    expect(addedCapabilities(["files", "clock"], ["clock", "network:example.com", "files", "camera"])).toEqual(["network:example.com", "camera"]);
  });
});

describe("the bundled apps", () => {
  it("are valid manifests with distinct ids, asking only for capabilities this OS's tools define", async () => {
    const kernel = new Kernel([], { tools: [...libraryTools(), createJsTool(inlineSandbox()), ...deviceTools(new DeviceHosts())], bundledApps: BUNDLED_APPS });
    expect(BUNDLED_APPS.map((m) => m.id)).toEqual(["assistant", "notes", "researcher", "related-work", "where-am-i", "camera-reader", "council"]);
    for (const m of BUNDLED_APPS) {
      expect(validateManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
      // Installing each again through the checked path proves its capabilities exist.
      await kernel.apps.remove(m.id).catch(() => undefined);
      await kernel.apps.install(m);
    }
    expect((await kernel.apps.list()).map((a) => a.manifest.id).sort()).toEqual(BUNDLED_APPS.map((m) => m.id).sort());
  });
});
