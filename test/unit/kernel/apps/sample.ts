// A small valid manifest the apps tests vary.
import type { Manifest } from "../../../../src/kernel/apps/manifest.ts";

export const sample: Manifest = {
  manifestVersion: 1,
  id: "unit-converter",
  name: "Unit converter",
  version: "1.0.0",
  description: "Converts units.",
  kind: "nl",
  instructions: "Convert the units the user asks about with the units tool.",
  capabilities: ["units"],
  ui: "window",
};
