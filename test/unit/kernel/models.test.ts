import { describe, expect, it } from "vitest";
import { ensureRoom, formatBytes } from "../../../src/kernel/models.ts";

const MB = 2 ** 20;

describe("the storage check before a download", () => {
  it("passes what fits in quota − usage", async () => {
    await expect(ensureRoom("m", 100 * MB, async () => ({ quota: 1000 * MB, usage: 899 * MB }))).resolves.toBeUndefined();
  });

  it("refuses what does not, with ENOSPC and both figures", async () => {
    await expect(ensureRoom("m", 102 * MB, async () => ({ quota: 1000 * MB, usage: 899 * MB }))).rejects.toMatchObject({
      code: "ENOSPC",
      message: "not enough storage to download m: it needs about 102 MB more, but the browser lets this site store only 101 MB more (quota 1000 MB, 899 MB used). Delete a downloaded model or free disk space; nothing was downloaded.",
    });
  });

  it("goes ahead where the browser gives no estimate, or nothing is missing", async () => {
    await expect(ensureRoom("m", 1e12, async () => ({}))).resolves.toBeUndefined();
    await expect(ensureRoom("m", 1e12, async () => Promise.reject(new Error("no storage")))).resolves.toBeUndefined();
    await expect(ensureRoom("m", 0, async () => ({ quota: 0, usage: 0 }))).resolves.toBeUndefined();
  });

  it("formats bytes for people", () => {
    expect([formatBytes(512), formatBytes(5 * MB), formatBytes(1.25 * 2 ** 30)]).toEqual(["1 KB", "5 MB", "1.3 GB"]);
  });
});
