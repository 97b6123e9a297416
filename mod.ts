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
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bucketcache-"));
 * const fs = defaultFileSystem();
 * await fs.writeFileAtomic(join(dir, "entry"), new Uint8Array([1, 2]));
 * assert.deepEqual(await fs.readFile(join(dir, "entry")), new Uint8Array([1, 2]));
 * await rm(dir, { recursive: true });
 * ```
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
