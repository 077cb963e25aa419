/**
 * Grammar-constrained decoding (issue 11, part 1): XGrammar (@mlc-ai/web-xgrammar, the
 * WebAssembly build web-llm uses) compiles a JSON Schema, or JSON in general, against a
 * tokenizer's vocabulary; a matcher then says before each token which tokens keep the output a
 * valid prefix, and the decode loop masks the others out. The output is valid by construction.
 *
 * Invariants:
 * - A Constraint is a pure function of the tokens it accepted: `constraintAfter(tokens)` rebuilds
 *   the same state, which is how a generation's grammar survives a spill and a resume.
 * - `mask` only ever lowers logits to -Infinity; it never raises one. At least one token stays
 *   allowed while the matcher has not terminated (XGrammar guarantees a non-empty mask, and the
 *   tokens this module bans besides — control characters — are never the only way on: every
 *   character has a single-byte token).
 */
import { KernelError } from "./errors.ts";

/** The part of XGrammar's API this module uses (its package has no ES module exports; see loadXGrammar). */
interface XGrammarMatcher {
  acceptToken(token: number): boolean;
  getNextTokenBitmask(): Promise<Int32Array>;
  isTerminated(): boolean;
  dispose(): void;
}
interface XGrammarCompiled {
  dispose(): void;
}
interface XGrammarApi {
  TokenizerInfo: { createTokenizerInfo(vocab: string[], vocabType: string, prependSpace: boolean, vocabSize: number, stopTokenIds: number[]): Promise<{ dispose(): void }> };
  GrammarCompiler: {
    createGrammarCompiler(info: unknown): Promise<{
      compileJSONSchema(schema: string, anyWhitespace?: boolean): Promise<XGrammarCompiled>;
      compileBuiltinJSONGrammar(): Promise<XGrammarCompiled>;
      dispose(): void;
    }>;
  };
  GrammarMatcher: { createGrammarMatcher(compiled: XGrammarCompiled): Promise<XGrammarMatcher> };
}

let loading: Promise<XGrammarApi> | null = null;

/**
 * XGrammar's module, loaded on first use (~1.1 MB with its wasm inlined). Its package is a UMD
 * bundle marked as an ES module: bundled by Vite it is treated as CommonJS and exports its API
 * (checked in Chromium); loaded as an ES module (Node) it exports nothing and puts its API on
 * `globalThis.xgrammar`, and reads `require` and `__filename`, which ES modules lack.
 */
