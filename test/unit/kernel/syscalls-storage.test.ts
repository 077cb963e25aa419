// The storage system calls: namespaces by process name, unmounted file system, bad arguments,
// export/import permissions (fake-indexeddb; the real one is tested in Chromium).
import "fake-indexeddb/auto";
import { expect, it } from "vitest";
import { Kernel } from "../../../src/kernel/kernel.ts";
import { FileStore } from "../../../src/kernel/storage/files.ts";
import { syscall } from "../../../src/kernel/syscalls.ts";

it("storage calls act in the caller's namespace, validate arguments, and guard export/import", async () => {
  const kernel = new Kernel([]);
  await expect(syscall(kernel, "storage.list", { pid: 1 })).rejects.toMatchObject({ code: "ENOTREADY" });
  kernel.mountFiles(await FileStore.open({ name: "syscalls-storage" }));
  const a = kernel.spawn({ name: "app-a" }).pid;
  const b = kernel.spawn({ name: "app-b" }).pid;
  expect(await syscall(kernel, "storage.write", { pid: a }, { path: "x.txt", content: "a note of a" })).toEqual({ path: "x.txt", version: 1 });
  await syscall(kernel, "storage.write", { pid: b }, { path: "y.txt", content: "from b" });
  expect(await syscall(kernel, "storage.list", { pid: b })).toMatchObject([{ path: "y.txt" }]);
  await expect(syscall(kernel, "storage.read", { pid: b }, { path: "x.txt" })).rejects.toMatchObject({ code: "ENOENT" });
  // Only the shell (the user) may look into another app's namespace.
  await expect(syscall(kernel, "storage.read", { pid: b }, { path: "x.txt", namespace: "app-a" })).rejects.toMatchObject({ code: "EPERM" });
  await expect(syscall(kernel, "storage.namespaces", { pid: b })).rejects.toMatchObject({ code: "EPERM" });
  expect(await syscall(kernel, "storage.read", { pid: 1 }, { path: "x.txt", namespace: "app-a" })).toMatchObject({ content: "a note of a" });
  expect(await syscall(kernel, "storage.namespaces", { pid: 1 })).toEqual([
    { ns: "app-a", files: 1, bytes: 11 },
    { ns: "app-b", files: 1, bytes: 6 },
  ]);
  for (const args of [undefined, null, 42, { path: 42 }, { path: "../x", content: "c" }]) {
    await expect(syscall(kernel, "storage.write", { pid: a }, args)).rejects.toMatchObject({ code: "EINVAL" });
  }
  await expect(syscall(kernel, "storage.search", { pid: a }, { query: "from", options: 7 })).rejects.toMatchObject({ code: "EINVAL" });
  expect(await syscall(kernel, "storage.search", { pid: a }, { query: "note", options: { mode: "lexical" } })).toMatchObject([{ path: "x.txt" }]);
  // A process exports its own namespace; the shell everything. A process imports only its own.
  const fromA = (await syscall(kernel, "storage.export", { pid: a })) as Blob;
  expect(JSON.parse(await fromA.text()).files.map((f: { ns: string }) => f.ns)).toEqual(["app-a"]);
  const all = (await syscall(kernel, "storage.export", { pid: 1 })) as Blob;
  await expect(syscall(kernel, "storage.import", { pid: a }, { data: all })).rejects.toMatchObject({ code: "EPERM" });
  expect(await syscall(kernel, "storage.import", { pid: 1 }, { data: all })).toEqual({ files: 2, versions: 2 });
  kernel.kill(a);
  await expect(syscall(kernel, "storage.list", { pid: a })).rejects.toMatchObject({ code: "EKILLED" });
});
