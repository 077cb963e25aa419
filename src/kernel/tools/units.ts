/**
 * `units`: converts a value between units with the calculator's limited mathjs instance
 * (./math.ts). The result is rounded to 6 significant digits: { value: 3.10686, unit: "mi" }.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { defineTool } from "./tool.ts";

const DIGITS = 6;

const unitName = (what: string) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: `The unit to convert ${what}, a mathjs unit name: km, mi, m, cm, mm, ft, inch, yd, kg, g, lb, oz, l, ml, gal, cup, degC, degF, K, km/h, mi/h, m/s, s, min, h, day, week, B, kB, MB, GB, …`,
  });

const parameters = Type.Object(
  {
    value: Type.Number({ description: "The amount to convert, e.g. 5" }),
    from: unitName("from, e.g. \"km\""),
    to: unitName("to, e.g. \"mi\""),
  },
  { additionalProperties: false },
);

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const unitsTool = defineTool({
  name: "units",
  description: "Converts a value from one unit to another (length, mass, volume, temperature, speed, time, data size, …), e.g. 5 km to mi.",
  parameters,
  kind: "library",
  flow: { output: "trusted" },
  capability: () => "units",
  describe: (args) => `convert ${args.value} ${args.from} to ${args.to}`,
  timeoutMs: 5_000,
  async run(args) {
    const { math, roundSignificant } = await import("./math.ts");
    const parse = (field: "from" | "to", name: string) => {
      let unit;
      try {
        unit = math.unit(name);
      } catch (error) {
        throw new KernelError("EINVAL", `${field}: unknown unit ${JSON.stringify(name)} (${message(error)})`, { cause: error });
      }
      if (unit.value !== null) throw new KernelError("EINVAL", `${field}: must be a unit name without a number (got ${JSON.stringify(name)})`);
      return unit;
    };
    const from = parse("from", args.from);
    const to = parse("to", args.to);
    if (!from.equalBase(to)) throw new KernelError("EINVAL", `to: cannot convert ${args.from} to ${args.to} (they measure different things)`);
    let value: number;
    try {
      value = math.unit(args.value, args.from).toNumber(args.to);
    } catch (error) {
      throw new KernelError("EINVAL", `to: ${message(error)}`, { cause: error });
    }
    if (!Number.isFinite(value)) throw new KernelError("EINVAL", `value: ${args.value} ${args.from} is not a finite amount of ${args.to}`);
    return { value: roundSignificant(value, DIGITS), unit: args.to };
  },
});
