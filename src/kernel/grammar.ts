/**
 * Grammar-constrained decoding (issue 11, part 1): XGrammar (@mlc-ai/web-xgrammar, the
 * WebAssembly build web-llm uses) compiles a JSON Schema, JSON in general, or a structural tag
 * (text with tool calls) against a tokenizer's vocabulary; a matcher then says before each token
 * which tokens keep the output a valid prefix, and the decode loop masks the others out. The
 * output is valid by construction.
 *
 * Invariants:
 * - A Constraint is a pure function of the tokens it accepted: `constraintAfter(tokens)` rebuilds
 *   the same state, which is how a generation's grammar survives a spill, a resume, and a restart
 *   of XGrammar itself.
 * - `mask` only ever lowers logits to -Infinity; it never raises one. At least one token stays
 *   allowed while the matcher has not terminated (XGrammar guarantees a non-empty mask, and the
 *   tokens this module bans besides — control characters, special tokens — are never the only
 *   way on: every character has a single-byte token).
 * - XGrammar stops its whole WebAssembly module on input its converter rejects (an "abort"), and
 *   the module is unusable after that. Schemas are checked before they reach it
 *   (output-format.ts); should one abort anyway, that instance is dropped and the next use loads a
 *   fresh one (its file again, as a new module), and live constraints replay their tokens into it.
 */
import { KernelError } from "./errors.ts";
import { NUMBER_BOUNDS, checkOutputSchema, isBoundedFloat, mapSchema, mapTagSchemas, type JsonSchema, type OutputFormat } from "./output-format.ts";
import { numberRangeEbnf } from "./number-grammar.ts";

/** The part of XGrammar's API this module uses. */
interface XGrammarMatcher {
  acceptToken(token: number): boolean;
  getNextTokenBitmask(): Promise<Int32Array>;
  isTerminated(): boolean;
  dispose(): void;
}
interface XGrammarCompiled {
  dispose(): void;
}
interface XGrammarCompiler {
  compileJSONSchema(schema: string, anyWhitespace?: boolean): Promise<XGrammarCompiled>;
  compileGrammar(ebnf: string): Promise<XGrammarCompiled>;
  compileBuiltinJSONGrammar(): Promise<XGrammarCompiled>;
  compileStructuralTag(structuralTag: string): Promise<XGrammarCompiled>;
  dispose(): void;
}
interface XGrammarApi {
  TokenizerInfo: { createTokenizerInfo(vocab: string[], vocabType: string, prependSpace: boolean, vocabSize: number, stopTokenIds: number[]): Promise<{ dispose(): void }> };
  GrammarCompiler: { createGrammarCompiler(info: unknown): Promise<XGrammarCompiler> };
  GrammarMatcher: { createGrammarMatcher(compiled: XGrammarCompiled): Promise<XGrammarMatcher> };
  Grammar: { fromJSONSchema(schema: string, anyWhitespace?: boolean): Promise<{ toString(): string; dispose(): void }> };
}

/**
 * XGrammar's module file (~1.1 MB, its wasm inlined). Vite emits it as an asset next to the
 * kernel's bundle; in Node it is the file in node_modules. It is a UMD bundle: imported as an ES
 * module it puts its API on `globalThis.xgrammar` (and in Node reads `require` and `__filename`).
 */
const XGRAMMAR_URL = new URL("../../node_modules/@mlc-ai/web-xgrammar/lib/index.js", import.meta.url);

let instances = 0;
let loadingInstance: Promise<unknown> = Promise.resolve();

