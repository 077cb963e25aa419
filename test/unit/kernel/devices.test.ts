// The kernel's side of devices: routing a call to a tab that serves the device (focused first),
// ENODEV when none can, a typed error (never a hang) when the tab goes mid-call or the call is
// cancelled, and the device tools' shaping of what a tab answers (rounding, files, bad answers).
// The "tab" here is a MessagePort answered by the test; the browser tests run the real drivers.
import { afterEach, describe, expect, it } from "vitest";
import { DeviceHosts, type DeviceCallMessage, type DeviceHostMessage } from "../../../src/kernel/devices.ts";
import { deviceTools } from "../../../src/kernel/tools/devices.ts";
import type { ToolDriver } from "../../../src/kernel/tools/tool.ts";
import { call, context, MemoryFiles } from "./tools/context.ts";

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** A tab: serves `devices` and answers each call with `answer` (or never, when it returns undefined). */
function tab(hosts: DeviceHosts, owner: string, devices: string[], answer: (m: Extract<DeviceCallMessage, { op: "call" }>) => DeviceHostMessage | undefined, state: { focused?: boolean; visible?: boolean } = {}) {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const seen: DeviceCallMessage[] = [];
  port1.onmessage = (e: MessageEvent) => {
    const m = e.data as DeviceCallMessage;
    seen.push(m);
    if (m.op === "call") {
      const reply = answer(m);
      if (reply) port1.postMessage(reply);
    }
  };
  hosts.add(owner, port2);
  const serve = (s: { focused?: boolean; visible?: boolean; devices?: string[] }) =>
    port1.postMessage({ op: "serve", devices: s.devices ?? devices, focused: s.focused ?? false, visible: s.visible ?? true } satisfies DeviceHostMessage);
  serve(state);
  return { seen, serve };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const ok = (value: unknown) => (m: { id: number }) => ({ op: "result", id: m.id, ok: value }) as DeviceHostMessage;

describe("DeviceHosts", () => {
  it("answers ENODEV when no open tab serves the device", async () => {
    const hosts = new DeviceHosts();
    await expect(hosts.call("camera.read", {}, new AbortController().signal)).rejects.toMatchObject({ code: "ENODEV", message: expect.stringContaining("camera.read") });
    tab(hosts, "tab-a", ["geolocation"], ok({}));
    await settle();
    await expect(hosts.call("camera.read", {}, new AbortController().signal, "no open AIOS tab has a camera")).rejects.toMatchObject({ code: "ENODEV", message: "no open AIOS tab has a camera" });
    expect(hosts.serves("geolocation")).toBe(true);
  });

  it("routes to the focused tab first, then a visible one, then the newest", async () => {
    const hosts = new DeviceHosts();
    const a = tab(hosts, "tab-a", ["clipboard.read"], ok({ text: "from a" }), { focused: true });
    const b = tab(hosts, "tab-b", ["clipboard.read"], ok({ text: "from b" }));
    await settle();
    expect(await hosts.call("clipboard.read", {}, new AbortController().signal)).toEqual({ text: "from a" });
    b.serve({ focused: true });
    await settle();
    expect(await hosts.call("clipboard.read", {}, new AbortController().signal)).toEqual({ text: "from b" });
    expect(hosts.list().map((h) => [h.tab, h.focused])).toEqual([["tab-a", false], ["tab-b", true]]);
    // Neither focused: a visible tab before a hidden one, even an older one.
    a.serve({ focused: false });
    b.serve({ focused: false, visible: false });
    await settle();
    expect(await hosts.call("clipboard.read", {}, new AbortController().signal)).toEqual({ text: "from a" });
    // A tab that withdraws (closing) gets nothing.
    a.serve({ devices: [] });
    await settle();
    expect(await hosts.call("clipboard.read", {}, new AbortController().signal)).toEqual({ text: "from b" });
  });

  it("a tab closing mid-call fails the call with EIO; a cancelled call tells the tab", async () => {
    const hosts = new DeviceHosts();
    const t = tab(hosts, "tab-a", ["camera.read"], () => undefined);
    await settle();
    const pending = hosts.call("camera.read", {}, new AbortController().signal);
    await settle();
    hosts.remove("tab-a");
    await expect(pending).rejects.toMatchObject({ code: "EIO", message: expect.stringContaining("closed during the call") });
    const t2 = tab(hosts, "tab-b", ["camera.read"], () => undefined);
    await settle();
    const controller = new AbortController();
    const cancelled = hosts.call("camera.read", {}, controller.signal);
    await settle();
    controller.abort(Object.assign(new Error("camera.read took longer than 60000 ms"), { code: "ETIMEDOUT" }));
    await expect(cancelled).rejects.toMatchObject({ code: "ETIMEDOUT" });
    await settle();
    expect(t2.seen.map((m) => m.op)).toEqual(["call", "cancel"]);
    expect(t.seen.map((m) => m.op)).toEqual(["call"]);
    expect(hosts.list()[0]!.active).toBe(0);
  });

  it("carries a tab's coded error; an unknown code becomes EIO", async () => {
    const hosts = new DeviceHosts();
    let code = "EPERM";
    tab(hosts, "tab-a", ["speak"], (m) => ({ op: "result", id: m.id, error: { code, message: "no voice" } }));
    await settle();
    await expect(hosts.call("speak", {}, new AbortController().signal)).rejects.toMatchObject({ code: "EPERM", message: "no voice" });
    code = "EWHATEVER";
    await expect(hosts.call("speak", {}, new AbortController().signal)).rejects.toMatchObject({ code: "EIO" });
  });
});

describe("device tools", () => {
  const toolsWith = (answers: Record<string, unknown>) => {
    const hosts = new DeviceHosts();
    const calls: Array<{ device: string; args: unknown }> = [];
    tab(hosts, "tab-a", Object.keys(answers), (m) => {
      calls.push({ device: m.device, args: m.args });
      return { op: "result", id: m.id, ok: answers[m.device] };
    });
    const tools = new Map(deviceTools(hosts, () => new Date(2026, 10, 29, 8, 12, 33)).map((d) => [d.name, d] as [string, ToolDriver]));
    return { tools, calls, get: (name: string) => tools.get(name)! };
  };

  it("declares each device with its capability, kind and plain-words summary", () => {
    const { tools } = toolsWith({});
    expect([...tools.keys()]).toEqual(["geolocation", "camera.snapshot", "camera.read", "clipboard.read", "clipboard.write", "notify", "speak", "files.import", "files.export"]);
    const caps = [...tools.values()].map((d) => d.capability({} as never));
    expect(caps).toEqual(["geolocation", "camera", "camera", "clipboard:read", "clipboard:write", "notify", "speak", "files:io", "files:io"]);
    expect(tools.get("geolocation")!.capability({ precise: true } as never)).toBe("geolocation:precise");
    expect([...tools.values()].every((d) => d.kind === "device")).toBe(true);
    expect(tools.get("clipboard.write")!.describe({ text: "hello" } as never)).toBe('copy "hello" to your clipboard');
  });

  it("geolocation is rounded to 2 decimals unless precise", async () => {
    const { get } = toolsWith({ geolocation: { latitude: 35.011636, longitude: 135.768029, accuracy: 12.5 } });
    await settle();
    expect(await call(get("geolocation"), {})).toEqual({ latitude: 35.01, longitude: 135.77, accuracy: 1000 });
    expect(await call(get("geolocation"), { precise: true })).toEqual({ latitude: 35.011636, longitude: 135.768029, accuracy: 13 });
  });

  it("camera.snapshot saves the frame in the app's files; files.import saves the picked file", async () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).buffer;
    const { get } = toolsWith({
      "camera.snapshot": { type: "image/jpeg", data: jpeg, width: 640, height: 480 },
      "files.import": { name: "../../etc/My Report.txt", type: "text/plain", data: new TextEncoder().encode("quarterly numbers").buffer },
    });
    await settle();
    const files = new MemoryFiles();
    expect(await call(get("camera.snapshot"), {}, context({ files }))).toEqual({ path: "camera/photo-20261129-081233.jpg", width: 640, height: 480, bytes: 7 });
    const photo = files.files.get("camera/photo-20261129-081233.jpg")!.content as Blob;
    expect(photo.type).toBe("image/jpeg");
    expect(new Uint8Array(await photo.arrayBuffer())[1]).toBe(0xd8);
    expect(await call(get("files.import"), {}, context({ files }))).toEqual({ path: "imports/My Report.txt", name: "My Report.txt", bytes: 17, type: "text/plain" });
    expect(files.files.get("imports/My Report.txt")!.content).toBe("quarterly numbers");
  });

  it("files.export reads the app's file first (ENOENT before anyone is asked) and hands its bytes to the tab", async () => {
    const { get, calls } = toolsWith({ "files.export": { name: "buy-milk.md" } });
    await settle();
    const files = new MemoryFiles();
    await expect(call(get("files.export"), { path: "notes/none.md" }, context({ files }))).rejects.toMatchObject({ code: "ENOENT" });
    expect(calls).toEqual([]);
    files.put("notes/buy-milk.md", "I must buy milk");
    expect(await call(get("files.export"), { path: "notes/buy-milk.md" }, context({ files }))).toEqual({ saved: true, name: "buy-milk.md", bytes: 15 });
    const sent = calls[0]!.args as { name: string; type: string; data: ArrayBuffer; path: string; app: string };
    expect(sent).toMatchObject({ name: "buy-milk.md", path: "notes/buy-milk.md", app: "test", type: "text/plain;charset=utf-8" });
    expect(new TextDecoder().decode(sent.data)).toBe("I must buy milk");
  });

  it("a malformed answer from a tab is EIO, not a crash", async () => {
    const { get } = toolsWith({ geolocation: { latitude: "here" }, "camera.read": { text: 5 }, "camera.snapshot": { type: "image/jpeg", data: "not bytes", width: 1, height: 1 } });
    await settle();
    await expect(call(get("geolocation"), {})).rejects.toMatchObject({ code: "EIO", message: expect.stringContaining("malformed") });
    await expect(call(get("camera.read"), {})).rejects.toMatchObject({ code: "EIO" });
    await expect(call(get("camera.snapshot"), {})).rejects.toMatchObject({ code: "EIO" });
  });

  it("text from a tab is cut to a bound; the confidence is rounded", async () => {
    const { get } = toolsWith({ "camera.read": { text: "x".repeat(9000), confidence: 0.91234 }, "clipboard.read": { text: "copied" } });
    await settle();
    const r = (await call(get("camera.read"), {})) as { text: string; confidence: number };
    expect(r.text.length).toBe(8001);
    expect(r.confidence).toBe(0.91);
    expect(await call(get("clipboard.read"), {})).toEqual({ text: "copied" });
  });
});

