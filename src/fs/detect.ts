/**
 * Chooses the storage adapter for the running runtime.
 *
 * @module
 */

import type { FileSystem } from "./types.ts";
import { DenoFileSystem } from "./deno.ts";
import { NodeFileSystem } from "./node.ts";

let runtimeFileSystem: FileSystem | undefined;

/**
 * Returns the default {@linkcode FileSystem} of the running runtime:
 * {@linkcode DenoFileSystem} in Deno, {@linkcode NodeFileSystem} in Node and
 * Bun (Bun's `node:fs` measured as fast as `Bun.write` for small atomic
 * writes, so it has no adapter of its own). The instance is shared.
 *
 * @returns the adapter a bucket uses when its `fs` option is not given
 *
 * @example
 * ```ts
 * import { defaultFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultFileSystem().name, "Deno" in globalThis ? "deno" : "node");
 * ```
 */
export function defaultFileSystem(): FileSystem {
  runtimeFileSystem ??= "Deno" in globalThis && !("Bun" in globalThis)
    ? new DenoFileSystem()
    : new NodeFileSystem();
  return runtimeFileSystem;
}
