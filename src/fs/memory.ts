/**
 * An in-memory storage adapter, for tests and for caches that need no disk.
 *
 * @module
 */

import { dirname } from "./path.ts";
import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./types.ts";
import { codedError } from "./_errors.ts";
import { isTemporaryName } from "./_temp.ts";
import { sameBytes, sizeFits } from "./_remove.ts";

interface StoredFile {
  data: Uint8Array;
  mtimeMs: number;
}

/**
 * A {@linkcode FileSystem} that keeps files in a `Map`. It behaves like a disk
 * (directories must exist before files are written in them, a path that is a
 * file cannot be a directory) so code tested on it behaves the same on a disk.
 * Nothing survives the process.
 *
 * @example Directories behave as on a disk
 * ```ts
 * import { MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const fs = new MemoryFileSystem();
 * await assert.rejects(fs.writeFileAtomic("/cache/a", new Uint8Array([1])), { code: "ENOENT" });
 * await fs.mkdir("/cache");
 * await fs.writeFileAtomic("/cache/a", new Uint8Array([1]));
 * assert.deepEqual(await fs.readFile("/cache/a"), new Uint8Array([1]));
 * ```
 */
export class MemoryFileSystem implements FileSystem {
  /** `"memory"`. */
  readonly name: string = "memory";
  /** Directories behave as on a disk. */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: true });
  readonly #files = new Map<string, StoredFile>();
  readonly #directories = new Set<string>(["/"]);

  /** Reads a whole file (a copy), or `null` when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null> {
    try {
      return Promise.resolve(this.#read(path)?.slice() ?? null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Reads up to `length` bytes from the start of a file, or `null` when it does not exist. */
  readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    try {
      return Promise.resolve(this.#read(path)?.slice(0, length) ?? null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Replaces a file in one step with a copy of `data`. */
  writeFileAtomic(path: string, data: Uint8Array, _options?: AtomicWriteOptions): Promise<void> {
    try {
      this.#checkParent(path);
      if (this.#directories.has(path)) {
        throw codedError("EISDIR", "illegal operation on a directory", path);
      }
      this.#files.set(path, { data: data.slice(), mtimeMs: Date.now() });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Creates a file with a copy of `data` unless one is there; `false` when it was. */
  createExclusive(path: string, data: Uint8Array, options?: AtomicWriteOptions): Promise<boolean> {
    if (this.#files.has(path)) return Promise.resolve(false);
    return this.writeFileAtomic(path, data, options).then(() => true);
  }

  /** Removes a file; `false` when it was not there. */
  remove(path: string): Promise<boolean> {
    try {
      if (this.#directories.has(path)) {
        throw codedError("EISDIR", "illegal operation on a directory", path);
      }
      this.#checkAncestors(path);
      return Promise.resolve(this.#files.delete(path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes `path` if it is a file holding exactly `seen` (or, with
   * `prefixOnly`, starting with it), in one synchronous step.
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    try {
      const file = this.#files.get(path);
      if (file === undefined) {
        if (!this.#directories.has(path)) this.#checkAncestors(path);
        return Promise.resolve(false);
      }
      const prefixOnly = options?.prefixOnly === true;
      const same = sizeFits(file.data.byteLength, seen.byteLength, prefixOnly) &&
        sameBytes(file.data.subarray(0, seen.byteLength), seen);
      return Promise.resolve(same && this.#files.delete(path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Lists the names of the files directly in `dir` (with `recursive`, the
   * relative paths of the files at every depth). A missing directory, or a
   * `dir` that is a file, lists nothing.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    if (!this.#directories.has(dir)) return;
    const base = dir.endsWith("/") ? dir : `${dir}/`;
    const recursive = options?.recursive === true;
    const hideTemporary = !options?.includeTemporary;
    for (const path of [...this.#files.keys()]) {
      if (!path.startsWith(base)) continue;
      const name = path.slice(base.length);
      if (!recursive && name.includes("/")) continue;
      if (hideTemporary && isTemporaryName(name)) continue;
      yield name;
    }
  }

  /** Size and modification time, or `null` when the file does not exist. */
  stat(path: string): Promise<FileStat | null> {
    try {
      const file = this.#files.get(path);
      if (!file) {
        this.#checkAncestors(path);
        return Promise.resolve(null);
      }
      return Promise.resolve({ size: file.data.byteLength, mtimeMs: file.mtimeMs });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sets a file's modification time; `false` when it does not exist. */
  touch(path: string, mtimeMs: number): Promise<boolean> {
    const file = this.#files.get(path);
    if (file !== undefined) file.mtimeMs = mtimeMs;
    return Promise.resolve(file !== undefined);
  }

  /** Creates `path` and its parents. */
  mkdir(path: string): Promise<void> {
    try {
      if (this.#files.has(path)) throw codedError("EEXIST", "file already exists", path);
      this.#checkAncestors(path);
      for (let current = path; !this.#directories.has(current); current = dirname(current)) {
        this.#directories.add(current);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #read(path: string): Uint8Array | null {
    const file = this.#files.get(path);
    if (file) return file.data;
    if (this.#directories.has(path)) {
      throw codedError("EISDIR", "illegal operation on a directory", path);
    }
    this.#checkAncestors(path);
    return null;
  }

  /** Throws ENOTDIR when a file stands where a directory of `path` should be. */
  #checkAncestors(path: string): void {
    for (let current = dirname(path); current !== dirname(current); current = dirname(current)) {
      if (this.#files.has(current)) throw codedError("ENOTDIR", "not a directory", path);
    }
  }

  #checkParent(path: string): void {
    this.#checkAncestors(path);
    if (!this.#directories.has(dirname(path))) {
      throw codedError("ENOENT", "no such file or directory", path);
    }
  }
}
