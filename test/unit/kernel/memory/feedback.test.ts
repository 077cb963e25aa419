// Feedback and personalisation, the module alone: the examples' exact format (the embedded model
// was trained on it), which past ratings become examples, personal facts from the user's words.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { EXAMPLES_CLOSE, EXAMPLES_OPEN, examplesFor, examplesPreface, giveFeedback, listFeedback, newFacts, personalFacts, removeFeedback, validateFeedback, withFact } from "../../../../src/kernel/memory/feedback.ts";
import { FileStore } from "../../../../src/kernel/storage/files.ts";

describe("feedback", () => {
  it("the preface is the trained format: one Q/A line each, most similar last, then an empty line", () => {
    expect(examplesPreface([])).toBe("");
    const text = examplesPreface([
      { question: "Label this note: dentist on Monday", answer: "health", corrected: true, trusted: true },
      { question: "Label this note: quarterly report", answer: "work", corrected: false, trusted: false },
    ]);
    expect(text).toBe(`${EXAMPLES_OPEN}\nQ: Label this note: quarterly report\nA: work\nQ: Label this note: dentist on Monday\nA: health\n${EXAMPLES_CLOSE}\n\n`);
  });

  it("examples: corrections first, then answers rated up; never one rated down without a correction; the latest rating of a request wins", async () => {
    const files = await FileStore.open({ name: `feedback-${Math.random()}` });
    const ns = "notes-app";
    expect(await examplesFor(files, ns, "anything")).toEqual([]);
    await giveFeedback(files, ns, { question: "Label this note: buy milk and eggs", answer: "health", rating: "down", correction: "shopping", byUser: true });
    await giveFeedback(files, ns, { question: "Label this note: milk for the cat", answer: "pets", rating: "up", byUser: true });
    await giveFeedback(files, ns, { question: "Label this note: milk\nis good", answer: "food", rating: "down", byUser: true });
    const first = await giveFeedback(files, ns, { question: "Label this note: fix the tap", answer: "home", rating: "up", byUser: false });
    await new Promise((r) => setTimeout(r, 5));
    await giveFeedback(files, ns, { question: "Label this note: fix the tap", answer: "home", rating: "down", byUser: true });
    const examples = await examplesFor(files, ns, "Label this note: buy milk");
    expect(examples.map((e) => [e.answer, e.corrected, e.trusted])).toEqual([
      ["shopping", true, true],
      ["pets", false, false],
    ]);
    expect((await examplesFor(files, ns, "fix the tap")).map((e) => e.answer)).not.toContain("home");
    expect(await listFeedback(files, ns)).toHaveLength(5);
    await removeFeedback(files, ns, first.id);
    expect(await listFeedback(files, ns)).toHaveLength(4);
    await expect(removeFeedback(files, ns, "../x")).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => validateFeedback({ question: "q", answer: "a", rating: "meh" })).toThrow(/rating/);
    expect(() => validateFeedback({ question: " ", answer: "a", rating: "up" })).toThrow(/question/);
  });

  it("a flood of ratings keeps only the newest (the app's memory does not grow without end)", async () => {
    const files = await FileStore.open({ name: `feedback-flood-${Math.random()}` });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await giveFeedback(files, "app", { question: `q${i}`, answer: "a", rating: "up", byUser: false }, 3)).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect((await listFeedback(files, "app")).map((f) => f.id).sort()).toEqual(ids.slice(-3).sort());
    await expect(giveFeedback(files, "app", { question: "q", answer: "x".repeat(40_000_000), rating: "up", byUser: false })).rejects.toMatchObject({ code: "EQUOTA" });
  });

  it("personal facts come from the user's own self-statements; the block gets each once, within its limit", () => {
    expect(personalFacts("Hi! My name is Ada Lovelace and I prefer short answers. I live in London.")).toEqual(["Name: Ada Lovelace", "Prefers short answers", "Lives in London"]);
    expect(personalFacts("I'm vegetarian, and my favourite colour is green")).toEqual(["Is vegetarian", "Favourite colour: green"]);
    expect(personalFacts("What is 2+2?")).toEqual([]);
    expect(personalFacts("call me Max please")).toEqual(["Likes to be called Max"]);
    expect(newFacts(["Name: Ada", "Likes tea"], "- name: ada")).toEqual(["Likes tea"]);
    const block = withFact(withFact("", "Name: Ada"), "Likes tea");
    expect(block).toBe("- Name: Ada\n- Likes tea");
    expect(withFact(block, "name: ada")).toBe(block);
    expect(() => withFact(block, "x".repeat(30), 40)).toThrow(/over its 40/);
  });
});

describe("feedback and personalisation through the kernel's memory manager (embedded model)", () => {
  it("the user's correction is in the next prompt as an example; an answer rated up labels the turn; self-statements are proposed, not stored", async () => {
    const { resolve } = await import("node:path");
    const { Kernel } = await import("../../../../src/kernel/kernel.ts");
    const { TransformersSource } = await import("../../../../src/kernel/engines/transformers-source.ts");
    const kernel = new Kernel([new TransformersSource({ modelBaseUrl: resolve("public/models") + "/", device: "cpu" })]);
    const files = await FileStore.open({ name: `feedback-kernel-${Math.random()}` });
    kernel.mountFiles(files);
    await kernel.loadModel("aios-tiny");
    const seen: Array<{ messages: Array<{ role: string; content: string }> }> = [];
    const chat = kernel.chat.bind(kernel);
    kernel.chat = (request, options) => (seen.push(request as never), chat(request, options));
    const sorter = kernel.spawn({ name: "sorter" });
    const first = await kernel.memory.chat(sorter.pid, "Label this note: dentist appointment on Monday");
    expect(first.context.examples).toBe(0);
    expect(seen.at(-1)!.messages.at(-1)!.content).toBe("Label this note: dentist appointment on Monday");
    await giveFeedback(files, "sorter", { question: "Label this note: dentist appointment on Monday", answer: first.content, rating: "down", correction: "health", byUser: true });
    const again = await kernel.memory.chat(sorter.pid, "Label this note: dentist appointment on Monday");
    expect(again.context.examples).toBe(1);
    expect(seen.at(-1)!.messages.at(-1)!.content).toBe(`${EXAMPLES_OPEN}\nQ: Label this note: dentist appointment on Monday\nA: health\n${EXAMPLES_CLOSE}\n\nLabel this note: dentist appointment on Monday`);
    // The system message never carries them; the stored turn is the user's words alone.
    expect(seen.at(-1)!.messages[0]!.content).not.toContain("health");
    expect((await kernel.memory.history(sorter.pid)).turns.filter((t) => t.role === "user").map((t) => t.content)).toEqual(["Label this note: dentist appointment on Monday", "Label this note: dentist appointment on Monday"]);
    // A correction is the user's own words: no label. An answer rated up is model output: it labels the turn.
    expect(kernel.procs.live(sorter.pid).label.untrusted).toEqual([]);
    await giveFeedback(files, "sorter", { question: "Label this note: fix the dentist chair", answer: "work", rating: "up", byUser: true });
    await kernel.memory.chat(sorter.pid, "Label this note: dentist chair");
    expect(kernel.procs.live(sorter.pid).label.untrusted).toContain("past answers the user rated up");
    const intro = await kernel.memory.chat(sorter.pid, "My name is Ada and I live in Lyon.");
    expect(intro.remember).toEqual(["Name: Ada", "Lives in Lyon"]);
    expect(await kernel.memory.getBlocks(sorter.pid)).toEqual([]);
  }, 60_000);
});
