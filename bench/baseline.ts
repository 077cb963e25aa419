/**
 * A build of another revision, for side-by-side figures in one bench run (BENCH_BASELINE=<git rev>):
 * the revision is checked out in a temporary git worktree (sharing this checkout's node_modules)
 * and built with its own sources and config into a temporary folder; the caller serves that folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface BaselineBuild {
  rev: string;
  /** The built app (what `vite build` wrote). */
  outDir: string;
  dispose(): Promise<void>;
}

export async function buildBaseline(rev: string): Promise<BaselineBuild> {
  const root = resolve(".");
  const commit = execFileSync("git", ["rev-parse", "--short", rev], { encoding: "utf8" }).trim();
  const tree = await mkdtemp(join(tmpdir(), "aios-baseline-src-"));
  const outDir = await mkdtemp(join(tmpdir(), "aios-baseline-out-"));
  const dispose = async () => {
    execFileSync("git", ["worktree", "remove", "--force", tree], { stdio: "ignore" });
    await rm(outDir, { recursive: true, force: true });
  };
  try {
    execFileSync("git", ["worktree", "add", "--detach", tree, commit], { stdio: "ignore" });
    if (!existsSync(join(tree, "node_modules"))) symlinkSync(join(root, "node_modules"), join(tree, "node_modules"), "dir");
    execFileSync(join(root, "node_modules/.bin/vite"), ["build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"], { cwd: tree, stdio: "inherit" });
  } catch (error) {
    await dispose().catch(() => undefined);
    throw new Error(`BENCH_BASELINE=${rev}: could not build ${commit}: ${(error as Error).message}`);
  }
  return { rev: commit, outDir, dispose };
}
