/**
 * `calculator`: evaluates a math expression with a limited mathjs instance (./math.ts): never
 * `eval` or `new Function`. Numbers come back as numbers rounded to 12 significant digits (float
 * noise hidden: 0.1 + 0.2 → 0.3); anything else (units, matrices, complex numbers, booleans,
 * fractions) as mathjs's own text at 12 digits of precision.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { defineTool } from "./tool.ts";

export const MAX_EXPRESSION_CHARS = 500;
const DIGITS = 12;
/** Characters of a text result (a big matrix); longer is cut and ends with "…". */
export const MAX_RESULT_CHARS = 4000;

const parameters = Type.Object(
  {
    expression: Type.String({
      minLength: 1,
      maxLength: MAX_EXPRESSION_CHARS,
      description: 'A math expression, e.g. "12.5% * 80", "sqrt(2) * (3 + 4)^2", "5 km + 300 m to mi", "det([1, 2; 3, 4])". Several statements may be separated by ";" (the last one is the result).',
    }),
  },
  { additionalProperties: false },
);

/** A mathjs value as the tool's result: a number where it is one, else mathjs's text. */
export async function formatResult(value: unknown): Promise<number | string> {
  const { math, roundSignificant } = await import("./math.ts");
  if (math.isResultSet(value)) {
    const entries = (value as unknown as { entries: unknown[] }).entries;
    if (entries.length > 0) return formatResult(entries[entries.length - 1]);
  }
  if (typeof value === "number") return Number.isFinite(value) ? roundSignificant(value, DIGITS) : String(value);
  if (math.isBigNumber(value)) {
    const n = value.toNumber();
    return Number.isFinite(n) ? roundSignificant(n, DIGITS) : math.format(value, { precision: DIGITS });
  }
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined";
  return math.format(value, { precision: DIGITS });
}

export const calculatorTool = defineTool({
  name: "calculator",
  description: "Evaluates a math expression exactly (arithmetic, percentages, powers, roots, trigonometry, logarithms, matrices, complex numbers, units such as \"5 km to mi\"). Use it for any arithmetic instead of computing in your head.",
  parameters,
  kind: "library",
  flow: { output: "trusted" },
  capability: () => "calculator",
  describe: (args) => `calculate ${args.expression}`,
  timeoutMs: 5_000,
  async run(args) {
    const { evaluateExpression } = await import("./math.ts");
    let result: number | string;
    try {
      // formatting runs mathjs code too (a help object's examples, a matrix's elements)
      result = await formatResult(evaluateExpression(args.expression));
    } catch (error) {
      throw new KernelError("EINVAL", `expression: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return typeof result === "string" && result.length > MAX_RESULT_CHARS ? `${result.slice(0, MAX_RESULT_CHARS)}…` : result;
  },
});