export function loadXGrammar(): Promise<XGrammarApi> {
  loading ??= (async () => {
    const g = globalThis as { xgrammar?: XGrammarApi; require?: unknown; __filename?: string; document?: unknown; location?: unknown };
    if (!g.xgrammar && g.document === undefined && g.location === undefined && g.require === undefined) {
      const { createRequire } = (await import(/* @vite-ignore */ "node:" + "module")) as typeof import("node:module");
      g.require = createRequire(import.meta.url);
      g.__filename ??= "xgrammar.js";
    }
    const ns = (await import("@mlc-ai/web-xgrammar")) as unknown as Partial<XGrammarApi> & { default?: Partial<XGrammarApi> };
    // Bundled (Vite/rolldown treat it as CommonJS): its exports; unbundled ES module (Node): the global.
    const api = [ns, ns.default, g.xgrammar].find((candidate) => candidate?.GrammarMatcher);
    if (!api) throw new KernelError("ENOTSUP", "XGrammar did not load");
    return api as XGrammarApi;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/** How a tokenizer writes its tokens' bytes (XGrammar's vocabulary types). */
export type VocabularyKind = "byte_level" | "byte_fallback" | "raw";

/** What a generation's output must be. */
export type OutputFormat = { type: "json_object" } | { type: "json_schema"; schema: object };

/** One compiled format; constraints on it are cheap (one per generation). */
export interface CompiledFormat {
  /** A fresh constraint, advanced past `tokens` (a resumed generation's output so far). */
  constraintAfter(tokens: readonly number[]): Promise<Constraint>;
  dispose(): void;
}

export interface Constraint {
  /** Lowers to -Infinity the logits of tokens that would make the output invalid. */
  mask(logits: Float32Array): Promise<void>;
  /** Advances past a sampled token; false if the grammar did not allow it (nothing changes then). */
  accept(token: number): boolean;
  /** The output is complete: the grammar allows nothing more (the generation should end). */
  readonly done: boolean;
  dispose(): void;
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
  private constructor(
    private readonly xgr: XGrammarApi,
    private readonly compiler: Awaited<ReturnType<XGrammarApi["GrammarCompiler"]["createGrammarCompiler"]>>,
    readonly size: number,
    private readonly banned: Uint32Array,
  ) {}

  /** `tokens[i]`: token i as the tokenizer's vocabulary spells it; `stopIds`: its end-of-sequence ids. */
  static async create(tokens: readonly string[], kind: VocabularyKind, stopIds: readonly number[]): Promise<GrammarVocabulary> {
    const xgr = await loadXGrammar();
    const info = await xgr.TokenizerInfo.createTokenizerInfo([...tokens], kind, false, tokens.length, [...stopIds]);
    return new GrammarVocabulary(xgr, await xgr.GrammarCompiler.createGrammarCompiler(info), tokens.length, controlCharacterTokens(tokens, kind));
  }

  /** Compiles `format`; an invalid JSON Schema is EINVAL. */
  async compile(format: OutputFormat): Promise<CompiledFormat> {
    if (format.type === "json_schema") checkSchema(format.schema);
    let compiled: XGrammarCompiled;
    try {
      compiled = format.type === "json_object" ? await this.compiler.compileBuiltinJSONGrammar() : await this.compiler.compileJSONSchema(JSON.stringify(format.schema), false);
    } catch (error) {
      throw new KernelError("EINVAL", `response_format: the JSON Schema cannot be used: ${(error as Error).message ?? String(error)}`);
    }
    const { xgr, size, banned } = this;
    return {
      async constraintAfter(tokens) {
        const matcher = await xgr.GrammarMatcher.createGrammarMatcher(compiled);
        for (const token of tokens) {
          if (!matcher.acceptToken(token)) {
            matcher.dispose();
            throw new KernelError("EINVAL", "the output so far does not match its format");
          }
        }
        return matcherConstraint(matcher, size, banned);
      },
      dispose: () => compiled.dispose(),
    };
  }
}

/**
 * What XGrammar's converter would stop the process on (a failed internal check aborts its wasm
 * module, and a second abort can hang it): a schema that is not an object, or a `$ref` that is
 * not a JSON pointer into the schema itself. Refused here with EINVAL instead.
 */
function checkSchema(schema: unknown): void {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new KernelError("EINVAL", "response_format: json_schema.schema must be a JSON Schema object");
  const resolves = (ref: string): boolean => {
    if (ref === "#") return true;
    if (!ref.startsWith("#/")) return false;
    let at: unknown = schema;
    for (const raw of ref.slice(2).split("/")) {
      const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (typeof at !== "object" || at === null || !Object.prototype.hasOwnProperty.call(at, part)) return false;
      at = (at as Record<string, unknown>)[part];
    }
    return typeof at === "object" && at !== null;
  };
  const visit = (node: unknown, depth: number): void => {
    if (depth > 64) throw new KernelError("EINVAL", "response_format: the JSON Schema is nested too deeply (over 64 levels)");
    if (Array.isArray(node)) return node.forEach((n) => visit(n, depth + 1));
    if (typeof node !== "object" || node === null) return;
    const ref = (node as { $ref?: unknown }).$ref;
    if (ref !== undefined && (typeof ref !== "string" || !resolves(ref))) {
      throw new KernelError("EINVAL", `response_format: $ref ${JSON.stringify(ref)} does not point into the schema (only local references like "#/$defs/x" are supported)`);
    }
    for (const value of Object.values(node)) visit(value, depth + 1);
  };
  visit(schema, 0);
}

function matcherConstraint(matcher: XGrammarMatcher, vocabSize: number, banned: Uint32Array): Constraint {
  return {
    async mask(logits) {
      const bits = await matcher.getNextTokenBitmask();
      const n = Math.min(logits.length, vocabSize);
      for (let word = 0; word * 32 < n; word++) {
        const w = bits[word]! & ~banned[word]!;
        if (w === -1) continue;
        for (let i = word * 32, end = Math.min(n, i + 32); i < end; i++) if ((w & (1 << (i & 31))) === 0) logits[i] = -Infinity;
      }
      // Tokens past the tokenizer's vocabulary (padding rows of the embedding) are never valid.
      for (let i = n; i < logits.length; i++) logits[i] = -Infinity;
    },
    accept: (token) => matcher.acceptToken(token),
    get done() {
      return matcher.isTerminated();
    },
    dispose: () => matcher.dispose(),
  };
}
