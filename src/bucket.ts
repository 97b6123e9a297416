/**
 * The dictionary-like cache.
 *
 * @module
 */

import type { Backend } from "./backends/backend.ts";
import type { DurationLike } from "./lifetime.ts";
import type { BucketOptions, GetOrSetOptions, PruneOptions, SetOptions } from "./options.ts";
import type {
  BucketStats,
  BucketUsage,
  EvictionResult,
  Explanation,
  PrunedFilesInfo,
} from "./results.ts";
import type { Memoized, MemoizeDecorator, MemoizeOptions } from "./memoize_types.ts";
import { KeyError } from "./errors.ts";
import {
  checkOptions,
  computePolicy,
  decorate,
  isAbortSignal,
  isDecoratorContext,
  memoizeWith,
} from "./memoize.ts";
import { computeModule, explainModule, pruneModule } from "./store/later.ts";
import { readTags } from "./store/tags.ts";
import type { MemoryEntry } from "./store/memory.ts";
import { channels, type TraceContext, tracing } from "./trace.ts";
import { keyForLog } from "./log.ts";
import { Store } from "./store/store.ts";
import { readBucketOptions, readLimit } from "./store/read_options.ts";
import type { View } from "./store/view.ts";

const GET_OR_SET_OPTIONS = new Set([
  "lifetime",
  "refresh",
  "lock",
  "timeout",
  "staleWhileRevalidate",
  "staleIfError",
  "waitUntil",
  "signal",
]);

function readGetOrSetOptions(options: GetOrSetOptions | undefined): GetOrSetOptions & {
  refresh: boolean;
} {
  if (options === undefined) return { refresh: false };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError("getOrSet options must be an object such as { lock: true }");
  }
  for (const name of Object.keys(options)) {
    if (!GET_OR_SET_OPTIONS.has(name)) {
      throw new TypeError(
        `Unknown getOrSet option "${name}": use ${[...GET_OR_SET_OPTIONS].join(", ")}`,
      );
    }
  }
  if (options.signal !== undefined && !isAbortSignal(options.signal)) {
    throw new TypeError("getOrSet option signal must be an AbortSignal");
  }
  if (options.refresh !== undefined && typeof options.refresh !== "boolean") {
    throw new TypeError("getOrSet option refresh must be true or false");
  }
  return { ...options, refresh: options.refresh === true };
}

const views = new WeakMap<Bucket, View>();

/** The store behind a bucket and its write policy, for memoize and deferred writes in this package. */
export function viewOf(bucket: Bucket): View {
  const view = views.get(bucket);
  if (view === undefined) throw new TypeError("Expected a Bucket");
  return view;
}

/** The store behind a bucket (shared by every view of it). */
export function storeOf(bucket: Bucket): Store {
  return viewOf(bucket).store;
}

/** Passed in options by DeferredWriteBucket and deferredWrite; not public. */
export const internalOptions: unique symbol = Symbol("bucketcache.internalOptions");

/** What DeferredWriteBucket and deferredWrite pass: the write policy, and a store to share. */
export interface InternalOptions {
  deferred: boolean;
  store?: Store;
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
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bc-"));
 * const bucket = new Bucket(join(dir, "cache"), { hours: 1 });
 * await bucket.set({ user: 42, page: 3 }, { rows: [1, 2, 3] });
 * assert.deepEqual(await bucket.get({ page: 3, user: 42 }), { rows: [1, 2, 3] });
 * assert.equal(await bucket.get("missing"), undefined);
 * await rm(dir, { recursive: true });
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Bucket<V = any> {
  readonly #core: Store;
  readonly #deferred: boolean;

  /**
   * Creates a bucket over a directory. Validates the options at once.
   *
   * @param path the directory (created on the first write), a string or a `file:` URL
   * @param options backend, keymaker, lifetime (or shortcuts such as `hours`), memory, fs
   * @throws {TypeError} for an unknown option, a lifetime given twice, a bad backend, config, keymaker or fs
   * @throws {RangeError} for a negative, NaN, infinite or over-long lifetime
   */
  constructor(path: string | URL, options?: BucketOptions) {
    const internal = (options as { [internalOptions]?: InternalOptions } | undefined)
      ?.[internalOptions];
    this.#core = internal?.store ?? new Store(readBucketOptions(path, options));
    this.#deferred = internal?.deferred ?? false;
    views.set(this, { store: this.#core, deferred: this.#deferred });
    // `@bucket.memoize` calls the method without `this`: bind it to the bucket.
    this.memoize = this.memoize.bind(this) as typeof this.memoize;
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
    const entry = await this.#lookup(key);
    return entry === undefined ? undefined : this.#core.out(entry.value as V);
  }

  /** Looks a key up, traced on bucketcache:get when someone listens. */
  #lookup(key: unknown): Promise<MemoryEntry | undefined> {
    if (!tracing(channels.get)) return this.#core.lookup(key);
    return this.#traced(channels.get!, key, async (context) => {
      const entry = await this.#core.lookup(key);
      context.status = entry === undefined ? "miss" : "hit";
      context.bytes = entry?.size;
      return entry;
    });
  }

