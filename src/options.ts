/**
 * The options of a bucket and of its operations.
 *
 * @module
 */

import type { Backend, BackendConfig } from "./backends/backend.ts";
import type { KeyMaker } from "./keys/keymaker.ts";
import type { DurationLike } from "./lifetime.ts";
import type { FileSystem } from "./fs/types.ts";

/** Options of `Bucket`. Lifetime shortcuts (`hours: 1`, …) add up as a `DurationLike`. */
export interface BucketOptions extends DurationLike {
  /**
   * How values are serialised: a `Backend` subclass (configured by
   * `config`) or an instance of one. Default: `StructuredCloneBackend`.
   */
  // deno-lint-ignore no-explicit-any
  backend?: (abstract new (config?: any) => Backend) | Backend;
  /** Options for the backend class in `backend`; unknown keys are a `TypeError`. */
  config?: BackendConfig;
  /** How keys become bytes. Default: `new DefaultKeyMaker()`. */
  keymaker?: KeyMaker;
  /**
   * How long an entry stays readable after it is set: milliseconds or a
   * duration such as `{ hours: 1 }`. `0`, `null` or absent: never expires.
   */
  lifetime?: number | DurationLike | null;
  /**
   * The in-memory layer: `true` (default: at most 10,000 entries or 64 MiB of
   * serialised values, least recently used evicted first), `false` (every read
   * goes to the file), or `{ maxEntries, maxBytes, clone }`. Memory hits
   * are served by reference; with `clone: true` every value a caller gets
   * (`get`, memoised calls, `getOrSet`) is a `structuredClone` of the held
   * one, so mutating it changes nothing for later callers — at the cost of
   * one copy per read (about 1-3 µs for 1 KB, growing with the value).
   */
  memory?: boolean | { maxEntries?: number; maxBytes?: number; clone?: boolean };
  /** The storage adapter. Default: the running runtime's (`defaultFileSystem`). */
  fs?: FileSystem;
  /**
   * A budget for the directory, in bytes of entry files (header and payload;
   * not disk blocks). Past it, least recently used entries are evicted in the
   * background, expired ones first, down to 90% of it. Shared by every
   * process and bucket using the directory: recency is each file's
   * modification time, set on writes and reads (memory hits mark it at most
   * once a minute per entry). The first eviction in a process logs a warning.
   * Default: no limit.
   */
  maxSize?: number;
  /** A budget for the directory, in entries; as `maxSize`. Default: no limit. */
  maxEntries?: number;
  /**
   * How far clocks of processes and machines sharing the directory may
   * differ, in milliseconds or a duration. An entry is deleted for its age
   * only once its written expiry is this far past, and an entry whose expiry
   * lies up to this much beyond now + lifetime is not taken for one written
   * under a longer lifetime. Default: one minute.
   */
  clockTolerance?: number | DurationLike;
  /**
   * Serve an existing cache without ever writing, removing or touching
   * anything (a read-only disk, `deno run --allow-read=DIR`): expired and
   * damaged entries read as missing and stay; `set`, `delete`,
   * `pruneDirectory` and `evict` reject with a `TypeError` saying the bucket
   * is read-only; a memoised or `getOrSet` miss computes and returns its
   * value without storing it. Default `false`.
   */
  readOnly?: boolean;
  /**
   * What a write does when the storage refuses it (`EROFS`, `EACCES`,
   * `EPERM`, `ENOSPC`, `EDQUOT`, Deno's `PermissionDenied`/`NotCapable`, and
   * `ENOENT` where a read-only mount makes directories impossible):
   * `"reject"` (default) rejects with the runtime's error; `"memory"` logs
   * one warning, keeps the value in the memory layer, and tries the storage
   * again 30 seconds later. Reads that fail that way then read as missing.
   */
  onStorageError?: "reject" | "memory";
  /**
   * Compress what is written (off by default): `"gzip"`, `"deflate"`, or
   * `{ codec, minBytes }`, through Web Streams' `CompressionStream`. Payloads
   * under `minBytes` (default 1024) are stored as they are, and so is a
   * payload whose compressed form is not under 90% of it (random bytes,
   * media; from 256 KiB on, its first 64 KiB are tried first): compression
   * that does not pay is skipped. A compressed entry says
   * so in its header (format version 3), so every bucket reads it whatever
   * its own `compress`, in every runtime; the checksum covers the stored
   * bytes. Versions of this library before format 3 leave such entries alone
   * (they read as missing there).
   */
  compress?: "gzip" | "deflate" | { codec: "gzip" | "deflate"; minBytes?: number };
  /**
   * Classes whose instances come back as instances of the class, not as
   * plain objects: `classes: [Point, Line]`. Works with the default
   * `StructuredCloneBackend` (anywhere in the value: nested, in arrays, `Map`s
   * and `Set`s, shared and circular) and `MessagePackBackend`; it is passed to
   * the backend class as `config.classes` (with a backend instance, pass it to
   * the constructor instead), and any other backend is a `TypeError`. Files
   * name each class by a stable name: its `static [CLASS_NAME]` string
   * (`CLASS_NAME` is `Symbol.for("bucketcache.class")`) if it has one, which
   * survives minifiers and renames, else `Class.name`; two classes with one
   * name are a `TypeError`. On load an instance is
   * `Object.create(Class.prototype)` with its stored own enumerable properties
   * defined on it: the constructor does not run, and private `#fields` are
   * neither stored nor restored. A stored name the reading bucket has not
   * registered loads as a plain object (with a warning once per name), never
   * as another class. Storing an instance of an unregistered class logs a
   * warning once per class. Entry file names do not depend on this option.
   */
  classes?: readonly (abstract new (...args: never[]) => object)[];
}

/** Options of {@linkcode Bucket.set}. */
export interface SetOptions {
  /**
   * This entry's own lifetime (milliseconds or a duration; `0` or `null`:
   * never expires). The bucket's lifetime, and later changes to it, do not
   * apply to the entry.
   */
  lifetime?: number | DurationLike | null;
  /**
   * Tags for `bucket.invalidateTags`: non-empty strings. An entry with tags
   * is written in entry format version 2 with each tag's generation.
   */
  tags?: string[];
}

/** Progress of `Bucket.pruneDirectory`, reported after each directory. */
export interface PruneProgress {
  /** Directories done: the bucket directory, then its 256 shards. */
  directories: number;
  /** Directories in all (257). */
  of: number;
  /** Files looked at so far: this backend's entry files and temporary files. */
  files: number;
}

/** Options of `Bucket.pruneDirectory`. */
export interface PruneOptions {
  /** Called after each directory: pruning a large bucket takes a while. */
  onProgress?: (progress: PruneProgress) => void;
}

/** Options of `Bucket.getOrSet`: those memoize shares, plus `refresh` and `signal`. */
export interface GetOrSetOptions {
  /** This entry's own lifetime (ms or a duration); default: the bucket's. */
  lifetime?: number | DurationLike | null;
  /** Skip the read: compute, store and return (the entry is overwritten). */
  refresh?: boolean;
  /** One computation per key across processes and machines (see memoize's `lock`). */
  lock?: boolean | { leaseMs?: number; waitMs?: number };
  /** Milliseconds the computation may take before callers reject with a "TimeoutError". */
  timeout?: number;
  /** Milliseconds after expiry during which the stale value is served while one refresh runs. */
  staleWhileRevalidate?: number;
  /** Milliseconds after expiry during which a failed computation is answered with the stale value. */
  staleIfError?: number;
  /** Receives background refreshes (serverless hosts). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Aborting it rejects this caller alone, with the signal's reason. */
  signal?: AbortSignal;
}
