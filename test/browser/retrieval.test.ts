// Retrieval by meaning through the real stack: the kernel boots the embedded encoder (aios-embed)
// next to the chat model, files are embedded as they are written (IndexedDB), vector and hybrid
// search run on the wasm SIMD index in the worker, and the memory manager recalls by meaning.
// A real encoder's download answering 404 (served locally) fails clearly and changes nothing.
import { expect, it } from "vitest";
import { openApp, useBrowser } from "./harness.ts";

const browser = useBrowser();

it("vector and hybrid search find notes by meaning; recall uses them; the embedder catalog lists real encoders", async () => {
  const app = await openApp(browser(), "?device=wasm");
  try {
    const out = await app.page.evaluate(async () => {
      const embedders = await window.aios.embedders.list();
      const p = await window.aios.spawn({ name: "retriever" });
      await p.storage.write("notes/dog.md", "My dog's name is Biscuit.");
      await p.storage.write("notes/home.md", "I live in Lisbon.");
      await p.storage.write("notes/dentist.md", "Dentist appointment on Friday at 10.");
      await p.storage.write("notes/coffee.md", "My favourite drink is black coffee.");
      const lexical = await p.storage.search("which city is home", { mode: "lexical" });
      const vector = await p.storage.search("which city is home", { mode: "vector", k: 2 });
      const hybrid = await p.storage.search("dentist friday", { k: 2 });
      await p.memory.remember("The spare key is under the blue flowerpot.");
      await p.memory.remember("My sister's birthday is on the 3rd of June.");
      const recalled = await p.memory.recall("where did I hide the key", 1);
      return { embedders, lexical, vector: vector.map((h) => h.path), hybrid: hybrid[0]?.path, recalled: recalled[0]?.text };
    });
    expect(out.embedders.find((e) => e.id === "aios-embed")).toMatchObject({ loaded: true, embedded: true, cached: true });
    expect(out.embedders.filter((e) => !e.embedded).map((e) => e.cached)).toEqual([false, false]);
    expect(out.lexical).toEqual([]);
    expect(out.vector[0]).toBe("notes/home.md");
    expect(out.hybrid).toBe("notes/dentist.md");
    expect(out.recalled).toBe("The spare key is under the blue flowerpot.");
    expect(app.errors).toEqual([]);
    app.assertOffline();
  } finally {
    await app.close();
  }
});

it("a real encoder whose download answers 404 gives ELOAD naming the model and status; the embedded one keeps working", async () => {
  // Playwright answers requests of pages and dedicated workers only: run the kernel in one.
  const app = await openApp(browser(), "?device=wasm&kernel=dedicated");
  try {
    const served = await app.answerLocally("huggingface.co", 404);
    const out = await app.page.evaluate(async () => {
      const progress: number[] = [];
      const error = await window.aios.embedders
        .load("Xenova/all-MiniLM-L6-v2", { onProgress: (p) => progress.push(p.progress) })
        .then(() => null, (e) => ({ code: (e as { code?: string }).code, message: (e as Error).message }));
      const list = await window.aios.embedders.list();
      const p = await window.aios.spawn({ name: "after-404" });
      await p.storage.write("home.md", "I live in Lisbon.");
      const hits = await p.storage.search("which city is home", { mode: "vector", k: 1 });
      return { error, progress, loaded: list.find((e) => e.loaded)?.id, hit: hits[0]?.path };
    });
    expect(out.error?.code).toBe("ELOAD");
    expect(out.error?.message).toContain("Xenova/all-MiniLM-L6-v2");
    expect(out.error?.message).toContain("HTTP 404");
    expect(out.progress[0]).toBe(0);
    expect(out.loaded).toBe("aios-embed");
    expect(out.hit).toBe("home.md");
    expect(served.length).toBeGreaterThan(0);
    app.assertOffline();
  } finally {
    await app.close();
  }
});
