/**
 * `files.import` / `files.export`: a person picks a file to give an agent, or saves one of its
 * files. Both need the person's own click (browsers open pickers only on a user gesture), so they
 * are served only by a tab whose shell shows the prompt (`DevicePrompts`); a tab without one does
 * not offer them.
 */
import { deviceError, type DeviceDriver, type DevicePrompts } from "./driver.ts";

export function filesIoDrivers(prompts: () => DevicePrompts | null): DeviceDriver[] {
  return [
    {
      name: "files.import",
      available: () => prompts() !== null,
      async run(args, signal) {
        const ui = prompts();
        if (!ui) throw deviceError("ENODEV", "this tab has no shell to show a file picker");
        const file = await ui.pickFile({ app: String((args as { app?: unknown }).app ?? "an app"), signal });
        if (!file) throw deviceError("ECANCELED", "the user cancelled the file picker");
        return { name: file.name, type: file.type, data: await file.arrayBuffer() };
      },
    },
    {
      name: "files.export",
      available: () => prompts() !== null,
      async run(args, signal) {
        const ui = prompts();
        if (!ui) throw deviceError("ENODEV", "this tab has no shell to save a file");
        const a = args as { app?: unknown; path?: unknown; name?: unknown; type?: unknown; data?: unknown };
        if (typeof a.name !== "string" || typeof a.path !== "string" || !(a.data instanceof ArrayBuffer)) throw deviceError("EINVAL", "files.export: malformed file");
        const saved = await ui.saveFile({ app: String(a.app ?? "an app"), path: a.path, name: a.name, type: typeof a.type === "string" ? a.type : "application/octet-stream", data: a.data, signal });
        if (saved === null) throw deviceError("ECANCELED", "the user cancelled saving the file");
        return { name: saved };
      },
    },
  ];
}
