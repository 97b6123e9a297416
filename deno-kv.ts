/**
 * A storage adapter on Deno KV (`Deno.openKv()`: SQLite in the Deno CLI,
 * distributed on Deno Deploy):
 * `new Bucket("/cache", { fs: new DenoKvFileSystem(await Deno.openKv()) })`.
 * A separate entry point, so the core carries no Deno KV code.
 *
 * @module
 */

export { DenoKvFileSystem } from "./src/fs/deno_kv.ts";
export type {
  DenoKvAtomicOperation,
  DenoKvEntryMaybe,
  DenoKvFileSystemOptions,
  DenoKvKey,
  DenoKvKeyPart,
  DenoKvLike,
} from "./src/fs/deno_kv.ts";
