/**
 * The storage interface a {@linkcode Bucket} writes through.
 *
 * Every method takes absolute paths. "Not found" is an answer, not an error
 * (`null`, `false` or an empty listing); every other failure rejects with the
 * runtime's own error, which carries a `code` such as `ENOTDIR`, `EACCES` or
 * `ENOSPC`.
 *
 * @module
 */

/** Size and modification time of a stored file. */
export interface FileStat {
  /** Size in bytes. */
  size: number;
  /** Last modification time, in milliseconds since the epoch. */
  mtimeMs: number;
}

/** Options for {@linkcode FileSystem.writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Flush the data to stable storage before the rename (slower, survives power loss). */
  fsync?: boolean;
  /**
   * When the entry in the file expires (ms since the epoch), for stores that
   * can drop it by themselves then (the Redis adapter); disk adapters ignore it.
   */
  expiresAt?: number | null;
}

/** Options for {@linkcode FileSystem.list}. */
export interface ListOptions {
  /**
   * Also list temporary files left by interrupted atomic writes. They are
   * hidden by default; pruning asks for them to remove orphans.
   */
  includeTemporary?: boolean;
}

/**
 * A small storage adapter: the only place where a bucket's bytes touch a disk
 * (or a server). Adapters exist for Deno, Node (also used on Bun) and memory;
 * pick one with the `fs` option of a bucket, or let the bucket choose the one
 * for the running runtime.
 *
 * @example Store and read bytes with the in-memory adapter
 * ```ts
 * import { MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const fs = new MemoryFileSystem();
 * await fs.mkdir("/cache");
 * await fs.writeFileAtomic("/cache/a.bin", new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await fs.readFile("/cache/a.bin"), new Uint8Array([1, 2, 3]));
 * assert.equal(await fs.readFile("/cache/missing.bin"), null);
 * ```
 */
export interface FileSystem {
  /** A short name for logs and errors, such as `"node"` or `"memory"`. */
  readonly name: string;
  /** Reads a whole file; resolves to `null` when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /**
   * Reads at most `length` bytes from the start of a file; resolves to `null`
   * when it does not exist. Used to read entry headers without the value.
   */
  readPrefix(path: string, length: number): Promise<Uint8Array | null>;
  /**
   * Replaces a file as one step: readers in any process see the old complete
   * file or the new complete file, never a part. The data goes to a temporary
   * file in the same directory (a name unique across processes), which is then
   * renamed over the target. The parent directory must exist.
   */
  writeFileAtomic(path: string, data: Uint8Array, options?: AtomicWriteOptions): Promise<void>;
  /** Removes a file; resolves to `false` when it did not exist. */
  remove(path: string): Promise<boolean>;
  /**
   * Lists the names of the files in a directory (not their paths), one by one.
   * A missing directory lists nothing; temporary files are skipped unless
   * asked for.
   */
  list(dir: string, options?: ListOptions): AsyncIterable<string>;
  /** Size and modification time; `null` when the file does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Creates a directory and its missing parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /**
   * Sets a file's modification time (ms since the epoch), the recency that
   * size budgets evict by; `false` when the file does not exist. Optional:
   * a bucket with `maxSize` or `maxEntries` needs it.
   */
  touch?(path: string, mtimeMs: number): Promise<boolean>;
  /**
   * `true` for stores that never held buckets of layout 1 (entries directly
   * in the bucket directory, before version 0.2): a bucket then skips its
   * one-time look for such entries, which takes a listing. The Redis adapter
   * sets it, as a listing there scans the whole server.
   */
  readonly noLegacyLayout?: boolean;
}
