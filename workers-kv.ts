/**
 * A storage adapter on a Cloudflare Workers KV namespace binding:
 * `new Bucket("/cache", { fs: new WorkersKVFileSystem(env.CACHE) })`. A
 * separate entry point, so the core carries no Workers code; it imports no
 * Node built-in (no `nodejs_compat` needed).
 *
 * @module
 */

export {
  WORKERS_KV_MAX_KEY_BYTES,
  WORKERS_KV_MAX_VALUE_BYTES,
  WORKERS_KV_MIN_TTL_SECONDS,
  WorkersKVFileSystem,
} from "./src/fs/workers_kv.ts";
export type {
  WorkersKVFileSystemOptions,
  WorkersKVListKey,
  WorkersKVNamespace,
} from "./src/fs/workers_kv.ts";