/** A fresh instance of XGrammar: each import of the file under a new URL is a new module, with its own WebAssembly memory. */
function loadInstance(): Promise<XGrammarApi> {
  const load = loadingInstance.then(async () => {
    const g = globalThis as { xgrammar?: XGrammarApi; require?: unknown; __filename?: string; document?: unknown; location?: unknown };
    if (g.document === undefined && g.location === undefined && g.require === undefined) {
      const { createRequire } = (await import(/* @vite-ignore */ "node:" + "module")) as typeof import("node:module");
      g.require = createRequire(import.meta.url);
      g.__filename ??= "xgrammar.js";
    }
    const n = instances++;
    delete g.xgrammar;
    await import(/* @vite-ignore */ n === 0 ? XGRAMMAR_URL.href : `${XGRAMMAR_URL.href}?instance=${n}`);
    const api = (globalThis as { xgrammar?: XGrammarApi }).xgrammar;
    delete g.xgrammar;
    if (!api?.GrammarMatcher) throw new KernelError("ENOTSUP", "XGrammar did not load");
    return api;
  });
  loadingInstance = load.catch(() => undefined);
  return load;
}

/** XGrammar stopped its module (emscripten's abort): nothing from that instance may be used again. */
function isAbort(error: unknown): boolean {
  return /Aborted\(/.test(String((error as Error)?.message ?? error));
}

/** How a tokenizer writes its tokens' bytes (XGrammar's vocabulary types). */
export type VocabularyKind = "byte_level" | "byte_fallback" | "raw";

/**
 * The kind of a vocabulary, from its tokens: byte-level BPE spells every byte as a printable
 * character (space as "Ġ", newline as "Ċ"); byte-fallback vocabularies have "<0x0A>"-style tokens.
 */
export function vocabularyKind(tokens: readonly string[]): VocabularyKind {
  const has = new Set(tokens);
  if (has.has("Ġ") && has.has("Ċ")) return "byte_level";
  if (has.has("<0x0A>")) return "byte_fallback";
  return "raw";
}

/** One compiled format; constraints on it are cheap (one per generation). */
export interface CompiledFormat {
  /** A fresh constraint, advanced past `tokens` (a resumed generation's output so far); EINVAL if they do not fit the format. */
  constraintAfter(tokens: readonly number[]): Promise<Constraint>;
  dispose(): void;
}

export interface Constraint {
  /** Lowers to -Infinity the logits of tokens that would make the output invalid. */
  mask(logits: Float32Array): Promise<void>;
  /** Advances past a sampled token; false if the grammar did not allow it (nothing changes then). */
  accept(token: number): Promise<boolean>;
  /** The output is complete: the grammar accepted an end token (the generation ends). */
  readonly done: boolean;
  dispose(): void;
}

/** One live XGrammar instance with this vocabulary's compiler. */
interface Runtime {
  readonly api: XGrammarApi;
  readonly compiler: XGrammarCompiler;
}

/** GPT-2's byte-level alphabet: the character each byte is written as, inverted (character → byte). */
function byteLevelDecoder(): Map<string, number> {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) out.set(String.fromCodePoint(printable(b) ? b : next++), b);
  return out;
}

/**
 * Tokens that write a control character other than a newline. XGrammar's JSON strings allow raw
 * tabs and other control characters, which JSON.parse (RFC 8259) rejects; the formats here never
 * need them (structure uses newlines and spaces, strings can escape), so they are never allowed.
 * Special tokens (not spelled in the byte alphabet) are left alone.
 */
function controlCharacterTokens(tokens: readonly string[], kind: VocabularyKind): Uint32Array {
  const banned = new Uint32Array(Math.ceil(tokens.length / 32));
  const decoder = kind === "byte_level" ? byteLevelDecoder() : null;
  tokens.forEach((token, id) => {
    let bytes: number[] | null;
    if (decoder) bytes = [...token].every((c) => decoder.has(c)) ? [...token].map((c) => decoder.get(c)!) : null;
    else if (kind === "byte_fallback" && /^<0x[0-9A-Fa-f]{2}>$/.test(token)) bytes = [parseInt(token.slice(3, 5), 16)];
    else bytes = [...token].map((c) => c.codePointAt(0)!);
    if (bytes?.some((b) => b < 0x20 && b !== 0x0a)) banned[id >> 5]! |= 1 << (id & 31);
  });
  return banned;
}

