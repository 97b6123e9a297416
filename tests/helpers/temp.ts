// Temporary directories for tests, removed when the test ends.

import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created = new Set<string>();
let cleanupRegistered = false;

/** Removes every directory this process created, when it exits. */
function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  const cleanup = () => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
    created.clear();
  };
  process.on("exit", cleanup);
  // Deno runs test modules in one process and may not emit "exit" for them.
  globalThis.addEventListener?.("unload", cleanup);
}

/** Creates a fresh directory under the system's temp dir, removed when the process exits. */
export async function makeTempDir(prefix = "bucketcache-test-"): Promise<string> {
  registerCleanup();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Removes a directory tree, ignoring one that is already gone. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The name of the running runtime. */
export const runtime: "deno" | "bun" | "node" = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : "node";
