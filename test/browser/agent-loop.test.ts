// Every tool end to end through the embedded model and the agent loop (window.aios → shared kernel
// → aios-tiny on wasm → the tool → the model again): the model picks the tool from the ones its
// process may use, the kernel runs it, and the answer comes from the tool's result. A request
// whose tool the process does not hold is not routed to any tool.
//
// The prompts and the page are shaped like the model's training data (tools/aios_data.py): a
// 1.9M-parameter model copies what it was trained to copy (a short page's title and first sentence,
// a URL with a four-digit port) and garbles what it was not (a long real article). The loop, the
// access checks and the tools do not depend on the model; their own tests use any input.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";
import { useTestSite } from "./test-site.ts";

const browser = useBrowser();
const site = useTestSite();

interface Turn {
  content: string;
  toolCalls: Array<{ name: string; arguments: Record<string, unknown>; result?: unknown; error?: { code: string } }>;
}

it("the embedded model uses every tool of this issue through the loop, and answers from the results", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const origin = site();
    const host = new URL(origin).host;
    const out = await app.page.evaluate(
      async ({ origin, host }) => {
        const capabilities = ["calculator", "units", "clock", "files", "js", `network:${host}`];
        await window.aios.access.set("assistant-web", `network:${host}`, "allow");
        await window.aios.access.set("assistant-fetch", `network:${host}`, "allow");
        const turn = async (agent: Awaited<ReturnType<typeof window.aios.spawn>>, text: string) => {
          const r = await agent.chat(text);
          return { content: r.content, toolCalls: r.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments as Record<string, unknown>, result: c.result, error: c.error })) };
        };
        // Each request in a conversation of its own (a fresh app), as a user would start one;
        // the note is written, found and read in one conversation.
        const fresh = (name: string) => window.aios.spawn({ name: `assistant-${name}`, capabilities });
        const results: Record<string, Turn> = {};
        results.calculator = await turn(await fresh("calculator"), "What is 12 times 7?");
        results.units = await turn(await fresh("units"), "How many miles is 5 km?");
        results.clock = await turn(await fresh("clock"), "What time is it in Tokyo?");
        const agent = await fresh("notes");
        results.write = await turn(agent, "Write a note that I must buy milk");
        results.search = await turn(agent, "Find my note about milk");
        const written = results.write.toolCalls[0]?.arguments.path;
        results.read = await turn(agent, `Read my note ${typeof written === "string" ? written : "notes/buy-milk.md"}`);
        results.js = await turn(await fresh("js"), "Run this JS: [1,2,3].map(x => x * 2)");
        results.web = await turn(await fresh("web"), `Read this page ${origin}/travel.html`);
        results.fetch = await turn(await fresh("fetch"), `Fetch ${origin}/api/status`);
        // Without the capability, the request is not routed to a tool.
        const plain = await window.aios.spawn({ name: "plain-agent" });
        const r = await plain.chat("What is 12 times 7?");
        results.unrouted = { content: r.content, toolCalls: r.toolCalls as never };
        const stored = await agent.storage.list("notes/");
        return { results, stored: stored.map((f) => f.path) };
      },
      { origin, host },
    );
    const { results } = out;
    const call = (name: string) => results[name]!.toolCalls[0]!;
    expect(call("calculator")).toMatchObject({ name: "calculator", arguments: { expression: "12*7" }, result: 84 });
    expect(results.calculator!.content).toContain("84");
    expect(call("units")).toMatchObject({ name: "units", arguments: { value: 5, from: "km", to: "mi" }, result: { value: 3.10686, unit: "mi" } });
    expect(results.units!.content).toContain("3.10686");
    expect(call("clock")).toMatchObject({ name: "clock", arguments: { timeZone: "Asia/Tokyo" }, result: { timeZone: "Asia/Tokyo" } });
    expect(results.clock!.content).toContain((call("clock").result as { time: string }).time);
    expect(call("write")).toMatchObject({ name: "files.write", arguments: { path: expect.stringMatching(/^notes\/.*milk.*\.md$/), content: expect.stringMatching(/buy milk/i) } });
    expect(out.stored).toContain(call("write").arguments.path);
    expect(call("search")).toMatchObject({ name: "files.search", arguments: { query: expect.stringContaining("milk") } });
    expect(results.search!.content).toContain(call("write").arguments.path as string);
    expect(call("read")).toMatchObject({ name: "files.read", result: { content: expect.stringMatching(/buy milk/i) } });
    expect(results.read!.content).toMatch(/buy milk/i);
    expect(call("js")).toMatchObject({ name: "js", arguments: { code: "[1,2,3].map(x => x * 2)" }, result: { value: [2, 4, 6] } });
    expect(results.js!.content).toMatch(/2,\s?4,\s?6/);
    expect(call("web")).toMatchObject({ name: "web.read", arguments: { url: `${origin}/travel.html` }, result: { title: "Kyoto in autumn", text: "Kyoto is beautiful in autumn. Many people visit the temple. Tickets cost 12 euros." } });
    expect(results.web!.content).toContain("Kyoto in autumn");
    expect(call("fetch")).toMatchObject({ name: "fetch", arguments: { url: `${origin}/api/status` }, result: { status: 200 } });
    expect(results.fetch!.content).toContain("200");
    expect(results.unrouted!.toolCalls).toEqual([]);
    expect(results.unrouted!.content).not.toContain("<tool_call>");
    app.assertOffline();
  } finally {
    await app.close();
  }
});
