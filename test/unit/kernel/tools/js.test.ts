/**
 * The `js` tool and its sandbox in Node: QuickJS inline (the interrupt handler and the capped
 * wasm memory bound it), the tool's declaration and argument schema, and workerSandbox's
 * kill/reuse/fallback logic against a scripted fake Worker (real workers are checked in Chromium).
 */
import { describe, expect, test } from "vitest";
import { KernelError } from "../../../../src/kernel/errors.ts";
import { validate } from "../../../../src/kernel/schema.ts";
import { createJsTool, JS_MAX_OUTPUT_CHARS } from "../../../../src/kernel/tools/js.ts";
import { quickJsStats, runQuickJs } from "../../../../src/kernel/tools/quickjs.ts";
import { inlineSandbox, workerSandbox, type SandboxReply, type SandboxRequest } from "../../../../src/kernel/tools/sandbox.ts";
import type { ToolContext } from "../../../../src/kernel/tools/tool.ts";

const MB = 1024 * 1024;
const limits = { timeoutMs: 1000, memoryBytes: 32 * MB, maxOutputChars: 16_000 };
const never = new AbortController().signal;
const run = (code: string, more: Partial<typeof limits> = {}) => runQuickJs(code, { ...limits, ...more });

async function failure(promise: Promise<unknown>): Promise<KernelError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KernelError);
  return error as KernelError;
}

/** The host still works: a next call succeeds. */
async function stillWorks(): Promise<void> {
  expect(await run("[1, 2, 3].map((x) => x * 2)")).toEqual({ value: [2, 4, 6] });
}

