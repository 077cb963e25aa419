// Sites (other origins through the bridge) at the kernel: the user's answer decides, is kept and
// audited; one question per site at a time; a denied site is refused without asking; revoking ends
// its processes; origins are checked. The bridge itself is tested in Chromium (sites.test.ts).
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { ConsentEvent } from "../../../../src/kernel/access.ts";
import { Kernel } from "../../../../src/kernel/kernel.ts";
import { libraryTools } from "../../../../src/kernel/tools/library.ts";

function setup(answer: "once" | "deny") {
  const kernel = new Kernel([], { tools: libraryTools() });
  const asked: string[] = [];
  let reply = answer;
  kernel.access.listen("tab-shell", (e: ConsentEvent) => {
    if (e.type !== "ask") return;
    asked.push(e.request.summary);
    setTimeout(() => kernel.access.answer(e.request.id, reply), 20);
  });
  return { kernel, asked, answerWith: (a: typeof reply) => (reply = a) };
}

describe("sites", () => {
  it("asks once per site (concurrent connects share the question), keeps the answer, and runs the site as site:<origin>", async () => {
    const { kernel, asked } = setup("once");
    const origin = "http://127.0.0.1:5174";
    const [a, b] = await Promise.all([kernel.connectSite(origin, ["calculator"], { owner: "tab-bridge" }), kernel.connectSite(origin, ["calculator"], { owner: "tab-bridge" })]);
    expect(asked).toEqual([`${origin} wants to run an agent with: calculator`]);
    expect([a.app, b.app]).toEqual([`site:${origin}`, `site:${origin}`]);
    expect(a).toMatchObject({ capabilities: ["calculator"], quota: { maxQueued: 4 }, owner: "tab-bridge", name: "127.0.0.1:5174" });
    // Allowed already: no question; asking for more asks again for the union.
    await kernel.connectSite(origin, ["calculator"]);
    expect(asked).toHaveLength(1);
    await kernel.connectSite(origin, ["files"]);
    expect(asked.at(-1)).toBe(`${origin} wants to run an agent with: calculator, files`);
    expect(await kernel.listSites()).toMatchObject([{ origin, decision: "allow", capabilities: ["calculator", "files"], live: 4 }]);
    expect(await kernel.revokeSite(origin)).toEqual({ origin, processes: 4 });
    expect(kernel.ps().filter((p) => p.app === `site:${origin}` && p.state !== "done")).toEqual([]);
    const audit = (await kernel.access.audit({})).entries.filter((e) => e.tool === "sites.connect").map((e) => e.decision);
    expect(audit).toEqual(["allow", "allow", "deny"]);
  });

  it("a denied site is refused without asking again; bad origins and capabilities are EINVAL; no AIOS tab → EPERM", async () => {
    const { kernel, asked } = setup("deny");
    await expect(kernel.connectSite("https://evil.example", ["calculator"])).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("denied") });
    await expect(kernel.connectSite("https://evil.example", [])).rejects.toMatchObject({ code: "EPERM" });
    expect(asked).toHaveLength(1);
    await expect(kernel.connectSite("https://evil.example/path", [])).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.connectSite("javascript:alert(1)", [])).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.connectSite("https://ok.example", ["teleport"])).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => kernel.spawn({ name: "site:https://ok.example" })).toThrow(expect.objectContaining({ code: "EPERM" }));
    const lonely = new Kernel([], { tools: libraryTools() });
    await expect(lonely.connectSite("https://ok.example", [])).rejects.toMatchObject({ code: "EPERM", message: expect.stringContaining("no AIOS tab") });
  });
});