describe("a hostile caller and a hostile tab", () => {
  it("a process cannot list the tabs, use a device it did not declare, or declare a made-up device capability", async () => {
    const { Kernel } = await import("../../../src/kernel/kernel.ts");
    const { syscall } = await import("../../../src/kernel/syscalls.ts");
    const hosts = new DeviceHosts();
    const kernel = new Kernel([], { tools: deviceTools(hosts), devices: hosts });
    const pid = kernel.spawn({ name: "spy", capabilities: ["clipboard:read"] }).pid;
    await expect(syscall(kernel, "devices.hosts", { pid })).rejects.toMatchObject({ code: "EPERM" });
    expect(await syscall(kernel, "devices.hosts", { pid: kernel.shellPid })).toEqual([]);
    await expect(kernel.callTool(pid, "camera.read", {})).rejects.toMatchObject({ code: "EPERM" });
    await expect(kernel.callTool(pid, "geolocation", { precise: true })).rejects.toMatchObject({ code: "EPERM" });
    await expect(kernel.callTool(pid, "clipboard.write", { text: "x".repeat(5000) })).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => kernel.spawn({ name: "x", capabilities: ["clipboard:*"] })).toThrow(/no tool needs clipboard:\*/);
    expect(() => kernel.spawn({ name: "x", capabilities: ["camera:front"] })).toThrow(/no tool needs camera:front/);
    // Nothing was granted by any of it.
    expect(kernel.access.decisionFor(kernel.procs.live(pid), "camera").decision).toBe("deny");
  });

  it("a tab flooding answers for calls it never got, or announcing thousands of devices, changes nothing", async () => {
    const hosts = new DeviceHosts();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    hosts.add("tab-evil", port2);
    port1.postMessage({ op: "serve", devices: Array.from({ length: 5000 }, (_, i) => `d${i}`), focused: true, visible: true });
    for (let id = 0; id < 1000; id++) port1.postMessage({ op: "result", id, ok: { text: "forged" } });
    port1.postMessage({ op: "serve", devices: "camera.read", focused: "yes" });
    port1.postMessage(null);
    await settle();
    expect(hosts.list()).toEqual([{ tab: "tab-evil", devices: [], focused: false, visible: true, active: 0 }]);
    const { port1: good1, port2: good2 } = new MessageChannel();
    ports.push(good1, good2);
    hosts.add("tab-evil", good2); // the same tab attaching again replaces its old port
    expect(hosts.list()).toHaveLength(1);
  });
});
