// The tab's side of devices with test-double drivers (the real drivers run in the browser tests):
// what the tab announces, one answer per call, a coded error for a failing driver, a cancel that
// aborts the driver, and ENODEV for a device it does not serve.
import { afterEach, describe, expect, it } from "vitest";
import { hostDevices } from "../../../src/client/device-host.ts";
import { deviceError, type DeviceDriver } from "../../../src/client/devices/driver.ts";
import type { DeviceHostMessage } from "../../../src/kernel/devices.ts";

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

function kernelSide(drivers: DeviceDriver[]) {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const got: DeviceHostMessage[] = [];
  const waiters: Array<() => void> = [];
  port1.onmessage = (e: MessageEvent) => {
    got.push(e.data as DeviceHostMessage);
    for (const w of waiters.splice(0)) w();
  };
  const host = hostDevices(port2, drivers);
  const next = async (op: DeviceHostMessage["op"], id?: number) => {
    for (;;) {
      const found = got.find((m) => m.op === op && (id === undefined || (m as { id?: number }).id === id));
      if (found) {
        got.splice(got.indexOf(found), 1);
        return found;
      }
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { host, send: (m: unknown) => port1.postMessage(m), next };
}

const echo: DeviceDriver = { name: "echo", available: () => true, run: async (args) => ({ got: args }) };
const absent: DeviceDriver = { name: "absent", available: async () => false, run: async () => ({}) };
const broken: DeviceDriver = { name: "broken", available: () => true, run: async () => Promise.reject(deviceError("EPERM", "the browser said no")) };
const domError: DeviceDriver = { name: "dom", available: () => true, run: async () => Promise.reject(Object.assign(new Error("denied"), { name: "NotAllowedError" })) };

describe("hostDevices", () => {
  it("announces the devices it can serve now", async () => {
    const k = kernelSide([echo, absent, broken]);
    expect(await k.next("serve")).toEqual({ op: "serve", devices: ["echo", "broken"], focused: false, visible: true });
    expect(await k.host.served()).toEqual(["echo", "broken"]);
  });

  it("answers each call once: data, a coded error, a DOM error's code, ENODEV for what it does not serve", async () => {
    const k = kernelSide([echo, broken, domError]);
    k.send({ op: "call", id: 1, device: "echo", args: { x: 1 } });
    expect(await k.next("result", 1)).toEqual({ op: "result", id: 1, ok: { got: { x: 1 } } });
    k.send({ op: "call", id: 2, device: "broken", args: {} });
    expect(await k.next("result", 2)).toEqual({ op: "result", id: 2, error: { code: "EPERM", message: "the browser said no" } });
    k.send({ op: "call", id: 3, device: "dom", args: {} });
    expect(await k.next("result", 3)).toMatchObject({ error: { code: "EPERM", message: "denied" } });
    k.send({ op: "call", id: 4, device: "camera.read", args: {} });
    expect(await k.next("result", 4)).toMatchObject({ error: { code: "ENODEV" } });
    // Garbage is ignored, not answered or thrown.
    k.send({ op: "call", device: "echo" });
    k.send(null);
    k.send({ op: "call", id: 5, device: "echo", args: {} });
    expect(await k.next("result", 5)).toMatchObject({ ok: { got: {} } });
    expect(k.host.active()).toBe(0);
  });

  it("a cancel aborts the driver's signal and the call answers once", async () => {
    let aborted: unknown;
    const slow: DeviceDriver = {
      name: "slow",
      available: () => true,
      run: (_args, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => {
            aborted = signal.reason;
            reject(signal.reason);
          }),
        ),
    };
    const k = kernelSide([slow]);
    k.send({ op: "call", id: 7, device: "slow", args: {} });
    await new Promise((r) => setTimeout(r, 10));
    expect(k.host.active()).toBe(1);
    k.send({ op: "cancel", id: 7 });
    expect(await k.next("result", 7)).toMatchObject({ error: { code: "ECANCELED" } });
    expect(aborted).toMatchObject({ code: "ECANCELED" });
    expect(k.host.active()).toBe(0);
  });
});
