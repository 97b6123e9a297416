/**
 * A persistent cache and function memoisation for Deno, Bun and Node.
 *
 * Entries live one file per key in a directory, written atomically through a
 * small {@linkcode FileSystem} adapter chosen for the running runtime.
 *
 * @example Write and read a file through the runtime's adapter
 * ```ts
 * import { defaultFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bucketcache-"));
 * const fs = defaultFileSystem();
 * await fs.writeFileAtomic(join(dir, "entry"), new Uint8Array([1, 2]));
 * assert.deepEqual(await fs.readFile(join(dir, "entry")), new Uint8Array([1, 2]));
 * ```
 *
 * @module
 */

export type { AtomicWriteOptions, FileStat, FileSystem, ListOptions } from "./src/fs/types.ts";
export { DenoFileSystem } from "./src/fs/deno.ts";
export { NodeFileSystem } from "./src/fs/node.ts";
export { MemoryFileSystem } from "./src/fs/memory.ts";
export { defaultFileSystem } from "./src/fs/detect.ts";
export type { DefaultKeyMakerOptions, KeyBytes, KeyMaker } from "./src/keys/keymaker.ts";
export { DefaultKeyMaker, StreamingDefaultKeyMaker } from "./src/keys/keymaker.ts";