/** A tokenizer's vocabulary, prepared once for compiling formats against it. */
export class GrammarVocabulary {
  private runtime: Promise<Runtime> | null = null;
  /** The instance in use (null while none has loaded). */
  private live: Runtime | null = null;
  /** Times XGrammar stopped and was replaced by a fresh instance. */
  restarts = 0;

  private constructor(
    private readonly tokens: readonly string[],
    private readonly kind: VocabularyKind,
    private readonly stopIds: readonly number[],
    /** Bit i set: token i is never allowed (control characters; special tokens other than the stop tokens). */
    readonly banned: Uint32Array,
  ) {}

  get size(): number {
    return this.tokens.length;
  }

  /**
   * `tokens[i]`: token i as the tokenizer's vocabulary spells it; `stopIds`: its end-of-sequence
   * ids; `specialIds`: tokens that are not text (a chat template's markers), never part of an output.
   */
  static async create(tokens: readonly string[], kind: VocabularyKind, stopIds: readonly number[], specialIds: readonly number[] = []): Promise<GrammarVocabulary> {
    const banned = controlCharacterTokens(tokens, kind);
    for (const id of specialIds) if (!stopIds.includes(id) && id < tokens.length) banned[id >> 5]! |= 1 << (id & 31);
    const vocabulary = new GrammarVocabulary([...tokens], kind, [...stopIds], banned);
    await vocabulary.current();
    return vocabulary;
  }

  /** The live XGrammar instance, loading a fresh one after a stop. */
  current(): Promise<Runtime> {
    this.runtime ??= (async () => {
      const api = await loadInstance();
      const info = await api.TokenizerInfo.createTokenizerInfo([...this.tokens], this.kind, false, this.tokens.length, [...this.stopIds]);
      const runtime = { api, compiler: await api.GrammarCompiler.createGrammarCompiler(info) };
      this.live = runtime;
      return runtime;
    })();
    this.runtime.catch(() => (this.runtime = null));
    return this.runtime;
  }

  isLive(runtime: Runtime): boolean {
    return this.live === runtime;
  }

  /** After an error from `runtime`: true if it was XGrammar stopping (that instance is dropped; the next use loads another). */
  fault(runtime: Runtime, error: unknown): boolean {
    if (!isAbort(error)) return false;
    if (this.live === runtime) {
      this.live = null;
      this.runtime = null;
      this.restarts++;
    }
    return true;
  }

  /** Compiles `format` (its schemas checked first); a schema XGrammar cannot use is EINVAL. */
  async compile(format: OutputFormat): Promise<CompiledFormat> {
    for (const schema of schemasIn(format)) checkOutputSchema(schema, "response_format.json_schema.schema");
    return this.compileUnchecked(format);
  }

  /** compile() without the schema check: only for tests of the restart path. */
  async compileUnchecked(format: OutputFormat): Promise<CompiledFormat> {
    const compiled = new Compiled(this, format);
    await compiled.grammarFor(await this.current());
    return compiled;
  }
}

/** The JSON Schemas inside a format (a structural tag's json_schema parts included). */
function schemasIn(format: OutputFormat): unknown[] {
  if (format.type === "json_schema") return [format.schema];
  if (format.type === "json_object") return [];
  const found: unknown[] = [];
  mapTagSchemas(format.format, (part) => found.push(part.json_schema));
  return found;
}

/**
 * The EBNF for a schema with bounded non-integer numbers (null if it has none): XGrammar converts
 * the schema with each such number replaced by a marker constant, and the marker's rule becomes
 * an exact range grammar (number-grammar.ts) — XGrammar's own is wrong for them.
 */
