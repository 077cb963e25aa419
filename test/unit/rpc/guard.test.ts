// The allow-list in front of comlink: only declared entry points, plain arguments, callbacks only
// where declared; everything else is refused (and answered) before comlink sees it.
import { describe, expect, it } from "vitest";
import { guardEndpoint, refuse } from "../../../src/rpc/guard.ts";

const entries = { call: [2], boot: [] } as const;
const raw = (value: unknown) => ({ type: "RAW", value });

describe("refuse", () => {
  it("lets declared APPLY calls with plain arguments through", () => {
    expect(refuse({ type: "APPLY", path: ["call"], argumentList: [raw("proc.ps"), raw({})] }, entries)).toBeNull();
    expect(refuse({ type: "APPLY", path: ["boot"], argumentList: [raw({ baseUrl: "x" })] }, entries)).toBeNull();
  });

  it.each([
    [{ type: "CONSTRUCT", path: ["constructor", "constructor"], argumentList: [raw("return 1")] }, "CONSTRUCT"],
    [{ type: "SET", path: ["__proto__", "maxQueued"], value: raw(0) }, "SET"],
    [{ type: "GET", path: ["call"] }, "GET"],
    [{ type: "ENDPOINT" }, "ENDPOINT"],
    [{ type: "RELEASE" }, "RELEASE"],
    [{ type: "APPLY", path: ["call", "constructor"], argumentList: [] }, "entry point"],
    [{ type: "APPLY", path: ["__proto__"], argumentList: [] }, "entry point"],
    [{ type: "APPLY", path: ["toString"], argumentList: [] }, "entry point"],
    [{ type: "APPLY", path: ["call"], argumentList: [raw("x"), { type: "HANDLER", name: "throw", value: {} }] }, "plain data"],
    [{ type: "APPLY", path: ["boot"], argumentList: [{ type: "HANDLER", name: "proxy", value: {} }] }, "plain data"],
    [{ type: "APPLY", path: ["call"], argumentList: "nope" }, "argumentList"],
    [null, "not a call"],
  ])("refuses %j", (message, why) => {
    expect(refuse(message, entries)).toContain(why);
  });
});

describe("guardEndpoint", () => {
  it("answers a refused message with an EPERM error and never passes it on", () => {
    const posted: unknown[] = [];
    const listeners: Array<(e: MessageEvent) => void> = [];
    const port = { postMessage: (m: unknown) => posted.push(m), addEventListener: (_t: string, l: (e: MessageEvent) => void) => listeners.push(l), removeEventListener: () => {} };
    const seen: unknown[] = [];
    guardEndpoint(port as never, entries).addEventListener("message", (e) => seen.push((e as MessageEvent).data));
    listeners[0]!({ data: { id: "1", type: "GET", path: ["call"] } } as MessageEvent);
    listeners[0]!({ data: { id: "2", type: "APPLY", path: ["call"], argumentList: [raw("proc.ps")] } } as MessageEvent);
    expect(seen).toEqual([{ id: "2", type: "APPLY", path: ["call"], argumentList: [raw("proc.ps")] }]);
    expect(posted).toEqual([{ id: "1", type: "HANDLER", name: "throw", value: { isError: true, value: expect.objectContaining({ code: "EPERM" }) } }]);
  });
});
