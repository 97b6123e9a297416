/**
 * The dictionary-like cache.
 *
 * @module
 */

import { BucketCore, type SharedState } from "./_bucket_core.ts";
import type { Backend, BackendConfig } from "./backends/backend.ts";
import type { KeyMaker } from "./keys/keymaker.ts";
import type { DurationLike } from "./lifetime.ts";
import type { FileSystem } from "./fs/types.ts";
import { KeyError } from "./errors.ts";

/** Options of {@linkcode Bucket}. Lifetime shortcuts (`hours: 1`, …) add up as a `DurationLike`. */
export interface BucketOptions extends DurationLike {
  /**
   * How values are serialised: a {@linkcode Backend} subclass (configured by
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
   * goes to the file), or `{ maxEntries, maxBytes }`.
   */
  memory?: boolean | { maxEntries?: number; maxBytes?: number };
  /** The storage adapter. Default: the running runtime's ({@linkcode defaultFileSystem}). */
  fs?: FileSystem;
}

/** Options of {@linkcode Bucket.set}. */
export interface SetOptions {
  /**
   * This entry's own lifetime (milliseconds or a duration; `0` or `null`:
   * never expires). The bucket's lifetime, and later changes to it, do not
   * apply to the entry.
   */
  lifetime?: number | DurationLike | null;
}

/** What {@linkcode Bucket.pruneDirectory} deleted. */
export interface PrunedFilesInfo {
  /** Bytes deleted. */
  size: number;
  /** Files deleted. */
  num: number;
}

const cores = new WeakMap<Bucket, BucketCore>();

/** The internals of a bucket, for memoize and deferred writes in this package. */
export function coreOf(bucket: Bucket): BucketCore {
  const core = cores.get(bucket);
  if (core === undefined) throw new TypeError("Expected a Bucket");
  return core;
}

/** Passed in options by DeferredWriteBucket and deferredWrite; not public. */
export const internalOptions: unique symbol = Symbol("bucketcache.internalOptions");

/** @internal */
export interface InternalOptions {
  deferred: boolean;
  shared?: SharedState;
}

/**
 * A dictionary-like cache whose entries live one file per key in a directory,
 * with an in-memory layer in front. Keys are any value the key maker accepts
 * (objects compare by content, in any property order); values anything the
 * backend can serialise.
 *
 * - **Memory first**: entries read or written are served from memory, by
 *   reference, without touching the file (bounded; see `memory`).
 * - **Expiry**: with a lifetime, an entry reads as missing once it is older;
 *   shortening the lifetime expires entries written with a longer one.
 *   Reading an expired entry deletes its file.
 * - **Atomic writes**: a reader in any process sees the old or the new value,
 *   never a part. A value that cannot be serialised rejects `set` with a
 *   `TypeError` and changes nothing.
 * - **Damaged files** (truncated, garbage, another format) read as missing,
 *   are logged and removed. Other errors (permissions, disk full) reject with
 *   the runtime's error.
 *
 * Construction does no I/O; the directory and its parents are created on the
 * first write.
 *
 * @example
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const bucket = new Bucket(join(await mkdtemp(join(tmpdir(), "bc-")), "cache"), { hours: 1 });
 * await bucket.set({ user: 42, page: 3 }, { rows: [1, 2, 3] });
 * assert.deepEqual(await bucket.get({ page: 3, user: 42 }), { rows: [1, 2, 3] });
 * assert.equal(await bucket.get("missing"), undefined);
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Bucket<V = any> {
  readonly #core: BucketCore;

  /**
   * Creates a bucket over a directory. Validates the options at once.
   *
   * @param path the directory (created on the first write), a string or a `file:` URL
   * @param options backend, keymaker, lifetime (or shortcuts such as `hours`), memory, fs
   * @throws {TypeError} for an unknown option, a lifetime given twice, a bad backend, config, keymaker or fs
   * @throws {RangeError} for a negative, NaN or infinite lifetime
   */
  constructor(path: string | URL, options?: BucketOptions) {
    const internal = (options as { [internalOptions]?: InternalOptions } | undefined)
      ?.[internalOptions];
    this.#core = new BucketCore(path, options, internal?.deferred ?? false, internal?.shared);
    cores.set(this, this.#core);
  }

  /** The absolute directory path. */
  get path(): string {
    return this.#core.path;
  }

  /** The backend serialising this bucket's values. */
  get backend(): Backend {
    return this.#core.backend;
  }

  /**
   * The lifetime in milliseconds, or `null` when entries never expire. Set it
   * (milliseconds, a duration, `0` or `null`) and it applies at once, also to
   * entries already loaded; entries set with their own lifetime keep theirs.
   */
  get lifetime(): number | null {
    return this.#core.lifetime;
  }

  set lifetime(value: number | DurationLike | null) {
    this.#core.lifetime = value;
  }

  /**
   * The value of a key; `undefined` when missing, expired or unreadable.
   *
   * @param key any value the key maker accepts
   * @returns the value (by reference when it is in memory)
   * @throws {TypeError} for a key the key maker cannot encode
   */
  async get(key: unknown): Promise<V | undefined> {
    return (await this.#core.lookup(key))?.value as V | undefined;
  }

  /**
   * The value of a key, or a rejection with {@linkcode KeyError} when there is
   * none (a stored `undefined` is a value).
   *
   * @param key any value the key maker accepts
   * @returns the value
   * @throws {KeyError} when the key has no value; `error.key` is the key
   */
  async getitem(key: unknown): Promise<V> {
    const entry = await this.#core.lookup(key);
    if (entry === undefined) throw new KeyError(key);
    return entry.value as V;
  }

  /**
   * Stores a value under a key, atomically, and resets its expiry to now +
   * lifetime (or `options.lifetime`, which the entry then keeps).
   *
   * @param key any value the key maker accepts
   * @param value any value the backend can serialise
   * @param options `{ lifetime }`: this entry's own lifetime
   * @throws {TypeError} when the value cannot be serialised (nothing changes) or the key cannot be encoded
   */
  async set(key: unknown, value: V, options?: SetOptions): Promise<void> {
    await this.#core.set(key, value, options);
  }

  /**
   * The original's name for `set` without options.
   *
   * @param key any value the key maker accepts
   * @param value any value the backend can serialise
   */
  async setitem(key: unknown, value: V): Promise<void> {
    await this.#core.set(key, value);
  }

  /**
   * Whether a key has a live, readable value.
   *
   * @param key any value the key maker accepts
   * @returns `true` when `getitem` would resolve
   */
  async has(key: unknown): Promise<boolean> {
    return (await this.#core.lookup(key)) !== undefined;
  }

  /**
   * Removes a key from memory and disk. A file that is already gone is fine.
   *
   * @param key any value the key maker accepts
   * @returns `true` if a live entry was removed
   */
  async delete(key: unknown): Promise<boolean> {
    return await this.#core.delete(key);
  }

  /**
   * Drops the in-memory copy of a key, leaving its file: the next read loads
   * it from disk.
   *
   * @param key any value the key maker accepts
   */
  async unloadKey(key: unknown): Promise<void> {
    await this.#core.unload(key);
  }

  /**
   * Deletes the files in the directory that are expired by this bucket's
   * rules, damaged files of this backend, and temporary files orphaned by
   * interrupted writes (older than 15 minutes). Only entry headers are read.
   * Buckets sharing a directory and backend share their files: pruning
   * removes only what this bucket's lifetime says is expired.
   *
   * @returns bytes and files deleted
   */
  async pruneDirectory(): Promise<PrunedFilesInfo> {
    return await this.#core.prune();
  }
}
