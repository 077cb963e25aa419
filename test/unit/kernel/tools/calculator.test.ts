// The calculator and units tools: results, bad arguments, and the limited mathjs instance.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validate } from "../../../../src/kernel/schema.ts";
import { calculatorTool, MAX_RESULT_CHARS } from "../../../../src/kernel/tools/calculator.ts";
import { unitsTool } from "../../../../src/kernel/tools/units.ts";
import { call } from "./context.ts";

const calc = (expression: string) => call(calculatorTool, { expression });

describe("calculator", () => {
  it("returns numbers rounded to 12 significant digits", async () => {
    expect(await calc("0.1 + 0.2")).toBe(0.3);
    expect(await calc("2^10")).toBe(1024);
    expect(await calc("sqrt(2)")).toBe(1.41421356237);
    expect(await calc("12.5% * 80")).toBe(10);
    expect(await calc("sin(30 deg)")).toBe(0.5);
    expect(await calc("10!")).toBe(3628800);
    expect(await calc("det([1, 2; 3, 4])")).toBe(-2);
    expect(await calc("x = 4; y = x^2; y + 1")).toBe(17); // the last statement is the result
    expect(await calc("bignumber(1) / 3")).toBe(0.333333333333);
  });

  it("returns mathjs's text for units, matrices, complex numbers, booleans and the like", async () => {
    expect(await calc("5 km to mi")).toBe("3.10685596119 mi");
    expect(await calc("2 inch to cm")).toBe("5.08 cm");
    expect(await calc("[1, 2] * 2")).toBe("[2, 4]");
    expect(await calc("sqrt(-4)")).toBe("2i");
    expect(await calc("1 == 1")).toBe("true");
    expect(await calc("fraction(1, 3)")).toBe("1/3");
    expect(await calc("1 / 0")).toBe("Infinity");
    expect(await calc("1:3")).toBe("[1, 2, 3]");
    expect(await calc("typeOf(1)")).toBe("number");
  });

  it("cuts a long text result", async () => {
    const result = (await calc("ones(100, 100)")) as string;
    expect(result).toHaveLength(MAX_RESULT_CHARS + 1);
    expect(result.endsWith("…")).toBe(true);
  });

  it("refuses malformed arguments with EINVAL naming the field", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /^args\.expression: is required$/],
      [{ expression: "" }, /^args\.expression: /],
      [{ expression: "1".repeat(501) }, /^args\.expression: /],
      [{ expression: 42 }, /^args\.expression: /],
      [{ expression: "1", extra: 1 }, /^args\.extra: unknown field$/],
    ];
    for (const [args, message] of bad) expect(() => validate(calculatorTool.parameters, args, "args")).toThrow(message);
  });

  it("turns mathjs errors into EINVAL on expression", async () => {
    await expect(calc("1 +")).rejects.toMatchObject({ code: "EINVAL", message: "expression: Unexpected end of expression (char 4)" });
    await expect(calc("x")).rejects.toMatchObject({ code: "EINVAL", message: "expression: Undefined symbol x" });
    await expect(calc("5 km + 3 kg")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^expression: Units do not match/) });
  });

  it("describes the call and needs the calculator capability", () => {
    expect(calculatorTool.describe({ expression: "2 + 2" })).toBe("calculate 2 + 2");
    expect(calculatorTool.capability({ expression: "2 + 2" })).toBe("calculator");
  });
});