describe("runQuickJs", () => {
  test("returns the completion value as JSON", async () => {
    expect(await run("1 + 1")).toEqual({ value: 2 });
    expect(await run("0.1 + 0.2")).toEqual({ value: 0.30000000000000004 });
    expect(await run("const xs = [3, 1, 2]; xs.sort()")).toEqual({ value: [1, 2, 3] });
    expect(await run("({ a: 1, b: [true, null, 'x'], c: { d: 2 } })")).toEqual({ value: { a: 1, b: [true, null, "x"], c: { d: 2 } } });
    expect(await run("'hello ' + 'world'")).toEqual({ value: "hello world" });
    expect(await run("undefined")).toEqual({ value: null });
    expect(await run("let x = 5;")).toEqual({ value: null });
    expect(await run("null")).toEqual({ value: null });
    expect(await run("new Date(0).toISOString()")).toEqual({ value: "1970-01-01T00:00:00.000Z" });
    expect(await run("new Map([[1, 2]])")).toEqual({ value: {} });
    // Not JSON: their String()
    expect(await run("(x) => x * 2")).toEqual({ value: "(x) => x * 2" });
    expect(await run("2n ** 70n")).toEqual({ value: "1180591620717411303424" });
    expect(await run("0 / 0")).toEqual({ value: "NaN" });
    expect(await run("Symbol('s')")).toEqual({ value: "Symbol(s)" });
    expect(await run("const o = {}; o.self = o; o")).toEqual({ value: "[object Object]" });
  });

  test("awaits a promise the snippet returns", async () => {
    expect(await run("(async () => { const a = await Promise.resolve(20); return a + 22; })()")).toEqual({ value: 42 });
    expect((await failure(run("Promise.reject(new RangeError('nope'))"))).message).toMatch(/^RangeError: nope/);
    expect((await failure(run("new Promise(() => {})"))).code).toBe("EINVAL");
  });

  test("captures console output, bounded", async () => {
    const r = await run("console.log('a', 1, { b: 2 }, [3]); console.info('i'); console.warn('w'); console.error(new Error('e').message); 'done'");
    expect(r).toEqual({ value: "done", logs: ['a 1 {"b":2} [3]', "i", "warn: w", "error: e"] });
    const many = await run("for (let i = 0; i < 1000; i++) console.log('line', i); 'ok'");
    expect(many.value).toBe("ok");
    expect(many.logs!.length).toBeLessThanOrEqual(201);
    expect(many.logs!.at(-1)).toMatch(/^… \d+ more console lines left out/);
    const long = await run("console.log('x'.repeat(100000)); 1");
    expect(long.logs![0]!.length).toBeLessThanOrEqual(2001);
  });

  test("truncates a long result, and logs share what is left of the output budget", async () => {
    const r = await run("console.log('before'); 'y'.repeat(50000)", { maxOutputChars: 1000 });
    expect(typeof r.value).toBe("string");
    expect(r.value as string).toMatch(/^"y{999}… \[truncated: the value was 50002 characters of JSON\]$/);
    expect(r.logs).toEqual(["… 1 more console line left out (output limit)"]);
    const fits = await run("console.log('a'.repeat(600)); console.log('b'.repeat(600)); 'x'.repeat(300)", { maxOutputChars: 1000 });
    expect(fits.value).toBe("x".repeat(300));
    expect(fits.logs).toEqual(["a".repeat(600), "… 1 more console line left out (output limit)"]);
  });

  test("a syntax error or an uncaught exception is EINVAL with its name and message", async () => {
    const syntax = await failure(run("let = ;"));
    expect(syntax.code).toBe("EINVAL");
    expect(syntax.message).toMatch(/^SyntaxError: .+ \(line 1, column \d+\)$/);
    const thrown = await failure(run("function f() { throw new TypeError('bad input'); }\nf()"));
    expect(thrown.code).toBe("EINVAL");
    expect(thrown.message).toMatch(/^TypeError: bad input \(line 1, column \d+\)$/);
    expect((await failure(run("throw 42"))).message).toBe("Uncaught 42");
    expect((await failure(run("throw { reason: 'x' }"))).message).toBe('Uncaught {"reason":"x"}');
    expect((await failure(run("undefinedVariable + 1"))).message).toMatch(/^ReferenceError: 'undefinedVariable' is not defined/);
    const deep = await failure(run("function f(n) { return f(n + 1) + 1; } f(0)"));
    expect(deep.code).toBe("EINVAL");
    expect(deep.message).toMatch(/stack overflow/);
    await stillWorks();
  });

  test("an endless loop is ETIMEDOUT near its limit, and the host keeps working", async () => {
    for (const code of ["while (true) {}", "for (;;) { Math.random(); }", "(async () => { while (true) {} })()", "Promise.resolve().then(() => { for (;;); }); 1", "try { while (true) {} } catch { while (true) {} }", "/(a+)+b/.test('a'.repeat(40))"]) {
      const started = performance.now();
      const e = await failure(run(code, { timeoutMs: 200 }));
      const ms = performance.now() - started;
      expect(e.code, code).toBe("ETIMEDOUT");
      expect(e.message).toBe("js ran over 200 ms");
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms, code).toBeLessThan(200 + 1500);
    }
    await stillWorks();
  });

  test("memory bombs are EQUOTA (or ETIMEDOUT), never a crash, and the wasm memory stays capped", async () => {
    const bombs = [
      "let a = []; while (true) a.push(new Array(1e6).fill(1))",
      "let s = 'x'; while (true) s += s",
      "let s = 'ab'; while (true) s = s.repeat(2)",
      "const keep = []; while (true) keep.push({ a: 1, b: [1, 2, 3] })",
      "const keep = []; while (true) keep.push(new Uint8Array(1 << 20))",
      "'x'.repeat(2 ** 29)",
      "const m = new Map(); for (let i = 0; ; i++) m.set(i, 'v' + i)",
    ];
    for (const code of bombs) {
      const e = await failure(run(code, { timeoutMs: 5000 }));
      expect(["EQUOTA", "ETIMEDOUT"], `${code}: ${e.code} ${e.message}`).toContain(e.code);
      await stillWorks();
    }
    // the module's whole memory: its initial 16 MiB plus the 32 MiB cap
    expect(quickJsStats().wasmMemoryBytes).toBeLessThanOrEqual(48 * MB);
    expect((await failure(run("let a = []; while (true) a.push(new Array(1e6).fill(1))", { timeoutMs: 10_000 }))).message).toBe("js used more than 32 MB");
    // a snippet that catches running out of memory and lets go of it carries on
    expect(await run("let keep = []; try { while (true) keep.push(new Array(1e5).fill(0)); } catch (e) { keep = null; String(e) }", { timeoutMs: 10_000 })).toEqual({ value: "InternalError: out of memory" });
  });

  test("has no host functions: no network, DOM, storage, timers, modules or Node", async () => {
    const names = ["fetch", "XMLHttpRequest", "WebSocket", "document", "window", "self", "navigator", "location", "localStorage", "sessionStorage", "indexedDB", "caches", "setTimeout", "setInterval", "queueMicrotask", "postMessage", "importScripts", "Worker", "require", "process", "module", "Deno", "Bun", "std", "os", "WebAssembly", "SharedWorker", "crypto"];
    const { value } = await run(`[${names.map((n) => `typeof ${n}`).join(", ")}]`);
    expect(Object.fromEntries(names.map((n, i) => [n, (value as string[])[i]]))).toEqual(Object.fromEntries(names.map((n) => [n, "undefined"])));
    // the whole global object is ECMAScript's (plus QuickJS's InternalError) and our console
    const globals = (await run("Object.getOwnPropertyNames(globalThis)")).value as string[];
    const ecmascript = /^(globalThis|console|Error|Map|Set|InternalError|AggregateError|[A-Z][A-Za-z0-9]*(Error|Array|Map|Set|Ref|Registry|Buffer|View)|Object|Function|Array|Number|Boolean|String|Symbol|BigInt|Math|JSON|Reflect|Proxy|Date|RegExp|Promise|Iterator|Atomics|Intl|parseInt|parseFloat|isNaN|isFinite|decodeURI|decodeURIComponent|encodeURI|encodeURIComponent|escape|unescape|Infinity|NaN|undefined|eval|performance)$/;
    expect(globals.filter((g) => !ecmascript.test(g))).toEqual([]);
    const dynamicImport = await failure(run("import('x')"));
    expect(dynamicImport.code).toBe("EINVAL");
    expect(dynamicImport.message).toMatch(/could not load module 'x'/);
    expect((await failure(run("import x from 'x'; x"))).code).toBe("EINVAL");
    await stillWorks();
  });

  test("each call is a fresh VM", async () => {
    await run("globalThis.leak = 1; Object.prototype.polluted = true; Array.prototype.map = null");
    expect(await run("[typeof leak, ({}).polluted, typeof [].map]")).toEqual({ value: ["undefined", null, "function"] });
  });

  test("reuses one loaded module and measures calls", async () => {
    const before = quickJsStats();
    await run("1");
    const after = quickJsStats();
    expect(after.loads).toBe(before.loads);
    expect(after.calls).toBe(before.calls + 1);
    expect(after.lastCallMs).toBeLessThan(100);
    expect(after.loadMs).toBeGreaterThan(0);
  });
});

