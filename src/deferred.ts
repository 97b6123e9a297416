/**
 * Deferred writes: sets stay in memory until `sync()`.
 *
 * @module
 */

import { Bucket, type InternalOptions, internalOptions, storeOf } from "./bucket.ts";
import type { BucketOptions } from "./options.ts";
import type { SyncResult } from "./results.ts";
import { syncPending } from "./store/sync.ts";
import { fileLogger } from "./log.ts";

/**
 * A bucket whose sets (and memoised results) stay in memory until
 * {@linkcode DeferredWriteBucket.sync}, for bursts of writes to few keys.
 * Pending entries are served from memory and never evicted before they are
 * written; `unloadKey` syncs first. `sync()` writes only what changed since
 * the last sync, several files at a time, each atomically; entries that
 * expired meanwhile are dropped. If some writes fail, the others still land:
 * `sync()` then rejects with an `AggregateError` of the failures, and those
 * entries stay pending for the next `sync()`.
 *
 * @example
 * ```ts
 * import { DeferredWriteBucket, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const fs = new MemoryFileSystem();
 * const bucket = new DeferredWriteBucket("/cache", { fs });
 * for (let i = 0; i < 100; i++) await bucket.set("counter", i);
 * assert.equal(await bucket.get("counter"), 99);
 * // One file: a 55-byte header and a 2-byte payload.
 * assert.deepEqual(await bucket.sync(), { written: 1, bytes: 57, dropped: 0 });
 * ```
 */
// deno-lint-ignore no-explicit-any
export class DeferredWriteBucket<V = any> extends Bucket<V> {
  /**
   * Creates a deferred bucket; the options are those of {@linkcode Bucket}.
   *
   * @param path the directory, a string or a `file:` URL
   * @param options as for `Bucket`
   */
  constructor(path: string | URL, options?: BucketOptions) {
    const internal = (options as { [internalOptions]?: InternalOptions } | undefined)
      ?.[internalOptions];
    super(path, {
      ...options,
      [internalOptions]: { deferred: true, store: internal?.store },
    } as BucketOptions);
  }

  /**
   * Writes every pending entry to disk.
   *
   * @returns how many entries and bytes were written, and how many expired entries were dropped
   * @throws {AggregateError} listing the writes that failed; those entries stay pending
   */
  async sync(): Promise<SyncResult> {
    return await syncPending(storeOf(this));
  }

  /**
   * Syncs, then drops the in-memory copy of a key.
   *
   * @param key any value the key maker accepts
   */
  override async unloadKey(key: unknown): Promise<void> {
    await this.sync();
    await super.unloadKey(key);
  }

  /** Syncs: `await using deferred = deferredWrite(bucket)` writes at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.sync();
  }
}

/**
 * Defers the writes made through a bucket: inside `callback`, sets through
 * the deferred bucket it receives are visible through `bucket` at once (it
 * is a view of the same store: one memory layer, one per-key write order,
 * one set of statistics, one lifetime) and are written when the callback settles —
 * also when it throws, after which the error is rethrown. Without a callback,
 * returns the deferred bucket for `await using` (Deno, Bun, Node 24, or Node 20
 * through a transpiler), which syncs when the block ends.
 *
 * @example With a callback
 * ```ts
 * import { Bucket, deferredWrite, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
 * await deferredWrite(bucket, async (deferred) => {
 *   for (let i = 0; i < 10; i++) await deferred.set(`key ${i}`, i);
 *   assert.equal(await bucket.get("key 3"), 3); // visible at once
 * }); // written here
 * await bucket.unloadKey("key 3");
 * assert.equal(await bucket.get("key 3"), 3); // from the file
 * ```
 *
 * @param bucket the bucket whose writes to defer
 * @param callback receives the deferred bucket; its result is returned
 * @returns what the callback returns, once everything is written
 * @throws what the callback throws (after the writes); otherwise the `AggregateError` of failed writes
 */
export function deferredWrite<V, T>(
  bucket: Bucket<V>,
  callback: (deferred: DeferredWriteBucket<V>) => T | Promise<T>,
): Promise<Awaited<T>>;
/**
 * Returns the deferred bucket, for `await using deferred = deferredWrite(bucket)`.
 *
 * @param bucket the bucket whose writes to defer
 * @returns a deferred bucket sharing `bucket`'s memory; it syncs when disposed
 */
export function deferredWrite<V>(bucket: Bucket<V>): DeferredWriteBucket<V>;
export function deferredWrite<V, T>(
  bucket: Bucket<V>,
  callback?: (deferred: DeferredWriteBucket<V>) => T | Promise<T>,
): DeferredWriteBucket<V> | Promise<Awaited<T>> {
  if (!(bucket instanceof Bucket)) throw new TypeError("deferredWrite needs a Bucket");
  if (callback !== undefined && typeof callback !== "function") {
    throw new TypeError("deferredWrite's second argument must be a function (deferred) => …");
  }
  const store = storeOf(bucket);
  const deferred = new DeferredWriteBucket<V>(store.path, {
    [internalOptions]: { deferred: true, store },
  } as BucketOptions);
  if (callback === undefined) return deferred;
  return (async (): Promise<Awaited<T>> => {
    let result: Awaited<T>;
    try {
      result = await callback(deferred);
    } catch (error) {
      try {
        await deferred.sync();
      } catch (syncError) {
        fileLogger.error(
          "deferredWrite could not write everything after its callback threw: {error}",
          () => ({
            error: syncError,
          }),
        );
      }
      throw error;
    }
    await deferred.sync();
    return result;
  })();
}
