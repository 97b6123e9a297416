/**
 * The storage interface a {@linkcode Bucket} writes through.
 *
 * Every method takes absolute paths. "Not found" is an answer, not an error
 * (`null`, `false` or an empty listing); every other failure rejects with the
 * runtime's own error, which carries a `code` such as `ENOTDIR`, `EACCES` or
 * `ENOSPC`.
 *
 * Nothing that lists, touches or removes goes through a symbolic link: links
 * are not listed or descended into, `touch` leaves their targets alone, and
 * `removeIfUnchanged` removes only regular files. Reads (`readFile`,
 * `readPrefix`, `stat`) follow links like any file API.
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
  /**
   * List the regular files at every depth below the directory, as paths
   * relative to it joined with `/` (`"ab/ab12….sclone"`), instead of only the
   * names of the files directly in it. Subdirectories are listed after the
   * files of their parent; a subdirectory that disappears meanwhile lists
   * nothing. On Redis this is one SCAN pass.
   */
  recursive?: boolean;
}

/** Options for {@linkcode FileSystem.removeIfUnchanged}. */
export interface RemoveIfUnchangedOptions {
  /**
   * Compare only the start of the file: it is removed when it begins with
   * `seen` (and so is at least as long). Without it the whole content must be
   * exactly `seen`.
   */
  prefixOnly?: boolean;
}

/** What a {@linkcode FileSystem} can and cannot do, for callers that adapt to it. */
export interface FileSystemCapabilities {
  /**
   * `false` when paths are only keys and there are no real directories
   * (the Redis adapter): `mkdir` does nothing, writes need no parent, and
   * nothing of the layout before version 0.2 can exist there, so a bucket
   * need not look for it (a listing there scans the whole server). Absent or
   * `true`: directories exist as on a disk.
   */
  readonly directories?: boolean;
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
  /**
   * Creates a file holding `data` only if nothing exists at `path`, as one
   * step: readers see nothing or the whole file, and of several creators at
   * once in any process exactly one resolves `true`; the others resolve
   * `false`. The parent directory must exist. Optional: memoize's and
   * `getOrSet`'s `lock` takes its leases with it (without it, a lock is held
   * within one process only).
   */
  createExclusive?(path: string, data: Uint8Array, options?: AtomicWriteOptions): Promise<boolean>;
  /** Removes a file; resolves to `false` when it did not exist. */
  remove(path: string): Promise<boolean>;
  /**
   * Removes a file only if it still holds what the caller judged: it must be
   * a regular file (never a symbolic link or a directory) whose content is
   * exactly `seen`, or with `prefixOnly` starts with `seen`. Resolves `true`
   * when it removed the file, `false` when the file is missing or differs.
   *
   * It is race-free against writers in any process: on disk the file is
   * first renamed to a private temporary name in its directory (the form
   * atomic writes use, so an orphan left by a crash is pruned like theirs),
   * checked there, and unlinked if it matches; if it does not (it was
   * replaced after the caller's judgement) it is linked back to `path`,
   * unless something newer landed there meanwhile, which then wins. Redis
   * compares and deletes in one script.
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean>;
  /**
   * Lists the names of the regular files in a directory (not their paths),
   * one by one; with `recursive`, the files at every depth as paths relative
   * to `dir`. Symbolic links are neither listed nor descended into, other
   * non-regular files are skipped. A missing directory, or a `dir` that is a
   * file, lists nothing; temporary files are skipped unless asked for. `dir`
   * itself is opened as given (links in it are resolved like in any path).
   */
  list(dir: string, options?: ListOptions): AsyncIterable<string>;
  /** Size and modification time; `null` when the file does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Creates a directory and its missing parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /**
   * Sets a file's modification time (ms since the epoch), the recency that
   * size budgets evict by; `false` when the file does not exist. It never
   * changes the target of a symbolic link (on disk it resolves `false` for a
   * link, or sets the link's own time where the runtime can). Optional: a
   * bucket with `maxSize` or `maxEntries` needs it.
   */
  touch?(path: string, mtimeMs: number): Promise<boolean>;
  /**
   * What the store can do; absent means a disk-like store with real
   * directories (`{ directories: true }`).
   */
  readonly capabilities?: FileSystemCapabilities;
}