async function schemaEbnf(api: XGrammarApi, schema: JsonSchema, anyWhitespace: boolean): Promise<string | null> {
  const ranges: string[] = [];
  const marked = mapSchema(schema, (node) => {
    if (!isBoundedFloat(node) || node.enum !== undefined || node.const !== undefined) return stripProperties(node);
    const lows = [node.minimum, node.exclusiveMinimum].filter((x): x is number => typeof x === "number");
    const highs = [node.maximum, node.exclusiveMaximum].filter((x): x is number => typeof x === "number");
    const min = lows.length ? Math.max(...lows) : undefined;
    const max = highs.length ? Math.min(...highs) : undefined;
    const rule = numberRangeEbnf({ min, minOpen: min !== undefined && min === node.exclusiveMinimum, max, maxOpen: max !== undefined && max === node.exclusiveMaximum });
    if (rule === null) throw new KernelError("EINVAL", "response_format: a number's minimum and maximum leave no value");
    const marker = { const: `__aios_number_${ranges.length}__` };
    ranges.push(rule);
    const types = (Array.isArray(node.type) ? node.type : [node.type]).filter((t) => t !== undefined && t !== "number");
    if (types.length === 0) return marker;
    const rest = Object.fromEntries(Object.entries(stripProperties(node)).filter(([k]) => !(NUMBER_BOUNDS as readonly string[]).includes(k)));
    return { anyOf: [marker, { ...rest, type: types }] };
  });
  if (ranges.length === 0) return null;
  const grammar = await api.Grammar.fromJSONSchema(JSON.stringify(marked), anyWhitespace);
  let ebnf: string;
  try {
    ebnf = grammar.toString();
  } finally {
    grammar.dispose();
  }
  ranges.forEach((rule, i) => {
    ebnf = ebnf.split(JSON.stringify(JSON.stringify(`__aios_number_${i}__`))).join(`aios_number_${i}`);
    ebnf += `\naios_number_${i} ::= ${rule}`;
  });
  return ebnf;
}

/** min/maxProperties are left to the check of the finished reply (not tried with XGrammar). */
function stripProperties(node: Record<string, unknown>): Record<string, unknown> {
  if (!("minProperties" in node) && !("maxProperties" in node)) return node;
  const { minProperties: _a, maxProperties: _b, ...rest } = node;
  return rest;
}

/** A structural tag whose json_schema parts with bounded non-integer numbers become grammars (schemaEbnf). */
async function withSchemaGrammars(api: XGrammarApi, node: unknown): Promise<unknown> {
  const parts = new Map<object, unknown>();
  mapTagSchemas(node, (part) => parts.set(part, part));
  for (const part of parts.keys()) {
    const { json_schema: schema } = part as { json_schema: JsonSchema };
    // (A structural tag's JSON parts take any whitespace: models write calls in their own style.)
    const ebnf = await schemaEbnf(api, schema, true);
    parts.set(part, ebnf === null ? { ...part, json_schema: mapSchema(schema, stripProperties) } : { type: "grammar", grammar: ebnf });
  }
  return mapTagSchemas(node, (part) => parts.get(part));
}

/** A format and its grammar, compiled (again) for whichever XGrammar instance is live. */
class Compiled implements CompiledFormat {
  private compiled: { runtime: Runtime; grammar: Promise<XGrammarCompiled> } | null = null;

  constructor(
    readonly vocabulary: GrammarVocabulary,
    private readonly format: OutputFormat,
  ) {}

  grammarFor(runtime: Runtime): Promise<XGrammarCompiled> {
    if (this.compiled?.runtime !== runtime) {
      const { compiler } = runtime;
      const format = this.format;
      const grammar = (async () => {
        try {
          if (format.type === "json_object") return await compiler.compileBuiltinJSONGrammar();
          if (format.type === "json_schema") {
            const ebnf = await schemaEbnf(runtime.api, format.schema, false);
            return ebnf === null ? await compiler.compileJSONSchema(JSON.stringify(format.schema), false) : await compiler.compileGrammar(ebnf);
          }
          return await compiler.compileStructuralTag(JSON.stringify({ type: "structural_tag", format: await withSchemaGrammars(runtime.api, format.format) }));
        } catch (error) {
          const stopped = this.vocabulary.fault(runtime, error);
          throw new KernelError("EINVAL", `response_format: the grammar cannot be compiled${stopped ? " (XGrammar stopped on it and was restarted)" : `: ${(error as Error)?.message ?? String(error)}`}`);
        }
      })();
      grammar.catch(() => {
        if (this.compiled?.grammar === grammar) this.compiled = null;
      });
      this.compiled = { runtime, grammar };
    }
    return this.compiled.grammar;
  }