describe("calculator security (mathjs's limited instance)", () => {
  const original = { Function: globalThis.Function, eval: globalThis.eval };
  afterEach(() => {
    globalThis.Function = original.Function;
    globalThis.eval = original.eval;
    delete (globalThis as { pwned?: boolean }).pwned;
  });

  it("disables the functions that change mathjs or parse new expressions", async () => {
    const disabled: [string, string][] = [
      ["import({ x: 1 }, { override: true })", "import"],
      ['createUnit("x")', "createUnit"],
      ['evaluate("1")', "evaluate"],
      ['parse("1")', "parse"],
      ['compile("1")', "compile"],
      ["parser()", "parser"],
      ['simplify("x + x")', "simplify"],
      ['derivative("x^2", "x")', "derivative"],
      ['resolve("x", {})', "resolve"],
      ['rationalize("1/x")', "rationalize"],
      ['config({ number: "BigNumber" })', "config"],
      ['reviver()', "reviver"],
    ];
    for (const [expression, name] of disabled) {
      await expect(calc(expression), expression).rejects.toMatchObject({ code: "EINVAL", message: `expression: function ${name} is disabled` });
    }
    // nothing changed: no unit "x", numbers are still numbers
    await expect(calc("1 x")).rejects.toMatchObject({ code: "EINVAL" });
    expect(await calc("1 / 3")).toBe(0.333333333333);
  });

  it("refuses property access to constructors and never runs injected code", async () => {
    const attacks = [
      '[].constructor.constructor("globalThis.pwned = true")(1)',
      '[1].constructor',
      'cos.constructor("globalThis.pwned = true")(1)',
      'a = {}; a["constructor"]["constructor"]("globalThis.pwned = true")(1)',
      '"abc".constructor',
      "f = sin; f.call",
      "x = {}; x.__proto__",
      "[].map.constructor",
    ];
    for (const expression of attacks) await expect(calc(expression), expression).rejects.toMatchObject({ code: "EINVAL" });
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it("evaluates without eval or new Function", async () => {
    const calls: string[] = [];
    const trap = function () {
      calls.push("called");
      throw new Error("code generation");
    } as unknown as FunctionConstructor;
    globalThis.Function = trap;
    globalThis.eval = trap as unknown as typeof eval;
    expect(await calc("f(x) = x^2 + 1; f(3) + sum(1:10) + det([1, 2; 3, 4])")).toBe(63);
    expect(await calc("5 km to mi")).toBe("3.10685596119 mi");
    expect(calls).toEqual([]);
  });

  it("ships no eval or new Function in mathjs or its dependencies (source scan)", () => {
    const roots = ["mathjs/lib/esm", "typed-function/lib/esm", "complex.js/dist", "fraction.js/dist", "decimal.js", "seedrandom/lib", "escape-latex/dist", "javascript-natural-sort", "tiny-emitter"];
    const offending: string[] = [];
    let scanned = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(m?js|cjs)$/.test(name)) {
          scanned++;
          if (/new Function\s*\(|(^|[^.\w$])eval\s*\(/.test(readFileSync(path, "utf8"))) offending.push(path);
        }
      }
    };
    for (const root of roots) {
      try {
        walk(join("node_modules", root));
      } catch {
        // a dependency laid out differently: the runtime trap above still covers it
      }
    }
    expect(scanned).toBeGreaterThan(500);
    expect(offending).toEqual([]);
  });

  it("refuses to allocate huge matrices (evaluation cannot be interrupted)", async () => {
    for (const expression of ["zeros(2000, 2000)", "ones([1e4, 1e4])", "identity(1e4)", "1:1e9", 'range("1:1e9")', "random([1e4, 1e4])", "randomInt([1e4, 1e4], 10)"]) {
      await expect(calc(expression), expression).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/more than 1000000 elements$/) });
    }
    expect(await calc("sum(1:1000)")).toBe(500500);
    expect(await calc("size(zeros(10, 20))")).toBe("[10, 20]");
  });
});

describe("units", () => {
  const convert = (value: number, from: string, to: string) => call(unitsTool, { value, from, to });

  it("converts with 6 significant digits and echoes the target unit", async () => {
    expect(await convert(5, "km", "mi")).toEqual({ value: 3.10686, unit: "mi" });
    expect(await convert(100, "degF", "degC")).toEqual({ value: 37.7778, unit: "degC" });
    expect(await convert(0, "degC", "K")).toEqual({ value: 273.15, unit: "K" });
    expect(await convert(60, "mi/h", "km/h")).toEqual({ value: 96.5606, unit: "km/h" });
    expect(await convert(1, "cup", "ml")).toEqual({ value: 236.588, unit: "ml" });
    expect(await convert(2, "week", "h")).toEqual({ value: 336, unit: "h" });
    expect(await convert(1.5, "GB", "MB")).toEqual({ value: 1500, unit: "MB" });
    expect(await convert(10, "m/s", "km/h")).toEqual({ value: 36, unit: "km/h" });
    expect(await convert(1, "lb", "g")).toEqual({ value: 453.592, unit: "g" });
  });

  it("accepts every unit the schema's description lists", async () => {
    const names = "km mi m cm mm ft inch yd kg g lb oz l ml gal cup degC degF K km/h mi/h m/s s min h day week B kB MB GB".split(" ");
    for (const name of names) expect(await convert(1, name, name), name).toEqual({ value: 1, unit: name });
  });

  it("refuses unknown and incompatible units with EINVAL naming from or to", async () => {
    await expect(convert(1, "furlongz", "m")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^from: unknown unit "furlongz"/) });
    await expect(convert(1, "m", "parsecz")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^to: unknown unit "parsecz"/) });
    await expect(convert(1, "km", "kg")).rejects.toMatchObject({ code: "EINVAL", message: "to: cannot convert km to kg (they measure different things)" });
    await expect(convert(1, "5 km", "m")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringMatching(/^from: must be a unit name/) });
    expect(() => validate(unitsTool.parameters, { value: "5", from: "km", to: "mi" }, "args")).toThrow(/^args\.value: /);
    expect(() => validate(unitsTool.parameters, { value: 5, from: "km" }, "args")).toThrow(/^args\.to: is required$/);
    expect(() => validate(unitsTool.parameters, { value: 5, from: "", to: "mi" }, "args")).toThrow(/^args\.from: /);
  });

  it("describes the call and needs the units capability", () => {
    expect(unitsTool.describe({ value: 5, from: "km", to: "mi" })).toBe("convert 5 km to mi");
    expect(unitsTool.capability({ value: 5, from: "km", to: "mi" })).toBe("units");
  });
});
