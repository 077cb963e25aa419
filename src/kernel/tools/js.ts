/**
 * The `js` tool: a model (or an app) runs a JavaScript snippet in QuickJS, isolated from the host —
 * no network, DOM, storage, timers or modules — and gets back its completion value and console
 * output. Where it runs (a Worker the kernel can kill, or inline) is the runner's business.
 */
import { Type } from "../schema.ts";
import type { SandboxRunner } from "./sandbox.ts";
import { defineTool, type ToolDriver } from "./tool.ts";

/** Heap a snippet may use. */
export const JS_MEMORY_BYTES = 32 * 1024 * 1024;
/** Characters of output (the value as JSON, then console lines in what is left). */
export const JS_MAX_OUTPUT_CHARS = 16_000;
export const JS_DEFAULT_TIMEOUT_MS = 1000;

const parameters = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 20_000,
      description: "A JavaScript script; its completion value (the last expression) is returned, e.g. `const xs = [3, 1, 2]; xs.sort()`. A promise is awaited.",
    }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 10_000, default: JS_DEFAULT_TIMEOUT_MS, description: "Milliseconds the script may run (default 1000)." })),
  },
  { additionalProperties: false },
);

export function createJsTool(runner: SandboxRunner): ToolDriver<typeof parameters> {
  return defineTool({
    name: "js",
    description: "Runs a JavaScript snippet in an isolated sandbox with no network, DOM or storage and returns its completion value and console output.",
    parameters,
    result: Type.Object({ value: Type.Unknown(), logs: Type.Optional(Type.Array(Type.String())) }),
    kind: "library",
    flow: { output: "trusted" },
    capability: () => "js",
    describe: (args) => `run JavaScript: ${args.code.slice(0, 80)}`,
    timeoutMs: 15_000,
    run: async (args, ctx) => {
      const { value, logs } = await runner(args.code, { timeoutMs: args.timeoutMs ?? JS_DEFAULT_TIMEOUT_MS, memoryBytes: JS_MEMORY_BYTES, maxOutputChars: JS_MAX_OUTPUT_CHARS }, ctx.signal);
      return logs?.length ? { value, logs } : { value };
    },
  });
}
