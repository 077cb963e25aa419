/**
 * The one mathjs instance the calculator and units tools share, limited the way mathjs's own
 * security notes advise (docs/expressions/security.md, examples/advanced/more_secure_eval.js): the
 * functions that change the instance (`import`, `createUnit`, `config`, `reviver`) or parse text
 * into new expression trees (`evaluate`, `parse`, `compile`, `simplify`, `derivative`, `resolve`, …)
 * are replaced, inside expressions, by functions that throw; `evaluate` is captured before that.
 *
 * mathjs (v4 and newer) never uses `eval` or `new Function`: its parser builds a tree and
 * "compiles" it into closures, and it refuses property access to `constructor`, `__proto__` and
 * the like (utils/customs.js). A grep of node_modules/mathjs/lib/esm and of its dependencies
 * (typed-function, complex.js, fraction.js, decimal.js, …) finds no `new Function(` and no
 * `eval(`, so it also works under the app's Content-Security-Policy without `unsafe-eval`.
 *
 * Evaluation is synchronous and the kernel cannot interrupt it, so the functions that allocate a
 * matrix of a size given as a number (`zeros`, `ones`, `identity`, `range` and `a:b`, `random`,
 * `randomInt`) refuse more than MAX_ELEMENTS elements. Other ways to make a big result (repeated
 * `concat`, `kron`) remain bounded only by the 500-character expression.
 *
 * This module is loaded on a tool's first call (dynamic import), so mathjs is not part of the
 * kernel's start-up.
 */
import { all, create, type MathJsInstance } from "mathjs";

/** The most elements a size-taking function may create (8 MB of doubles). */
export const MAX_ELEMENTS = 1_000_000;

export const math: MathJsInstance = create(all);

/** mathjs's own evaluate, captured before the expression-level `evaluate` is disabled. */
const limitedEvaluate = math.evaluate;

const disabled = (name: string) =>
  function () {
    throw new Error(`function ${name} is disabled`);
  };

const DISABLED = [
  // change the instance
  "import", "createUnit", "config", "reviver", "replacer",
  // parse text into expression trees, or manipulate trees
  "evaluate", "parse", "compile", "parser", "simplify", "simplifyConstant", "simplifyCore", "rationalize", "derivative", "resolve", "leafCount", "symbolicEqual",
] as const;

/** The numbers in a size argument (a number, BigNumber, array or matrix of them); NaN if unknown. */
function sizeValues(arg: unknown): number[] {
  if (typeof arg === "number") return [arg];
  if (typeof arg === "string" || typeof arg === "boolean" || arg == null) return [];
  if (Array.isArray(arg)) return arg.flatMap(sizeValues);
  if (math.isMatrix(arg)) return (arg.toArray() as unknown[]).flatMap(sizeValues);
  if (math.isBigNumber(arg) || math.isFraction(arg)) return [Number(arg)];
  return [NaN];
}

function checkElements(name: string, count: number): void {
  if (!(count <= MAX_ELEMENTS)) throw new Error(`${name}: more than ${MAX_ELEMENTS} elements`);
}

/** zeros(n, m), ones([n, m]), identity(n), random([n, m]), randomInt([n, m], …): the product of the sizes. */
function sizeGuard(name: string, sizeArgs: (args: unknown[]) => unknown[]) {
  const original = (math as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
  return function (...args: unknown[]) {
    const values = sizeArgs(args).flatMap(sizeValues);
    let count = values.reduce((p, v) => p * Math.abs(v), 1);
    if (name === "identity" && values.length === 1) count = values[0] * values[0];
    checkElements(name, count);
    return original(...args);
  };
}

/** range(start, end, step?) and `start:step:end`; the string form "1:10" as well. */
function rangeCount(args: unknown[]): number {
  let parts: unknown[] = args;
  if (typeof args[0] === "string") parts = args[0].split(":").map(Number);
  const nums = parts.filter((p) => typeof p !== "boolean").map((p) => (typeof p === "number" ? p : math.isBigNumber(p) || math.isFraction(p) ? Number(p) : NaN));
  if (nums.length < 2 || nums.some(Number.isNaN)) return 0; // units and the like: let mathjs decide
  const [start, a, b] = nums;
  const [end, step] = typeof args[0] === "string" && nums.length === 3 ? [b, a] : [a, b ?? 1];
  return Math.abs(end - start) / Math.abs(step);
}

function rangeGuard() {
  const original = math.range as unknown as (...args: unknown[]) => unknown;
  const transform = (math.expression as unknown as { transform: Record<string, (...args: unknown[]) => unknown> }).transform.range;
  const guarded = Object.assign(
    function (...args: unknown[]) {
      checkElements("range", rangeCount(args));
      return original(...args);
    },
    {
      // what `a:b` and `range(…)` call inside expressions (1-based, end included)
      transform(...args: unknown[]) {
        checkElements("range", rangeCount(args));
        return transform(...args);
      },
    },
  );
  return guarded;
}

const guards = {
  range: rangeGuard(),
  zeros: sizeGuard("zeros", (a) => a),
  ones: sizeGuard("ones", (a) => a),
  identity: sizeGuard("identity", (a) => a),
  random: sizeGuard("random", (a) => (Array.isArray(a[0]) || math.isMatrix(a[0]) ? [a[0]] : [])),
  randomInt: sizeGuard("randomInt", (a) => (Array.isArray(a[0]) || math.isMatrix(a[0]) ? [a[0]] : [])),
};

math.import({ ...Object.fromEntries(DISABLED.map((name) => [name, disabled(name)])), ...guards }, { override: true });

/** Evaluates an expression with the limited instance; throws mathjs's own errors. */
export function evaluateExpression(expression: string): unknown {
  return limitedEvaluate(expression);
}

/** Rounds away float noise: 0.1 + 0.2 → 0.3. */
export function roundSignificant(value: number, digits: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(digits)) : value;
}
