/**
 * The storage adapter on Deno's own file APIs.
 *
 * @module
 */

import type { AtomicWriteOptions, FileStat, FileSystem, ListOptions } from "./types.ts";
import { isTemporaryName, temporaryPathFor } from "./_temp.ts";
import { isNotFound } from "./_errors.ts";
import { fill, fillSync } from "./_fill.ts";
import { type DiskFileSystemOptions, readSyncBelow } from "./_options.ts";

/**
 * A {@linkcode FileSystem} on `Deno.readFile`, `Deno.writeFile`,
 * `Deno.rename` and friends; the default in Deno. It needs only
 * `--allow-read` and `--allow-write` for the bucket's directory. Small files
 * use the synchronous calls, large ones the asynchronous calls (see
 * `syncBelow`).
 *
 * @example Atomic write and read back
 * ```ts
 * import { DenoFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const fs = new DenoFileSystem();
 * await fs.writeFileAtomic(`${dir}/a.bin`, new Uint8Array([7]));
 * assert.deepEqual(await fs.readFile(`${dir}/a.bin`), new Uint8Array([7]));
 * assert.equal(await fs.remove(`${dir}/a.bin`), true);
 * assert.equal(await fs.remove(`${dir}/a.bin`), false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class DenoFileSystem implements FileSystem {
  /** `"deno"`. */
  readonly name: string = "deno";
  readonly #syncBelow: number;

  /**
   * Creates the adapter.
   *
   * @param options `{ syncBelow }`: the size up to which file operations are synchronous
   * @throws {TypeError} for unknown options
   * @throws {RangeError} for a negative or fractional `syncBelow`
   */
  constructor(options?: DiskFileSystemOptions) {
    this.#syncBelow = readSyncBelow(options, "DenoFileSystem");
  }

  /** Reads a whole file, or `null` when it does not exist. */
  async readFile(path: string): Promise<Uint8Array | null> {
    try {
      if (this.#syncBelow > 0 && Deno.statSync(path).size <= this.#syncBelow) {
        return Deno.readFileSync(path);
      }
      return await Deno.readFile(path);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Reads up to `length` bytes from the start of a file, or `null` when it does not exist. */
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    if (this.#syncBelow > 0 && length <= this.#syncBelow) return this.#readPrefixSync(path, length);
    let file;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      return await fill(length, (into) => file.read(into));
    } finally {
      file.close();
    }
  }

  #readPrefixSync(path: string, length: number): Uint8Array | null {
    let file;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      return fillSync(length, (into) => file.readSync(into));
    } finally {
      file.close();
    }
  }

  /** Writes to a unique temporary file, then renames it over `path`. */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    const temporary = temporaryPathFor(path);
    if (!options?.fsync && data.byteLength <= this.#syncBelow) {
      try {
        Deno.writeFileSync(temporary, data, { createNew: true });
        Deno.renameSync(temporary, path);
        return;
      } catch (error) {
        try {
          Deno.removeSync(temporary);
        } catch {
          // It was not created.
        }
        throw error;
      }
    }
    try {
      // One open file written in as few calls as the OS allows: for 8 MiB,
      // 3.1-3.5 ms here against 4.8 ms for Deno.writeFile (warm, same run).
      const file = await Deno.open(temporary, { write: true, createNew: true });
      try {
        let written = 0;
        while (written < data.byteLength) {
          written += await file.write(data.subarray(written));
        }
        if (options?.fsync) await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temporary, path);
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      throw error;
    }
  }

  /** Removes a file; `false` when it was not there. */
  async remove(path: string): Promise<boolean> {
    try {
      if (this.#syncBelow > 0) Deno.removeSync(path);
      else await Deno.remove(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Lists file names in `dir`, streaming; temporary files only when asked. */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    let entries;
    try {
      entries = Deno.readDir(dir);
      // readDir is lazy: the first step is where "not found" shows.
      const iterator = entries[Symbol.asyncIterator]();
      let step = await iterator.next();
      while (!step.done) {
        const entry = step.value;
        if (entry.isFile && (options?.includeTemporary || !isTemporaryName(entry.name))) {
          yield entry.name;
        }
        step = await iterator.next();
      }
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  /** Size and modification time, or `null` when the file does not exist. */
  async stat(path: string): Promise<FileStat | null> {
    try {
      const info = this.#syncBelow > 0 ? Deno.statSync(path) : await Deno.stat(path);
      return { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Sets a file's modification (and access) time; `false` when it does not exist. */
  async touch(path: string, mtimeMs: number): Promise<boolean> {
    const time = new Date(mtimeMs);
    try {
      await Deno.utime(path, time, time);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Creates `path` and its parents. */
  async mkdir(path: string): Promise<void> {
    if (this.#syncBelow > 0) Deno.mkdirSync(path, { recursive: true });
    else await Deno.mkdir(path, { recursive: true });
  }
}