  /** Runs an operation on a key inside a tracing channel. */
  async #traced<T>(
    channel: NonNullable<typeof channels.get>,
    key: unknown,
    run: (context: TraceContext) => Promise<T>,
  ): Promise<T> {
    let located = this.#core.locate(key);
    if (located instanceof Promise) located = await located;
    const context: TraceContext = {
      bucket: this.#core.path,
      keyHash: this.#core.fileName(located).slice(0, 64),
    };
    return await channel.tracePromise(() => run(context), context);
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
    const entry = await this.#lookup(key);
    if (entry === undefined) throw new KeyError(key);
    return this.#core.out(entry.value as V);
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
    if (!tracing(channels.set)) {
      await this.#core.set(key, value, options, this.#deferred);
      return;
    }
    await this.#traced(channels.set!, key, async (context) => {
      const entry = await this.#core.set(key, value, options, this.#deferred);
      context.status = "written";
      context.bytes = entry.size;
    });
  }

  /**
   * The value of a key, computing and storing it on a miss: `compute` runs
   * once for all concurrent callers of the key in this process — and with
   * `lock`, once across processes and machines. The options are those of
   * memoize: `lifetime`, `lock`, `timeout`, `staleWhileRevalidate`,
   * `staleIfError`, `waitUntil`; `refresh: true` skips the read and
   * overwrites the entry; `signal` rejects this caller alone when it aborts
   * (the computation goes on for the others and is stored).
   *
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   *
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem(), hours: 1 });
   * let calls = 0;
   * const load = () => bucket.getOrSet("report", async () => ++calls);
   * assert.deepEqual(await Promise.all([load(), load()]), [1, 1]);
   * assert.equal(await load(), 1);
   * assert.equal(calls, 1);
   * ```
   *
   * @param key any value the key maker accepts
   * @param compute computes the value; its signal aborts on timeout or when every caller has gone
   * @param options lifetime, refresh, lock, timeout, staleWhileRevalidate, staleIfError, waitUntil, signal
   * @returns the stored, stale or computed value
   * @throws {TypeError} for bad options, a key that cannot be encoded, a value that cannot be stored
   * @throws {DOMException} named `"TimeoutError"` past `timeout`; the signal's reason when it aborts
   */
  async getOrSet(
    key: unknown,
    compute: (signal: AbortSignal) => V | Promise<V>,
    options?: GetOrSetOptions,
  ): Promise<V> {
    if (typeof compute !== "function") {
      throw new TypeError("getOrSet needs a function that computes the value: (signal) => value");
    }
    const store = this.#core;
    const { signal, refresh, ...rest } = readGetOrSetOptions(options);
    let located = store.locate(key);
    if (located instanceof Promise) located = await located;
    const name = `getOrSet(${keyForLog(key)})`;
    const policy = computePolicy(name, rest, "getOrSet");
    const { getOrCompute } = await computeModule();
    const outcome = await getOrCompute(
      viewOf(this),
      located,
      key,
      compute,
      {
        ...policy,
        refresh,
        lifetime: policy.inheritLifetime ? store.lifetime : policy.lifetime,
      },
      signal === undefined ? [] : [signal],
    );
    return store.out(outcome.value as V);
  }

  /**
   * The original's name for `set` without options.
   *
   * @param key any value the key maker accepts
   * @param value any value the backend can serialise
   */
  async setitem(key: unknown, value: V): Promise<void> {
    await this.set(key, value);
  }

  /**
   * Whether a key has a live, readable value.
   *
   * @param key any value the key maker accepts
   * @returns `true` when `getitem` would resolve
   */
  async has(key: unknown): Promise<boolean> {
    return (await this.#lookup(key)) !== undefined;
  }

  /**
   * Why a key hits or misses, without reading it into memory or changing
   * anything: `{ status, reason, file, expiresAt, storedAt, … }` (see
   * {@linkcode Explanation}). Reasons: `"absent"`, `"expired"`, `"damaged"`
   * (with `damage`: what the check found), `"invalidated"` (with
   * `invalidatedBy`: the tags).
   *
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   *
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * assert.equal((await bucket.explain("k")).reason, "absent");
   * await bucket.set("k", 1, { tags: ["user:42"] });
   * assert.equal((await bucket.explain("k")).status, "hit");
   * await bucket.invalidateTags(["user:42"]);
   * const why = await bucket.explain("k");
   * assert.deepEqual([why.status, why.reason, why.invalidatedBy], ["miss", "invalidated", ["user:42"]]);
   * ```
   *
   * @param key any value the key maker accepts
   * @returns what a read would find now, and why
   */
  async explain(key: unknown): Promise<Explanation> {
    let located = this.#core.locate(key);
    if (located instanceof Promise) located = await located;
    const { explainLocated } = await explainModule();
    return await explainLocated(this.#core, located);
  }

  /**
   * Makes every entry carrying one of `tags` read as missing, in O(1) per
   * tag (a generation counter per tag beside the entries; no entry is listed
   * or rewritten). This process sees it at once; other processes within
   * about a second (they reread a tag's counter at most once a second).
   *
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   *
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * await bucket.set("profile", { name: "Ada" }, { tags: ["user:42"] });
   * await bucket.set("other", 1);
   * await bucket.invalidateTags(["user:42"]);
   * assert.equal(await bucket.get("profile"), undefined);
   * assert.equal(await bucket.get("other"), 1);
   * ```
   *
   * @param tags the tags to invalidate
   */
  async invalidateTags(tags: string[]): Promise<void> {
    this.#core.refuseIfReadOnly("invalidateTags");
    const checked = readTags(tags, "invalidateTags");
    if (checked === undefined) throw new TypeError("invalidateTags takes an array of tags");
    await this.#core.tags.invalidate(checked);
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
   * Deletes this backend's entry files whose written expiry is past (by more
   * than `clockTolerance`), damaged entry files of this backend, and
   * temporary files of the library orphaned by interrupted writes (older
   * than 15 minutes). Only the library's own files are judged: a file must
   * be named like an entry and carry the library's header; anything else,
   * and anything behind a symlink, is left alone. Buckets sharing a
   * directory share their files: a bucket's shorter lifetime makes entries
   * read as missing for it, but pruning deletes only by the date written in
   * each entry. Each removal deletes exactly the file judged, or nothing (a
   * fresh write by another process survives). It streams the directory (one
   * recursive listing; memory does not grow with the entry count) and moves
   * entries of the old flat layout into shards.
   *
   * @param options `{ onProgress }`, called as the walk moves from shard to shard
   * @returns bytes and files deleted
   */
  async pruneDirectory(options?: PruneOptions): Promise<PrunedFilesInfo> {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError("pruneDirectory options must be an object such as { onProgress }");
    }
    const onProgress = options?.onProgress;
    if (onProgress !== undefined && typeof onProgress !== "function") {
      throw new TypeError("onProgress must be a function ({ directories, of, files }) => void");
    }
    this.#core.refuseIfReadOnly("pruneDirectory");
    const { pruneDirectory } = await pruneModule();
    return await pruneDirectory(this.#core, onProgress);
  }

  /**
   * What this bucket did in this process: hits, misses, writes, bytes
   * written, deletes, evictions, expired and damaged files removed. A copy;
   * counting costs nothing measurable.
   *
   * @returns the counters
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * await bucket.set("a", 1);
   * await bucket.get("a");
   * await bucket.get("b");
   * const { hits, misses, writes } = bucket.stats();
   * assert.deepEqual({ hits, misses, writes }, { hits: 1, misses: 1, writes: 1 });
   * ```
   */
  stats(): BucketStats {
    return { ...this.#core.stats };
  }

  /**
   * Entries of this bucket's backend on disk and the bytes their files take
   * (header and payload). Lists every shard and stats every file: it takes
   * time on large directories.
   *
   * @returns entries and bytes
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * await bucket.set("a", "x".repeat(100));
   * const { entries, bytes } = await bucket.usage();
   * assert.equal(entries, 1);
   * assert.ok(bytes > 100);
   * ```
   */
  async usage(): Promise<BucketUsage> {
    return await this.#core.usage();
  }

  /**
   * Runs an eviction pass now (background passes run on their own once a
   * budget is exceeded): removes expired entries, then least recently used
   * ones down to 90% of the budget if it is exceeded. Streams the directory,
   * reading only headers.
   *
   * @param limits `{ maxSize, maxEntries }` to evict against instead of the bucket's own
   * @returns entries evicted and expired, bytes removed, usage after
   * @throws {TypeError} when the bucket has no budget and no limits are given
   * @example
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * for (let i = 0; i < 20; i++) await bucket.set(i, i);
   * const result = await bucket.evict({ maxEntries: 10 });
   * assert.equal(result.usage.entries, 9);
   * assert.equal(result.evicted, 11);
   * ```
   */
  async evict(limits?: { maxSize?: number; maxEntries?: number }): Promise<EvictionResult> {
    this.#core.refuseIfReadOnly("evict");
    if (limits === undefined) return await this.#core.evict();
    if (typeof limits !== "object" || limits === null) {
      throw new TypeError("evict takes { maxSize, maxEntries }");
    }
    for (const name of Object.keys(limits)) {
      if (name !== "maxSize" && name !== "maxEntries") {
        throw new TypeError(`Unknown evict option "${name}": use maxSize or maxEntries`);
      }
    }
    return await this.#core.evict({
      maxSize: readLimit(limits.maxSize, "maxSize"),
      maxEntries: readLimit(limits.maxEntries, "maxEntries"),
    });
  }

  /**
   * Memoises a function in this bucket: `bucket.memoize(fn, options?)`
   * returns a wrapper that resolves to the function's (awaited) result,
   * computing it once per distinct arguments and serving it from the bucket
   * afterwards, also in later processes. Used without a function —
   * `@bucket.memoize` or `@bucket.memoize(options)` — it is a standard (TC39)
   * decorator for methods and getters, keyed on the instance too.
   *
   * The key of a call is the function's name (and class name for methods),
   * `version`, the instance's state for methods, and the arguments after
   * `ignore`/`nocache` with trailing `undefined`s dropped. Concurrent calls
   * with one key share one execution. A function that throws caches nothing;
   * one that changes its arguments (or instance) so that the key changes
   * rejects and caches nothing. If writing the cache fails, the result is
   * still returned and the failure logged. A result the backend cannot
   * serialise rejects with its `TypeError`.
   *
   * @example A function
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   *
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * let calls = 0;
   * const add = bucket.memoize(function add(a: number, b: number) {
   *   calls++;
   *   return a + b;
   * });
   * assert.equal(await add(1, 2), 3);
   * assert.equal(await add(1, 2), 3);
   * assert.equal(calls, 1);
   * ```
   *
   * @example A method, skipping the cache on demand
   * ```ts
   * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
   * import assert from "node:assert/strict";
   *
   * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
   * let calls = 0;
   * class Service {
   *   user: string;
   *   constructor(user: string) {
   *     this.user = user;
   *   }
   *   @bucket.memoize({ nocache: "skipCache" })
   *   async expensive(a: number, skipCache = false): Promise<string> {
   *     calls++;
   *     return `${this.user}:${a}`;
   *   }
   * }
   * await new Service("ada").expensive(1);
   * await new Service("ada").expensive(1); // equal state: a hit
   * await new Service("ada").expensive(1, true); // skips the cache
   * assert.equal(calls, 2);
   * ```
   *
   * @param fn the function to memoise (its `name` is part of the key)
   * @param options `method`, `nocache`, `ignore`, `key`, `name`, `version`
   * @returns the memoised function, with `.callback(cb)` for cache hits
   * @throws {TypeError} for unknown options, names that are not parameters, an anonymous function without `name`
   */
  // deno-lint-ignore no-explicit-any
  memoize<This, A extends any[], R>(
    value: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): Memoized<A, R, This>;
  /** Used as `@bucket.memoize` on a getter that returns a Promise. */
  memoize<This, R>(
    value: (this: This) => Promise<R>,
    context: ClassGetterDecoratorContext<This, Promise<R>>,
  ): (this: This) => Promise<R>;
  /** Memoises a function. */
  // deno-lint-ignore no-explicit-any
  memoize<F extends (this: any, ...args: any[]) => unknown>(
    fn: F,
    options?: MemoizeOptions,
  ): Memoized<Parameters<F>, ReturnType<F>, ThisParameterType<F>>;
  /** Returns a decorator for methods and getters. */
  memoize(options?: MemoizeOptions): MemoizeDecorator;
  memoize(first?: unknown, second?: unknown): unknown {
    const core = viewOf(this);
    if (isDecoratorContext(second)) return decorate(core, first, second, undefined);
    if (typeof first === "function") return memoizeWith(core, first as never, second, "function");
    if (second !== undefined) {
      throw new TypeError("memoize takes (fn, options), (options) or is used as a decorator");
    }
    if (
      first !== undefined && (typeof first !== "object" || first === null || Array.isArray(first))
    ) {
      throw new TypeError(
        `memoize takes a function or an options object, got ${
          first === null ? "null" : typeof first
        }`,
      );
    }
    const decorator = (value: unknown, context: unknown) => {
      if (!isDecoratorContext(context)) {
        throw new TypeError(
          "bucket.memoize(options) returns a decorator: use it as @bucket.memoize(options) on a method",
        );
      }
      return decorate(core, value, context, first);
    };
    // Bad options fail here, not when the decorator is applied.
    if (checkOptions(first).method === false) {
      throw new TypeError(
        "memoize as a decorator always keys on the instance: leave out method: false",
      );
    }
    return decorator;
  }
}
