// The library as the kernel registers it: names, schemas a model can read, capabilities.
import { describe, expect, it } from "vitest";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";
import { call } from "./context.ts";

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  required?: string[];
}

describe("libraryTools", () => {
  const tools = libraryTools();

  it("returns every library driver once (js is added by the kernel)", () => {
    expect(tools.map((t) => t.name)).toEqual(["calculator", "units", "clock", "files.write", "files.read", "files.search", "files.list", "fetch", "web.read"]);
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-z][a-z0-9_.-]{0,63}$/);
      expect(tool.kind).toBe("library");
      expect(tool.description.length).toBeGreaterThan(20);
      expect(tool.description.length).toBeLessThan(300);
    }
  });

  it("declares closed object schemas with a description on every field, as plain JSON", () => {
    for (const tool of tools) {
      const schema = JSON.parse(JSON.stringify(tool.parameters)) as Schema;
      expect(schema.type, tool.name).toBe("object");
      expect(schema.additionalProperties, tool.name).toBe(false);
      const check = (s: Schema, at: string) => {
        for (const [name, field] of Object.entries(s.properties ?? {})) {
          expect(field.description, `${at}.${name}`).toBeTruthy();
          if (field.type === "object" && field.properties) {
            expect(field.additionalProperties, `${at}.${name}`).toBe(false);
            check(field, `${at}.${name}`);
          }
        }
      };
      check(schema, tool.name);
    }
  });

  it("names the capability each call needs", () => {
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.calculator.capability({ expression: "1" })).toBe("calculator");
    expect(byName.units.capability({ value: 1, from: "m", to: "ft" })).toBe("units");
    expect(byName.clock.capability({})).toBe("clock");
    expect(byName["files.list"].capability({})).toBe("files");
    expect(byName.fetch.capability({ url: "http://127.0.0.1:8123/a" })).toBe("network:127.0.0.1:8123");
    expect(byName["web.read"].capability({ url: "https://example.com/page" })).toBe("network:example.com");
    expect(byName.fetch.capabilityLabel).toBe("network:<host>");
    expect(byName["web.read"].capabilityLabel).toBe("network:<host>");
    expect(byName.fetch.timeoutMs).toBe(20_000);
    expect(byName["web.read"].timeoutMs).toBe(20_000);
  });

  it("uses an injected clock", async () => {
    const [clock] = libraryTools({ now: () => Date.parse("2026-11-29T02:33:00Z") }).filter((t) => t.name === "clock");
    expect(await call(clock, { timeZone: "Asia/Tokyo" })).toEqual({ date: "2026-11-29", time: "11:33", weekday: "Sunday", timeZone: "Asia/Tokyo", utcOffset: "+09:00" });
  });
});