describe("js tool", () => {
  const tool = createJsTool(inlineSandbox());
  const ctx = (signal = never) => ({ pid: 1, app: "test", signal }) as unknown as ToolContext;

  test("declares itself for a model", () => {
    expect(tool.name).toBe("js");
    expect(tool.kind).toBe("library");
    expect(tool.timeoutMs).toBe(15_000);
    expect(tool.description).toBe("Runs a JavaScript snippet in an isolated sandbox with no network, DOM or storage and returns its completion value and console output.");
    expect(tool.capability({ code: "1" })).toBe("js");
    expect(tool.describe({ code: "x".repeat(200) })).toBe(`run JavaScript: ${"x".repeat(80)}`);
    expect(tool.describe({ code: "1 + 1" })).toBe("run JavaScript: 1 + 1");
    expect(JSON.parse(JSON.stringify(tool.parameters))).toMatchObject({
      type: "object",
      required: ["code"],
      additionalProperties: false,
      properties: { code: { type: "string", minLength: 1, maxLength: 20_000 }, timeoutMs: { type: "integer", minimum: 10, maximum: 10_000, default: 1000 } },
    });
  });

  test("validates its arguments", () => {
    expect(validate(tool.parameters, { code: "1" })).toEqual({ code: "1" });
    expect(validate(tool.parameters, { code: "1", timeoutMs: 10_000 })).toEqual({ code: "1", timeoutMs: 10_000 });
    for (const bad of [{}, { code: "" }, { code: "x".repeat(20_001) }, { code: "1", timeoutMs: 5 }, { code: "1", timeoutMs: 10_001 }, { code: "1", timeoutMs: 1.5 }, { code: "1", extra: true }, { code: 1 }])
      expect(() => validate(tool.parameters, bad, "args"), JSON.stringify(bad).slice(0, 60)).toThrow(KernelError);
  });

  test("runs a snippet: value and logs", async () => {
    expect(await tool.run({ code: "console.log('hi'); [1, 2, 3].reduce((a, b) => a + b)" }, ctx())).toEqual({ value: 6, logs: ["hi"] });
    expect(await tool.run({ code: "'plain'" }, ctx())).toEqual({ value: "plain" });
    const big = (await tool.run({ code: "'z'.repeat(100000)" }, ctx())) as { value: string };
    expect(big.value.length).toBeLessThan(JS_MAX_OUTPUT_CHARS + 100);
  });

  test("honours timeoutMs (default 1000) and the 32 MB memory limit", async () => {
    let started = performance.now();
    expect((await failure(tool.run({ code: "while (true) {}", timeoutMs: 50 }, ctx()))).message).toBe("js ran over 50 ms");
    expect(performance.now() - started).toBeLessThan(1500);
    started = performance.now();
    expect((await failure(tool.run({ code: "while (true) {}" }, ctx()))).message).toBe("js ran over 1000 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect((await failure(tool.run({ code: "const a = []; while (true) a.push(new Array(1e6).fill(1))", timeoutMs: 10_000 }, ctx()))).code).toBe("EQUOTA");
  });

  test("a call whose signal has aborted does not run", async () => {
    const controller = new AbortController();
    controller.abort(new KernelError("EKILLED", "killed"));
    expect((await failure(tool.run({ code: "1" }, ctx(controller.signal)))).code).toBe("EKILLED");
  });
});

/** A scripted stand-in for a browser Worker running workers/js-sandbox.worker.ts. */
class FakeWorker {
  static made: FakeWorker[] = [];
  onmessage: ((event: MessageEvent<SandboxReply>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;
  received: SandboxRequest[] = [];
  constructor(private readonly behaviour: { startMs?: number; failStart?: string; wedge?: boolean; crash?: boolean } = {}) {
    FakeWorker.made.push(this);
    setTimeout(() => {
      if (this.terminated) return;
      if (behaviour.failStart) this.onerror?.({ message: behaviour.failStart, preventDefault() {} } as ErrorEvent);
      else this.send({ ready: true, loadMs: 1 });
    }, behaviour.startMs ?? 5);
  }
  private send(reply: SandboxReply) {
    if (!this.terminated) this.onmessage?.({ data: reply } as MessageEvent<SandboxReply>);
  }
  postMessage(request: SandboxRequest) {
    this.received.push(request);
    if (this.behaviour.wedge) return; // a VM stuck where the interrupt handler never runs
    void (async () => {
      await new Promise((resolve) => setTimeout(resolve, this.behaviour.startMs ?? 5));
      if (this.behaviour.crash) return this.onerror?.({ message: "Uncaught RuntimeError: unreachable", preventDefault() {} } as ErrorEvent);
      try {
        this.send({ id: request.id, ok: await runQuickJs(request.code, request.limits) });
      } catch (e) {
        this.send({ id: request.id, error: { code: (e as KernelError).code, message: (e as KernelError).message } });
      }
    })();
  }
  terminate() {
    this.terminated = true;
  }
}

describe("workerSandbox", () => {
  const fake = (behaviour: ConstructorParameters<typeof FakeWorker>[0] = {}) => () => new FakeWorker(behaviour) as unknown as Worker;

  test("falls back to running inline where there is no Worker (Node)", async () => {
    expect(typeof Worker).toBe("undefined");
    const runner = workerSandbox();
    expect(runner.isolation).toBe("inline");
    expect(await runner("6 * 7", limits, never)).toEqual({ value: 42 });
  });

  test("runs calls in a worker and keeps one warm for the next", async () => {
    FakeWorker.made = [];
    const runner = workerSandbox({ createWorker: fake() });
    expect(runner.isolation).toBe("worker");
    expect(await runner("1 + 1", limits, never)).toEqual({ value: 2 });
    expect(await runner("2 + 2", limits, never)).toEqual({ value: 4 });
    expect((await failure(runner("throw new Error('x')", limits, never))).message).toMatch(/^Error: x /);
    expect(FakeWorker.made.length).toBe(1); // reused: nothing needed killing
    const [a, b] = await Promise.all([runner("'a'", limits, never), runner("'b'", limits, never)]);
    expect([a.value, b.value]).toEqual(["a", "b"]);
    expect(FakeWorker.made.length).toBe(2); // two at once need two workers; one of them is kept
    expect(FakeWorker.made.filter((w) => w.terminated).length).toBe(1);
  });

  test("terminates a wedged worker at timeoutMs + grace, rejects ETIMEDOUT, and has a fresh one warm", async () => {
    FakeWorker.made = [];
    let wedge = true;
    const runner = workerSandbox({ graceMs: 100, createWorker: () => new FakeWorker({ wedge: wedge && !(wedge = false) }) as unknown as Worker });
    const started = performance.now();
    const e = await failure(runner("while (true) {}", { ...limits, timeoutMs: 200 }, never));
    const ms = performance.now() - started;
    expect(e.code).toBe("ETIMEDOUT");
    expect(e.message).toBe("js ran over 200 ms");
    expect(ms).toBeGreaterThanOrEqual(295);
    expect(ms).toBeLessThan(1000);
    expect(FakeWorker.made[0]!.terminated).toBe(true);
    expect(FakeWorker.made.length).toBe(2); // the replacement, started at once
    expect(await runner("'next'", limits, never)).toEqual({ value: "next" });
    expect(FakeWorker.made.length).toBe(2);
  });

  test("an abort terminates the worker and rejects with the abort's reason", async () => {
    FakeWorker.made = [];
    const runner = workerSandbox({ createWorker: fake({ wedge: true }) });
    const controller = new AbortController();
    const call = runner("while (true) {}", { ...limits, timeoutMs: 10_000 }, controller.signal);
    setTimeout(() => controller.abort(new KernelError("EKILLED", "process 7 was killed")), 50);
    const e = await failure(call);
    expect(e.code).toBe("EKILLED");
    expect(FakeWorker.made[0]!.terminated).toBe(true);
  });

  test("a crashed worker is EIO; a worker that never starts means running inline", async () => {
    FakeWorker.made = [];
    const crashes = workerSandbox({ createWorker: fake({ crash: true }) });
    const e = await failure(crashes("1", limits, never));
    expect(e.code).toBe("EIO");
    expect(e.message).toBe("the js sandbox crashed: Uncaught RuntimeError: unreachable");
    expect(FakeWorker.made[0]!.terminated).toBe(true);
    expect(crashes.isolation).toBe("worker");

    const reasons: string[] = [];
    const blocked = workerSandbox({ createWorker: fake({ failStart: "Failed to fetch a worker script" }), onFallback: (r) => reasons.push(r) });
    expect(await blocked("'inline'", limits, never)).toEqual({ value: "inline" });
    expect(blocked.isolation).toBe("inline");
    expect(reasons).toEqual(["the js sandbox worker failed to start: Failed to fetch a worker script"]);

    const throwing = workerSandbox({
      createWorker: () => {
        throw new DOMException("not allowed", "SecurityError");
      },
    });
    expect(await throwing("'fallback'", limits, never)).toEqual({ value: "fallback" });
    expect(throwing.isolation).toBe("inline");
  });
});
