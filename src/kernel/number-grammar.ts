/**
 * EBNF (XGrammar's dialect) for JSON numbers within bounds: XGrammar's own range grammar for
 * non-integer numbers is wrong (0.1.27: [0, 1] admits 1.9, `minimum: 0` refuses 0.5), so bounded
 * `number`s get this exact one instead (see grammar.ts). Numbers are written without an exponent:
 * `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
 *
 * Invariant: a string matches `numberRangeEbnf(range)` iff it is such a number whose decimal value
 * lies in the range (bounds read as the decimals JavaScript prints for them); "-0" forms are left
 * out (0 is written "0").
 */

export interface NumberRange {
  min?: number;
  minOpen?: boolean;
  max?: number;
  maxOpen?: boolean;
}

/** Non-negative decimal as its integer part and its fraction digits (no trailing zeros). */
interface Decimal {
  int: bigint;
  frac: string;
}

function decimal(value: number): Decimal {
  let text = String(Math.abs(value));
  if (text.includes("e")) text = Math.abs(value).toFixed(20);
  const [int, frac = ""] = text.split(".");
  return { int: BigInt(int!), frac: frac.replace(/0+$/, "") };
}

const lit = (s: string) => JSON.stringify(s);
const alt = (xs: string[]) => (xs.length === 1 ? xs[0]! : `(${xs.join(" | ")})`);

/** Integer strings without leading zeros of one length n, from p to q (both n digits, p <= q). */
function sameLength(p: string, q: string): string[] {
  if (p === q) return [lit(p)];
  if (p.length === 1) return [`[${p}-${q}]`];
  const rest = p.length - 1;
  if (p[0] === q[0]) return sameLength(p.slice(1), q.slice(1)).map((x) => `${lit(p[0]!)} ${x}`);
  const out = sameLength(p.slice(1), "9".repeat(rest)).map((x) => `${lit(p[0]!)} ${x}`);
  const [a, b] = [Number(p[0]) + 1, Number(q[0]) - 1];
  if (a <= b) out.push([`[${a}-${b}]`, ...Array<string>(rest).fill("[0-9]")].join(" "));
  out.push(...sameLength("0".repeat(rest), q.slice(1)).map((x) => `${lit(q[0]!)} ${x}`));
  return out;
}

/** Integer strings (no leading zeros) from a to b (b null: no end); a >= 0. */
export function integerRange(a: bigint, b: bigint | null): string[] {
  const out: string[] = [];
  const la = String(a).length;
  const last = b === null ? la : String(b).length;
  for (let n = la; n <= last; n++) {
    const low = n === la ? a : 10n ** BigInt(n - 1);
    const high = b !== null && n === last ? b : 10n ** BigInt(n) - 1n;
    if (low <= high) out.push(...sameLength(String(low).padStart(n, "0"), String(high)));
  }
  if (b === null) out.push(["[1-9]", ...Array<string>(la).fill("[0-9]"), "[0-9]*"].join(" "));
  return out;
}

/**
 * Fraction digits R (the number's value after the point is 0.R): which R lie between 0.lo and
 * 0.hi (hi null: below 1). `empty`: R may be empty (the value 0 is in range); `digits`: EBNF
 * sequences for the non-empty R that are.
 */
function fractions(lo: string, loOpen: boolean, hi: string | null, hiOpen: boolean): { empty: boolean; digits: string[] } {
  const empty = lo === "" && !loOpen && (hi === null || hi !== "" || !hiOpen);
  if (lo === "" && hi === null) return { empty, digits: [loOpen ? "[0-9]* [1-9] [0-9]*" : "[0-9]+"] };
  if (lo === "" && hi === "") return { empty, digits: empty ? [`${lit("0")}+`] : [] };
  const a = Number(lo[0] ?? "0");
  const b = hi === null ? 9 : Number(hi[0] ?? "0");
  const digits: string[] = [];
  const then = (d: string, rest: { empty: boolean; digits: string[] }) => {
    const options = [...(rest.empty ? ['""'] : []), ...rest.digits];
    if (options.length) digits.push(`${d} ${alt(options)}`);
  };
  if (hi !== null && a === b) then(lit(String(a)), fractions(lo.slice(1), loOpen, hi.slice(1), hiOpen));
  else {
    then(lit(String(a)), fractions(lo.slice(1), loOpen, null, false));
    const upper = hi === null ? 9 : b - 1;
    if (a + 1 <= upper) digits.push(`[${a + 1}-${upper}] [0-9]*`);
    if (hi !== null) then(lit(String(b)), fractions("", false, hi.slice(1), hiOpen));
  }
  return { empty, digits };
}

/** `("" | "." R…)`: the optional fraction part for `fractions`' answer; null when nothing fits. */
function suffix(f: { empty: boolean; digits: string[] }): string | null {
  const options = [...(f.empty ? ['""'] : []), ...(f.digits.length ? [`${lit(".")} ${alt(f.digits)}`] : [])];
  return options.length ? alt(options) : null;
}

/** Magnitudes (unsigned numbers) from low to high (high null: no end); low <= high. */
function magnitudes(low: Decimal, lowOpen: boolean, high: Decimal | null, highOpen: boolean): string[] {
  const out: string[] = [];
  const push = (ints: string[], frac: string | null) => {
    if (ints.length && frac !== null) out.push(`${alt(ints)} ${frac}`);
  };
  if (high === null) {
    push(integerRange(low.int + 1n, null), suffix(fractions("", false, null, false)));
    push([lit(String(low.int))], suffix(fractions(low.frac, lowOpen, null, false)));
  } else if (low.int === high.int) {
    push([lit(String(low.int))], suffix(fractions(low.frac, lowOpen, high.frac, highOpen)));
  } else {
    if (low.int + 1n <= high.int - 1n) push(integerRange(low.int + 1n, high.int - 1n), suffix(fractions("", false, null, false)));
    push([lit(String(low.int))], suffix(fractions(low.frac, lowOpen, null, false)));
    push([lit(String(high.int))], suffix(fractions("", false, high.frac, highOpen)));
  }
  return out;
}

/** An EBNF expression for the numbers in `range`, or null if none is (the schema check refuses such ranges). */
export function numberRangeEbnf(range: NumberRange): string | null {
  const { min, max } = range;
  const minOpen = range.minOpen ?? false;
  const maxOpen = range.maxOpen ?? false;
  const out: string[] = [];
  // Zero and up.
  if (max === undefined || max > 0 || (max === 0 && !maxOpen)) {
    const low = min !== undefined && min >= 0 ? decimal(min) : { int: 0n, frac: "" };
    const lowOpen = min !== undefined && min >= 0 ? minOpen : false;
    out.push(...magnitudes(low, lowOpen, max === undefined ? null : decimal(max), maxOpen));
  }
  // Below zero: "-" and a magnitude above 0 (and above -max when max < 0), up to -min.
  if (min === undefined || min < 0) {
    const low = max !== undefined && max < 0 ? decimal(max) : { int: 0n, frac: "" };
    const lowOpen = max !== undefined && max < 0 ? maxOpen : true;
    const body = magnitudes(low, lowOpen, min === undefined ? null : decimal(min), minOpen);
    if (body.length) out.push(`${lit("-")} ${alt(body)}`);
  }
  return out.length ? alt(out) : null;
}
