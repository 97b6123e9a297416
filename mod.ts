/**
 * A persistent cache and function memoisation for Deno, Bun and Node.
 *
 * A {@linkcode Bucket} is a dictionary whose entries live one file per key in a
 * directory (or in Redis, or in memory, through a {@linkcode FileSystem}
 * adapter), with lifetimes, a memory layer, pluggable serialisation backends
 * ({@linkcode StructuredCloneBackend} by default, {@linkcode JSONBackend},
 * {@linkcode MessagePackBackend}), stable key hashes, size budgets with
 * least-recently-used eviction, deferred writes and pruning. `bucket.memoize`
 * wraps a function, or decorates a method, so that its results survive
 * restarts and are shared by processes.
 *
 * @example A bucket: set, get, lifetimes
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bucketcache-"));
 * const bucket = new Bucket(join(dir, "cache"), { hours: 1 }); // entries live an hour
 * await bucket.set({ user: 42, page: 3 }, { rows: [1, 2, 3] });
 * assert.deepEqual(await bucket.get({ page: 3, user: 42 }), { rows: [1, 2, 3] }); // key order is free
 * await bucket.set("token", "abc", { lifetime: { minutes: 5 } }); // its own lifetime
 * await bucket.unloadKey("token"); // drop the memory copy: the next get reads the file
 * assert.equal(await bucket.get("token"), "abc");
 * assert.equal(await bucket.get("missing"), undefined); // getitem() rejects with KeyError instead
 * await rm(dir, { recursive: true });
 * ```
 *
 * @example A memoised function whose results outlive the process
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bucketcache-"));
 * const bucket = new Bucket(join(dir, "cache"), { days: 1 });
 * let calls = 0;
 * async function price(item: string, quantity: number): Promise<number> {
 *   calls++; // something slow: a query, a paid API call
 *   return await Promise.resolve(quantity * (item === "apple" ? 0.5 : 2));
 * }
 * const cachedPrice = bucket.memoize(price);
 * assert.equal(await cachedPrice("apple", 4), 2); // computed, written to the bucket
 * assert.equal(await cachedPrice("apple", 4), 2); // from the cache
 * // Another process, or this one after a restart, with a bucket on the same directory:
 * const restarted = new Bucket(join(dir, "cache"), { days: 1 }).memoize(price);
 * assert.equal(await restarted("apple", 4), 2); // from the cache too
 * assert.equal(calls, 1);
 * await rm(dir, { recursive: true });
 * ```
 *
 * The README covers each part: [using a bucket](./README.md#using-a-bucket)
 * (backends, directory layout, entry format),
 * [memoising functions and methods](./README.md#memoising-functions-and-methods),
 * [computing once](./README.md#computing-once-getorset-lock-timeouts-and-stale-values),
 * [deferred writes](./README.md#deferred-writes),
 * [budgets](./README.md#budgets-a-cache-that-does-not-grow-without-bound),
 * the [command-line tool](./README.md#command-line-tool) (`@bucketcache/bucketcache/cli`),
 * [logging](./README.md#logging), [what the cache may touch](./README.md#safety-what-the-cache-may-touch),
 * [storage adapters](./README.md#storage-adapters), [Redis](./README.md#beyond-one-machine-redis)
 * (`@bucketcache/bucketcache/redis`) and [key encoding](./README.md#key-encoding).
 *
 * @module
 */

export type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./src/fs/types.ts";
export type { DiskFileSystemOptions } from "./src/fs/_options.ts";
export { DenoFileSystem } from "./src/fs/deno.ts";
export { NodeFileSystem } from "./src/fs/node.ts";
export { MemoryFileSystem } from "./src/fs/memory.ts";
export { defaultFileSystem } from "./src/fs/detect.ts";
export type { DefaultKeyMakerOptions, KeyBytes, KeyMaker } from "./src/keys/keymaker.ts";
export { DefaultKeyMaker, StreamingDefaultKeyMaker } from "./src/keys/keymaker.ts";
export { MAX_KEY_DEPTH } from "./src/keys/encode.ts";
export type {
  BucketOptions,
  GetOrSetOptions,
  PruneOptions,
  PruneProgress,
  SetOptions,
} from "./src/options.ts";
export type {
  BucketStats,
  BucketUsage,
  EvictionResult,
  Explanation,
  PrunedFilesInfo,
  SyncResult,
} from "./src/results.ts";
export { Bucket } from "./src/bucket.ts";
export type { BackendConfig, Entry } from "./src/backends/backend.ts";
export { Backend } from "./src/backends/backend.ts";
export type { StructuredCloneBackendConfig } from "./src/backends/structured_clone.ts";
export { CLASS_NAME } from "./src/backends/_classes.ts";
export { StructuredCloneBackend } from "./src/backends/structured_clone.ts";
export type { JSONBackendConfig } from "./src/backends/json.ts";
export { JSONBackend } from "./src/backends/json.ts";
export type { MessagePackBackendConfig } from "./src/backends/msgpack.ts";
export { MessagePackBackend } from "./src/backends/msgpack.ts";
export type { DurationLike } from "./src/lifetime.ts";
export { MAX_LIFETIME_MS, parseLifetime } from "./src/lifetime.ts";
export {
  BackendLoadError,
  KeyError,
  KeyExpirationError,
  KeyFileNotFoundError,
  KeyInvalidError,
} from "./src/errors.ts";
export type { LibraryLogger, LoggerConfig, LogLevel } from "./src/log.ts";
export type { TraceContext } from "./src/trace.ts";
export { logger, loggerConfig } from "./src/log.ts";
export type {
  CachedCallInfo,
  CallStatus,
  LockOptions,
  Memoized,
  MemoizeDecorator,
  MemoizeOptions,
} from "./src/memoize_types.ts";
export { deferredWrite, DeferredWriteBucket } from "./src/deferred.ts";
