/**
 * A storage adapter on the Origin Private File System (OPFS) of browsers and
 * web workers: `new Bucket("/cache", { fs: new OpfsFileSystem() })`.
 *
 * @module
 */

import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./types.ts";
import {
  codedError,
  isTemporaryName,
  KeyedQueue,
  matchesSeen,
  pathParts,
  sizeFits,
  temporaryNameFor,
} from "./_portable.ts";

/** The part of a `File` (a `Blob`) the adapter reads. */
export interface OpfsFile {
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time, ms since the epoch. */
  readonly lastModified: number;
  /** A part of the file. */
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  /** The whole content. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The part of a `FileSystemWritableFileStream` the adapter uses. */
export interface OpfsWritable {
  /** Writes bytes at the current position. */
  write(data: Uint8Array): Promise<void>;
  /** Makes the written content the file's, in one step. */
  close(): Promise<void>;
  /** Discards what was written. */
  abort(reason?: unknown): Promise<void>;
}

/** The part of a `FileSystemSyncAccessHandle` (dedicated workers) the adapter uses. */
export interface OpfsSyncAccessHandle {
  /** Writes at an offset, returning the bytes written. */
  write(data: Uint8Array, options?: { at?: number }): number;
  /** Sets the file's size. */
  truncate(size: number): void;
  /** Flushes to storage. */
  flush(): void;
  /** Releases the handle. */
  close(): void;
}

/** The part of a `FileSystemFileHandle` the adapter uses. */
export interface OpfsFileHandle {
  /** `"file"`. */
  readonly kind: "file";
  /** A snapshot of the file. */
  getFile(): Promise<OpfsFile>;
  /** A stream whose writes replace the file's content when it is closed. */
  createWritable?(options?: { keepExistingData?: boolean }): Promise<OpfsWritable>;
  /** In dedicated workers: synchronous, in-place access. */
  createSyncAccessHandle?(): Promise<OpfsSyncAccessHandle>;
  /** Renames the file, replacing a file of that name (where the browser has it). */
  move?(parent: OpfsDirectoryHandle, name: string): Promise<void>;
}

/**
 * The part of a `FileSystemDirectoryHandle` the adapter uses; a real one
 * (from `navigator.storage.getDirectory()`) has all of it.
 */
export interface OpfsDirectoryHandle {
  /** `"directory"`. */
  readonly kind: "directory";
  /** The file called `name` in this directory. */
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  /** The directory called `name` in this directory. */
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectoryHandle>;
  /** Removes the entry called `name`. */
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  /** The entries of the directory, as `[name, handle]`. */
  entries(): AsyncIterable<[string, OpfsFileHandle | OpfsDirectoryHandle]>;
}

/** Options of {@linkcode OpfsFileSystem}. */
export interface OpfsFileSystemOptions {
  /**
   * The directory that `/` stands for. Default: the origin's private file
   * system, `navigator.storage.getDirectory()`, asked for on first use.
   */
  root?: OpfsDirectoryHandle | Promise<OpfsDirectoryHandle>;
  /**
   * The start of the Web Locks names the adapter takes, one per path. Every
   * tab and worker that shares files must use the same one. Default:
   * `"bucketcache-opfs:"`.
   */
  lockPrefix?: string;
}

interface LockManager {
  request<T>(name: string, options: { mode: "exclusive" }, callback: () => Promise<T>): Promise<T>;
}

/** The name of a DOMException (or any error) such as `"NotFoundError"`. */
const errorName = (error: unknown): string | undefined =>
  (error as { name?: unknown } | null)?.name as string | undefined;

/** Chromium's swap files of open writable streams: `<name>.crswap`, `<name>.<n>.crswap`. */
const SWAP_FILE = /\.crswap$/;
/** The recency sidecar of a file called `name` (written by `touch`). */
const sidecarName = (name: string) => `.${name}.mtime`;
const SIDECAR = /^\..+\.mtime$/;

/** Whether a name is the adapter's own (sidecar) or the browser's (swap file): never listed. */
const isHidden = (name: string) => SWAP_FILE.test(name) || SIDECAR.test(name);

/** Maps a DOMException to an error with a Node-style `code` (the cause kept). */
function coded(error: unknown, path: string, onTypeMismatch = "ENOTDIR"): unknown {
  switch (errorName(error)) {
    case "NotFoundError":
      return codedError("ENOENT", "no such file or directory", path, error);
    case "TypeMismatchError":
      return codedError(
        onTypeMismatch,
        onTypeMismatch === "EISDIR" ? "illegal operation on a directory" : "not a directory",
        path,
        error,
      );
    case "QuotaExceededError":
      return codedError("ENOSPC", "the origin's storage quota is used up", path, error);
    case "NotAllowedError":
    case "SecurityError":
      return codedError("EACCES", "permission denied", path, error);
    case "NoModificationAllowedError":
      return codedError("EBUSY", "the file is open for writing elsewhere", path, error);
    default:
      return error;
  }
}

/** Where Web Locks are missing: the turns every adapter in this realm takes per path. */
const realmQueue = new KeyedQueue();

/** Directory handles kept, at most (a bucket has 257 directories). */
const DIRECTORY_CACHE_SIZE = 4096;

/** The `code` of an error, such as `"ENOENT"`. */
const errorCode = (error: unknown): string | undefined =>
  (error as { code?: unknown } | null)?.code as string | undefined;

/** How often a read retries a file replaced while it was being read. */
const READ_ATTEMPTS = 100;

/**
 * A {@linkcode FileSystem} on the Origin Private File System of browsers and
 * web workers (`navigator.storage.getDirectory()`), or on any directory
 * handle given as `root`. Paths are absolute and map to nested directories:
 * `/cache/ab/x.sclone` is the file `x.sclone` in directory `ab` of `cache`.
 *
 * - **Atomic replace**: the data is written to a temporary file in the same
 *   directory (`.<name>.<16 hex>.tmp`, the library's temporary name form),
 *   which `FileSystemFileHandle.move()` then renames over the entry; readers
 *   in every tab and worker see the old or the new file. Where `move()` is
 *   missing, the entry's own `createWritable()` stream is written and closed:
 *   the File System standard makes its writes visible only at `close()`, and
 *   browsers write them to a swap file until then (Chromium renames its
 *   `.crswap` file over the entry), so readers see old or new content there
 *   too — but how a crash in the middle of `close()` ends is the browser's.
 * - **Across tabs and workers**: replacing, `createExclusive` (check the
 *   name is free, then move), removing, touching and `removeIfUnchanged`
 *   (compare, then remove) take a Web Lock per path
 *   (`navigator.locks`), so a compare-and-remove never deletes a value
 *   another tab wrote after the comparison. Without Web Locks they take
 *   turns within this realm only.
 * - **stat** reports the file's `size` and `lastModified`. OPFS cannot set a
 *   modification time, so `touch` writes it to a small hidden sidecar file
 *   (`.<name>.mtime`, valid only while the file keeps the size and
 *   `lastModified` it was written against) that `stat` reads; a write or a
 *   removal drops it. Budgets (`maxSize`, `maxEntries`) use it.
 * - **Listing** skips directories, temporary files (unless asked for),
 *   sidecars and the browser's swap files.
 * - Errors carry Node-style codes: a missing parent is `ENOENT`, a file where
 *   a directory should be `ENOTDIR`, a full quota `ENOSPC`.
 * - `fsync` is not available: a closed file is the browser's to keep.
 *
 * @example A bucket on OPFS, in a page or a web worker
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import { OpfsFileSystem } from "@bucketcache/bucketcache/opfs";
 *
 * // Only where the browser has OPFS: in Deno, Node and Bun this does nothing.
 * if (OpfsFileSystem.available()) {
 *   const bucket = new Bucket("/cache", { fs: new OpfsFileSystem(), hours: 1 });
 *   const lookUp = bucket.memoize(async (word: string) => word.length, { name: "lookUp" });
 *   console.log(await lookUp("cache")); // computed once, then read from OPFS after a reload
 * }
 * ```
 */
export class OpfsFileSystem implements FileSystem {
  /** `"opfs"`. */
  readonly name: string = "opfs";
  /** Directories are real, as on a disk. */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: true });
  readonly #rootGiven: OpfsDirectoryHandle | Promise<OpfsDirectoryHandle> | undefined;
  #root: Promise<OpfsDirectoryHandle> | undefined;
  readonly #lockPrefix: string;
  /** Directory handles by their parts joined with "/", so an operation walks no path. */
  readonly #dirs = new Map<string, OpfsDirectoryHandle>();
  /** Whether file handles have move(): learnt at the first write. */
  #canMove: boolean | undefined;

  /**
   * Whether this realm has an origin private file system
   * (`navigator.storage.getDirectory`).
   *
   * @returns `true` in browsers and web workers with OPFS
   *
   * @example
   * ```ts
   * import { OpfsFileSystem } from "@bucketcache/bucketcache/opfs";
   * import assert from "node:assert/strict";
   *
   * assert.equal(typeof OpfsFileSystem.available(), "boolean");
   * if ("Deno" in globalThis) assert.equal(OpfsFileSystem.available(), false); // no OPFS in Deno
   * ```
   */
  static available(): boolean {
    const storage = (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } })
      .navigator?.storage;
    return typeof storage?.getDirectory === "function";
  }

  /**
   * Creates the adapter. Nothing is opened until the first operation.
   *
   * @param options `{ root, lockPrefix }`
   * @throws {TypeError} for unknown options
   */
  constructor(options?: OpfsFileSystemOptions) {
    for (const key of Object.keys(options ?? {})) {
      if (key !== "root" && key !== "lockPrefix") {
        throw new TypeError(`Unknown OpfsFileSystem option "${key}": use root or lockPrefix`);
      }
    }
    const lockPrefix = options?.lockPrefix ?? "bucketcache-opfs:";
    if (typeof lockPrefix !== "string" || lockPrefix.startsWith("-")) {
      throw new TypeError(
        `lockPrefix must be a string not starting with "-" (Web Locks reserves those), got ${
          JSON.stringify(lockPrefix)
        }`,
      );
    }
    this.#rootGiven = options?.root;
    this.#lockPrefix = lockPrefix;
  }

  #rootHandle(): Promise<OpfsDirectoryHandle> {
    this.#root ??= (async () => {
      if (this.#rootGiven !== undefined) return await this.#rootGiven;
      const storage = (globalThis as {
        navigator?: { storage?: { getDirectory?: () => Promise<OpfsDirectoryHandle> } };
      }).navigator?.storage;
      if (typeof storage?.getDirectory !== "function") {
        throw new TypeError(
          "OpfsFileSystem needs the Origin Private File System (navigator.storage.getDirectory), " +
            "found in browsers and web workers: pass another fs adapter here, or a directory " +
            "handle as the root option",
        );
      }
      return await storage.getDirectory();
    })();
    // A failed first attempt (no OPFS, a denied permission) is retried next time.
    this.#root.catch(() => (this.#root = undefined));
    return this.#root;
  }

  /** Runs `task` holding this path's lock, across tabs and workers where Web Locks exist. */
  #locked<T>(path: string, task: () => Promise<T>): Promise<T> {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    if (typeof locks?.request !== "function") return realmQueue.run(this.#lockPrefix + path, task);
    return locks.request(this.#lockPrefix + path, { mode: "exclusive" }, task);
  }

  /**
   * The directory `parts` name. `null` when one of them is missing (with
   * `create`, they are made); a file in the way is ENOTDIR.
   */
  async #directory(
    parts: string[],
    path: string,
    create = false,
    fresh = create,
  ): Promise<OpfsDirectoryHandle | null> {
    const key = parts.join("/");
    const cached = fresh ? undefined : this.#dirs.get(key);
    if (cached !== undefined) return cached;
    let dir = await this.#rootHandle();
    for (const part of parts) {
      try {
        dir = await dir.getDirectoryHandle(part, create ? { create: true } : undefined);
      } catch (error) {
        if (errorName(error) === "NotFoundError") return null;
        throw coded(error, path);
      }
    }
    if (this.#dirs.size >= DIRECTORY_CACHE_SIZE) this.#dirs.clear();
    this.#dirs.set(key, dir);
    return dir;
  }

  /**
   * Runs an operation on `path`; when it found nothing (or a directory went
   * missing) through a cached handle of the parent directory, which may
   * have been removed and made again by another tab since, it forgets the
   * handle and runs the operation once more, looking the directory up anew.
   */
  async #fresh<T>(path: string, operation: () => Promise<T>, nothing: (result: T) => boolean) {
    let key: string;
    try {
      key = pathParts(path, "OpfsFileSystem").slice(0, -1).join("/");
    } catch {
      return await operation(); // it throws the same error
    }
    if (!this.#dirs.has(key)) return await operation();
    try {
      const result = await operation();
      if (!nothing(result)) return result;
    } catch (error) {
      if (errorName(error) !== "NotFoundError" && errorCode(error) !== "ENOENT") throw error;
    }
    this.#dirs.delete(key);
    return await operation();
  }

  /** The parent directory of `path` and its last name; `null` when the parent is missing. */
  async #locate(path: string): Promise<{ dir: OpfsDirectoryHandle; name: string } | null> {
    const parts = pathParts(path, "OpfsFileSystem");
    if (parts.length === 0) throw codedError("EISDIR", "illegal operation on a directory", path);
    const dir = await this.#directory(parts.slice(0, -1), path);
    return dir === null ? null : { dir, name: parts[parts.length - 1] };
  }

  /** The file handle at `path`; `null` when missing. A directory is EISDIR, or `null` with `directoryIsNull`. */
  async #fileHandle(
    dir: OpfsDirectoryHandle,
    name: string,
    path: string,
    directoryIsNull = false,
  ): Promise<OpfsFileHandle | null> {
    try {
      return await dir.getFileHandle(name);
    } catch (error) {
      const kind = errorName(error);
      if (kind === "NotFoundError") return null;
      if (kind === "TypeMismatchError" && directoryIsNull) return null;
      throw coded(error, path, "EISDIR");
    }
  }

  /**
   * Reads a file (or its first `length` bytes), retrying when it was
   * replaced while being read (Chromium then fails the read of the old
   * snapshot with NotReadableError).
   */
  async #read(path: string, length?: number): Promise<Uint8Array | null> {
    const place = await this.#locate(path);
    if (place === null) return null;
    for (let attempt = 1;; attempt++) {
      const handle = await this.#fileHandle(place.dir, place.name, path);
      if (handle === null) return null;
      try {
        const file = await handle.getFile();
        const part = length === undefined ? file : file.slice(0, Math.max(0, length));
        return new Uint8Array(await part.arrayBuffer());
      } catch (error) {
        const kind = errorName(error);
        if ((kind !== "NotReadableError" && kind !== "NotFoundError") || attempt >= READ_ATTEMPTS) {
          throw coded(error, path, "EISDIR");
        }
        if (attempt > 10) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  /**
   * Reads, and where writes go through the entry's own writable stream (no
   * `move()`), reads an empty file again holding the path's lock: it may be
   * a file being created, whose content comes at `close()`.
   */
  async #readWhole(path: string, length?: number): Promise<Uint8Array | null> {
    const bytes = await this.#read(path, length);
    if (bytes === null || bytes.byteLength > 0 || this.#canMove !== false || length === 0) {
      return bytes;
    }
    return await this.#locked(path, () => this.#read(path, length));
  }

  /** Reads a whole file; `null` when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null> {
    return this.#fresh(path, () => this.#readWhole(path), (bytes) => bytes === null);
  }

  /** Reads at most `length` bytes from the start of a file; `null` when it does not exist. */
  readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    return this.#fresh(path, () => this.#readWhole(path, length), (bytes) => bytes === null);
  }

  /**
   * Replaces a file in one step: writes a temporary file next to it, then
   * moves it over the entry holding the path's lock (see the class notes for
   * browsers without `move()`). The parent directory must exist (ENOENT).
   * `fsync` and `expiresAt` are ignored.
   */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    _options?: AtomicWriteOptions,
  ): Promise<void> {
    await this.#fresh(path, () => this.#write(path, data, false), () => false);
  }

  /**
   * Creates a file holding `data` only if nothing is at `path`: the
   * temporary file is moved into place holding the path's Web Lock, after
   * checking that the name is free, so of several creators in any tab or
   * worker exactly one resolves `true`. A directory there is EISDIR.
   */
  createExclusive(path: string, data: Uint8Array, _options?: AtomicWriteOptions): Promise<boolean> {
    return this.#fresh(path, () => this.#write(path, data, true), () => false);
  }

  /** Whether a file (or a directory: EISDIR) is at `name` in `dir`. */
  async #exists(dir: OpfsDirectoryHandle, name: string, path: string): Promise<boolean> {
    return await this.#fileHandle(dir, name, path) !== null;
  }

  /** Writes `data` to `path`; with `exclusive`, only if nothing is there (`false` otherwise). */
  async #write(path: string, data: Uint8Array, exclusive: boolean): Promise<boolean> {
    const place = await this.#locate(path);
    if (place === null) throw codedError("ENOENT", "no such file or directory", path);
    const { dir, name } = place;
    if (this.#canMove !== false) {
      const tempName = temporaryNameFor(name);
      let temp: OpfsFileHandle;
      try {
        temp = await dir.getFileHandle(tempName, { create: true });
      } catch (error) {
        throw coded(error, path);
      }
      this.#canMove = typeof temp.move === "function";
      if (this.#canMove) {
        let moved = false;
        try {
          await writeTo(temp, data, path);
          await this.#locked(path, async () => {
            if (exclusive && await this.#exists(dir, name, path)) return;
            try {
              await temp.move!(dir, name);
            } catch (error) {
              // A directory of that name: the move is refused.
              const kind = errorName(error);
              if (kind === "InvalidModificationError" || kind === "TypeMismatchError") {
                throw codedError("EISDIR", "illegal operation on a directory", path, error);
              }
              throw coded(error, path);
            }
            moved = true;
            await this.#dropSidecar(dir, name);
          });
        } finally {
          if (!moved) await dir.removeEntry(tempName).catch(() => {});
        }
        return moved;
      }
      await dir.removeEntry(tempName).catch(() => {});
    }
    // No move(): the entry's own writable stream, swapped in at close(). A new
    // file is empty until then: readers that find it empty read it again
    // holding the lock, which this holds until the content is in.
    return await this.#locked(path, async () => {
      if (exclusive && await this.#exists(dir, name, path)) return false;
      let entry: OpfsFileHandle;
      try {
        entry = await dir.getFileHandle(name, { create: true });
      } catch (error) {
        throw coded(error, path, "EISDIR");
      }
      await writeTo(entry, data, path);
      await this.#dropSidecar(dir, name);
      return true;
    });
  }

  async #dropSidecar(dir: OpfsDirectoryHandle, name: string): Promise<void> {
    try {
      await dir.removeEntry(sidecarName(name));
    } catch (error) {
      if (errorName(error) !== "NotFoundError") throw error;
    }
  }

  /** Removes a file; `false` when it did not exist. A directory is EISDIR. */
  remove(path: string): Promise<boolean> {
    return this.#fresh(path, () => this.#remove(path), (removed) => !removed);
  }

  /** remove(), looking the parent up once. */
  async #remove(path: string): Promise<boolean> {
    const place = await this.#locate(path);
    if (place === null) return false;
    return await this.#locked(path, async () => {
      const handle = await this.#fileHandle(place.dir, place.name, path);
      if (handle === null) return false;
      try {
        await place.dir.removeEntry(place.name);
      } catch (error) {
        if (errorName(error) === "NotFoundError") return false;
        throw coded(error, path);
      }
      await this.#dropSidecar(place.dir, place.name);
      return true;
    });
  }

  /**
   * Removes a file only if it holds exactly `seen` (with `prefixOnly`,
   * starts with it): compared and removed holding the path's Web Lock, which
   * every replace of this adapter takes too, so a value another tab or
   * worker wrote after the comparison is never removed. A directory is never
   * removed (`false`).
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    return this.#fresh(
      path,
      () => this.#removeIfUnchanged(path, seen, options),
      (removed) => !removed,
    );
  }

  /** removeIfUnchanged(), looking the parent up once. */
  async #removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    const prefixOnly = options?.prefixOnly === true;
    const place = await this.#locate(path);
    if (place === null) return false;
    return await this.#locked(path, async () => {
      const handle = await this.#fileHandle(place.dir, place.name, path, true);
      if (handle === null) return false;
      let file: OpfsFile;
      let content: Uint8Array;
      try {
        file = await handle.getFile();
        if (!sizeFits(file.size, seen.byteLength, prefixOnly)) return false;
        content = new Uint8Array(await file.slice(0, seen.byteLength).arrayBuffer());
      } catch (error) {
        if (errorName(error) === "NotFoundError") return false;
        throw coded(error, path);
      }
      if (!matchesSeen(content, seen, true)) return false;
      try {
        await place.dir.removeEntry(place.name);
      } catch (error) {
        if (errorName(error) === "NotFoundError") return false;
        throw coded(error, path);
      }
      await this.#dropSidecar(place.dir, place.name);
      return true;
    });
  }

  /**
   * Lists the files in `dir` (with `recursive`, at every depth, as relative
   * paths, each directory's files before its subdirectories). A missing
   * directory, or a file, lists nothing.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    const parts = pathParts(dir, "OpfsFileSystem");
    let handle: OpfsDirectoryHandle | null;
    try {
      handle = await this.#directory(parts, dir, false, true);
    } catch {
      return; // a file in the way: nothing to list
    }
    if (handle === null) return;
    yield* this.#walk(handle, "", options?.recursive === true, options?.includeTemporary === true);
  }

  async *#walk(
    dir: OpfsDirectoryHandle,
    prefix: string,
    recursive: boolean,
    includeTemporary: boolean,
  ): AsyncGenerator<string> {
    const subdirectories: string[] = [];
    try {
      for await (const [name, handle] of dir.entries()) {
        if (handle.kind === "directory") {
          if (recursive) subdirectories.push(name);
          continue;
        }
        if (isHidden(name) || (!includeTemporary && isTemporaryName(name))) continue;
        yield prefix + name;
      }
    } catch (error) {
      if (errorName(error) === "NotFoundError") return; // removed meanwhile
      throw error;
    }
    for (const name of subdirectories) {
      let sub: OpfsDirectoryHandle;
      try {
        sub = await dir.getDirectoryHandle(name);
      } catch {
        continue; // removed (or replaced by a file) meanwhile
      }
      yield* this.#walk(sub, `${prefix}${name}/`, true, includeTemporary);
    }
  }

  /**
   * Size and modification time (`lastModified`, or the time `touch` set);
   * `null` when the file does not exist or is a directory.
   */
  stat(path: string): Promise<FileStat | null> {
    return this.#fresh(path, () => this.#stat(path), (stat) => stat === null);
  }

  /** stat(), looking the parent up once. */
  async #stat(path: string): Promise<FileStat | null> {
    const place = await this.#locate(path);
    if (place === null) return null;
    for (let attempt = 1;; attempt++) {
      const handle = await this.#fileHandle(place.dir, place.name, path, true);
      if (handle === null) return null;
      let file: OpfsFile;
      try {
        file = await handle.getFile();
      } catch (error) {
        if (errorName(error) === "NotFoundError") return null;
        throw coded(error, path);
      }
      const touched = await this.#readSidecar(place.dir, place.name);
      if (touched === "retry" && attempt < READ_ATTEMPTS) continue;
      const mtimeMs = touched !== null && touched !== "retry" &&
          touched.lastModified === file.lastModified && touched.size === file.size
        ? touched.mtimeMs
        : file.lastModified;
      return { size: file.size, mtimeMs };
    }
  }

  async #readSidecar(
    dir: OpfsDirectoryHandle,
    name: string,
  ): Promise<{ mtimeMs: number; lastModified: number; size: number } | null | "retry"> {
    let text: string;
    try {
      const handle = await dir.getFileHandle(sidecarName(name));
      text = new TextDecoder().decode(await (await handle.getFile()).arrayBuffer());
    } catch (error) {
      const kind = errorName(error);
      if (kind === "NotFoundError" || kind === "TypeMismatchError") return null;
      if (kind === "NotReadableError") return "retry";
      throw error;
    }
    try {
      const value = JSON.parse(text);
      return typeof value?.mtimeMs === "number" && typeof value?.lastModified === "number" &&
          typeof value?.size === "number"
        ? value
        : null;
    } catch {
      return null;
    }
  }

  /** Creates a directory and its missing parents. A file in the way is ENOTDIR. */
  async mkdir(path: string): Promise<void> {
    await this.#directory(pathParts(path, "OpfsFileSystem"), path, true);
  }

  /**
   * Records a file's modification time (OPFS cannot set one: it goes to the
   * file's sidecar, which `stat` reads); `false` when the file does not exist.
   */
  touch(path: string, mtimeMs: number): Promise<boolean> {
    return this.#fresh(path, () => this.#touch(path, mtimeMs), (touched) => !touched);
  }

  /** touch(), looking the parent up once. */
  async #touch(path: string, mtimeMs: number): Promise<boolean> {
    const place = await this.#locate(path);
    if (place === null) return false;
    return await this.#locked(path, async () => {
      const handle = await this.#fileHandle(place.dir, place.name, path, true);
      if (handle === null) return false;
      let file: OpfsFile;
      try {
        file = await handle.getFile();
      } catch (error) {
        if (errorName(error) === "NotFoundError") return false;
        throw coded(error, path);
      }
      const record = JSON.stringify({ mtimeMs, lastModified: file.lastModified, size: file.size });
      const sidecar = await place.dir.getFileHandle(sidecarName(place.name), { create: true })
        .catch((error) => {
          throw coded(error, path);
        });
      await writeTo(sidecar, new TextEncoder().encode(record), path);
      return true;
    });
  }
}

/**
 * Writes `data` as the whole content of a file: through a writable stream
 * (its content is replaced at `close()`), or in a dedicated worker of a
 * browser without `createWritable` through a sync access handle.
 */
async function writeTo(handle: OpfsFileHandle, data: Uint8Array, path: string): Promise<void> {
  try {
    if (typeof handle.createWritable === "function") {
      const writable = await handle.createWritable();
      try {
        await writable.write(data);
        await writable.close();
      } catch (error) {
        await writable.abort(error).catch(() => {});
        throw error;
      }
      return;
    }
    if (typeof handle.createSyncAccessHandle === "function") {
      const access = await handle.createSyncAccessHandle();
      try {
        access.truncate(0);
        for (let at = 0; at < data.byteLength;) at += access.write(data.subarray(at), { at });
        access.flush();
      } finally {
        access.close();
      }
      return;
    }
  } catch (error) {
    throw coded(error, path);
  }
  throw codedError(
    "ENOTSUP",
    "this browser can write OPFS files neither with createWritable nor with createSyncAccessHandle",
    path,
  );
}
