// MCP servers through the real kernel: the official SDK's client against a real MCP server built
// with the same SDK and started on loopback (test/fixtures/mcp-server.ts). Tools join the registry
// as mcp.<name>.<tool> behind the capability mcp:<name>; failures are typed and the kernel goes on.
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsentEvent } from "../../../src/kernel/access.ts";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { FileStore } from "../../../src/kernel/storage/files.ts";
import { libraryTools } from "../../../src/kernel/tools/library.ts";
import { INJECTION, startMcpServer, type TestMcpServer } from "../../fixtures/mcp-server.ts";

let servers: TestMcpServer[] = [];
let dbs = 0;
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function setup() {
  const server = await startMcpServer();
  servers.push(server);
  const kernel = new Kernel([], { tools: libraryTools() });
  kernel.mountFiles(await FileStore.open({ name: `mcp-${++dbs}` }));
  const asked: string[] = [];
  kernel.access.listen("tab", (e: ConsentEvent) => {
    if (e.type !== "ask") return;
    asked.push(`${e.request.tool}${e.request.reason ? " (approval)" : ""}`);
    queueMicrotask(() => kernel.access.answer(e.request.id, "once"));
  });
  return { server, kernel, asked };
}

describe("MCP servers", () => {
  it("a connected server's tools join the registry behind mcp:<name>, described as the server's words", async () => {
    const { server, kernel } = await setup();
    const info = await kernel.mcp.connect({ url: server.url, name: "test" });
    expect(info.server).toEqual({ name: "aios-test-mcp", version: "1.0.0" });
    expect(info.tools.map((t) => [t.name, t.readOnly])).toEqual([["mcp.test.add", true], ["mcp.test.note", false], ["mcp.test.fail", false], ["mcp.test.slow", true], ["mcp.test.bad_output", true], ["mcp.test.inject", true], ["mcp.test.inbox", true]]);
    const listed = kernel.listTools().find((t) => t.name === "mcp.test.inject")!;
    expect(listed).toMatchObject({ kind: "mcp", capability: "mcp:test" });
    expect(listed.description).toBe(`[MCP server "test" describes this tool as:] Reads the news. ${INJECTION}`);
    expect(kernel.mcp.list().map((s) => s.name)).toEqual(["test"]);
    await expect(kernel.mcp.connect({ url: server.url, name: "test" })).rejects.toMatchObject({ code: "EBUSY" });
    await expect(kernel.mcp.connect({ url: server.url, name: "Bad Name" })).rejects.toMatchObject({ code: "EINVAL" });

    // A process that did not ask for mcp:test is not offered its tools and may not call them.
    const plain = kernel.spawn({ name: "plain", capabilities: ["calculator"] }, { owner: "tab" });
    expect(kernel.toolsFor(plain.pid).map((t) => t.function.name)).not.toContain("mcp.test.add");
    await expect(kernel.callTool(plain.pid, "mcp.test.add", { a: 1, b: 2 })).rejects.toMatchObject({ code: "EPERM" });
    // A capability for a server that is not connected cannot even be declared.
    expect(() => kernel.spawn({ name: "other", capabilities: ["mcp:elsewhere"] }, { owner: "tab" })).toThrow(expect.objectContaining({ code: "EINVAL" }));

    // Disconnected: its tools are gone.
    expect(await kernel.mcp.disconnect("test")).toBe(true);
    expect(kernel.listTools().some((t) => t.name.startsWith("mcp.test."))).toBe(false);
    await expect(kernel.callTool(plain.pid, "mcp.test.add", { a: 1, b: 2 })).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("calls: structured results, consent like any tool, errors typed (tool error, broken output schema, bad arguments), the kernel goes on", async () => {
    const { server, kernel, asked } = await setup();
    await kernel.mcp.connect({ url: server.url, name: "test" });
    const agent = kernel.spawn({ name: "agent", capabilities: ["mcp:test", "calculator"] }, { owner: "tab" });
    expect(kernel.toolsFor(agent.pid).map((t) => t.function.name)).toContain("mcp.test.add");
    expect(await kernel.callTool(agent.pid, "mcp.test.add", { a: 2, b: 3 })).toEqual({ sum: 5 });
    expect(asked).toEqual(["mcp.test.add"]); // mcp:<name> is asked like the network (once here)
    await expect(kernel.callTool(agent.pid, "mcp.test.add", { a: "two" })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.callTool(agent.pid, "mcp.test.fail", {})).rejects.toMatchObject({ code: "EIO", message: expect.stringContaining("the database is on fire") });
    await expect(kernel.callTool(agent.pid, "mcp.test.bad_output", {})).rejects.toMatchObject({ code: "EIO", message: expect.stringMatching(/output schema/i) });
    expect(await kernel.callTool(agent.pid, "calculator", { expression: "6*7" })).toBe(42);
    // The result was untrusted: a consequential MCP call now needs an approval of its own.
    await kernel.callTool(agent.pid, "mcp.test.note", { text: "hello" });
    expect(asked.at(-1)).toBe("mcp.test.note (approval)");
    expect(server.notes).toEqual(["hello"]);
    const audit = (await kernel.access.audit({ pid: agent.pid })).entries.filter((e) => e.tool.startsWith("mcp."));
    expect(audit.map((e) => `${e.tool}:${e.decision}:${e.error ?? "ok"}`)).toEqual(["mcp.test.add:allow:ok", "mcp.test.fail:allow:EIO", "mcp.test.bad_output:allow:EIO", "mcp.test.note:allow:ok"]);
  });

  it("a server down at connect, gone mid-call, or forgetting the session: EIO or a transparent reconnect", async () => {
    const { server, kernel } = await setup();
    const down = await startMcpServer();
    await down.close();
    await expect(kernel.mcp.connect({ url: down.url, name: "down" })).rejects.toMatchObject({ code: "EIO", message: expect.stringContaining("could not connect") });
    expect(kernel.mcp.list()).toEqual([]);

    await kernel.mcp.connect({ url: server.url, name: "test" });
    await kernel.access.set("agent", "mcp:test", "allow");
    const agent = kernel.spawn({ name: "agent", capabilities: ["mcp:test", "calculator"] }, { owner: "tab" });
    // The session expires on the server: the client opens a new one and the call goes through.
    server.expireSessions();
    expect(await kernel.callTool(agent.pid, "mcp.test.add", { a: 1, b: 1 })).toEqual({ sum: 2 });
    // Gone mid-call: the slow call fails with EIO; the kernel keeps serving.
    const slow = kernel.callTool(agent.pid, "mcp.test.slow", { ms: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.close();
    servers = servers.filter((s) => s !== server);
    await expect(slow).rejects.toMatchObject({ code: "EIO" });
    await expect(kernel.callTool(agent.pid, "mcp.test.add", { a: 1, b: 1 })).rejects.toMatchObject({ code: "EIO" });
    expect(await kernel.callTool(agent.pid, "calculator", { expression: "1+1" })).toBe(2);
  });
});