  async constraintAfter(tokens: readonly number[]): Promise<Constraint> {
    const constraint = new ReplayingConstraint(this);
    for (const token of tokens) {
      if (!(await constraint.accept(token))) {
        constraint.dispose();
        throw new KernelError("EINVAL", "the output so far does not match its format");
      }
    }
    return constraint;
  }

  dispose(): void {
    const compiled = this.compiled;
    this.compiled = null;
    if (compiled && this.vocabulary.isLive(compiled.runtime)) compiled.grammar.then((g) => g.dispose(), () => undefined);
  }
}

/**
 * A matcher plus the tokens it accepted. If XGrammar stops (in this generation's call or any
 * other), the next call rebuilds the matcher on the fresh instance and replays the tokens.
 */
class ReplayingConstraint implements Constraint {
  private readonly accepted: number[] = [];
  private matcher: { runtime: Runtime; matcher: XGrammarMatcher } | null = null;
  done = false;

  constructor(private readonly compiled: Compiled) {}

  private async current(): Promise<XGrammarMatcher> {
    const vocabulary = this.compiled.vocabulary;
    if (this.matcher && vocabulary.isLive(this.matcher.runtime)) return this.matcher.matcher;
    const runtime = await vocabulary.current();
    const matcher = await runtime.api.GrammarMatcher.createGrammarMatcher(await this.compiled.grammarFor(runtime));
    for (const token of this.accepted) {
      if (!matcher.acceptToken(token)) throw new KernelError("EIO", "XGrammar was restarted and the output so far no longer replays into it");
    }
    this.matcher = { runtime, matcher };
    return matcher;
  }

  /** Runs `use` on a live matcher; if XGrammar stops during it, once more on a fresh instance. */
  private async withMatcher<T>(use: (matcher: XGrammarMatcher) => T | Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const matcher = await this.current();
      const runtime = this.matcher!.runtime;
      try {
        return await use(matcher);
      } catch (error) {
        if (!this.compiled.vocabulary.fault(runtime, error) || attempt > 0) throw new KernelError("EIO", `constrained decoding failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    }
  }

  async mask(logits: Float32Array): Promise<void> {
    const bits = await this.withMatcher((m) => m.getNextTokenBitmask());
    applyMask(logits, bits, this.compiled.vocabulary.size, this.compiled.vocabulary.banned);
  }

  async accept(token: number): Promise<boolean> {
    const { accepted, terminated } = await this.withMatcher((m) => {
      const ok = m.acceptToken(token);
      return { accepted: ok, terminated: ok && m.isTerminated() };
    });
    if (accepted) this.accepted.push(token);
    this.done ||= terminated;
    return accepted;
  }

  dispose(): void {
    const held = this.matcher;
    this.matcher = null;
    if (held && this.compiled.vocabulary.isLive(held.runtime)) held.matcher.dispose();
  }
}

/** Sets to -Infinity every logit the bitmask excludes or `banned` lists, and those past the vocabulary. */
function applyMask(logits: Float32Array, bits: Int32Array, vocabSize: number, banned: Uint32Array): void {
  const n = Math.min(logits.length, vocabSize);
  for (let word = 0; word * 32 < n; word++) {
    const w = bits[word]! & ~banned[word]!;
    if (w === -1) continue;
    for (let i = word * 32, end = Math.min(n, i + 32); i < end; i++) if ((w & (1 << (i & 31))) === 0) logits[i] = -Infinity;
  }
  // Tokens past the tokenizer's vocabulary (padding rows of the embedding) are never valid.
  for (let i = n; i < logits.length; i++) logits[i] = -Infinity;
}
