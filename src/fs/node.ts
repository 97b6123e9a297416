/**
 * The storage adapter on `node:fs/promises`, used on Node and Bun.
 *
 * @module
 */

import {
  mkdir,
  open,
  opendir,
  readFile,
  rename,
  stat,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import type { AtomicWriteOptions, FileStat, FileSystem, ListOptions } from "./types.ts";
import { isTemporaryName, temporaryPathFor } from "./_temp.ts";
import { isNotFound } from "./_errors.ts";
import { fill, fillSync } from "./_fill.ts";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { type DiskFileSystemOptions, readSyncBelow } from "./_options.ts";

/**
 * A {@linkcode FileSystem} on `node:fs`. It works in every runtime that
 * provides `node:fs` (Node, Bun and Deno); Bun and Node use it by default.
 * Small files use the synchronous calls, large ones the asynchronous calls
 * (see `syncBelow`).
 *
 * @example Atomic write and read back
 * ```ts
 * import { NodeFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 *
 * const dir = await mkdtemp(join(tmpdir(), "bc-"));
 * const fs = new NodeFileSystem();
 * await fs.writeFileAtomic(join(dir, "a.bin"), new TextEncoder().encode("hi"));
 * assert.equal(new TextDecoder().decode((await fs.readFile(join(dir, "a.bin")))!), "hi");
 * await rm(dir, { recursive: true });
 * ```
 */
export class NodeFileSystem implements FileSystem {
  /** `"node"`. */
  readonly name: string = "node";
  readonly #syncBelow: number;

  /**
   * Creates the adapter.
   *
   * @param options `{ syncBelow }`: the size up to which file operations are synchronous
   * @throws {TypeError} for unknown options
   * @throws {RangeError} for a negative or fractional `syncBelow`
   */
  constructor(options?: DiskFileSystemOptions) {
    this.#syncBelow = readSyncBelow(options, "NodeFileSystem");
  }

  /** Reads a whole file, or `null` when it does not exist. */
  async readFile(path: string): Promise<Uint8Array | null> {
    try {
      if (this.#syncBelow > 0 && statSync(path).size <= this.#syncBelow) {
        const small = readFileSync(path);
        return new Uint8Array(small.buffer, small.byteOffset, small.byteLength);
      }
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Reads up to `length` bytes from the start of a file, or `null` when it does not exist. */
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    if (this.#syncBelow > 0 && length <= this.#syncBelow) return this.#readPrefixSync(path, length);
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      return await fill(
        length,
        async (into, offset) => (await handle.read(into, 0, into.length, offset)).bytesRead,
      );
    } finally {
      await handle.close();
    }
  }

  #readPrefixSync(path: string, length: number): Uint8Array | null {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      return fillSync(length, (into, offset) => readSync(fd, into, 0, into.length, offset));
    } finally {
      closeSync(fd);
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
        writeFileSync(temporary, data, { flag: "wx" });
        renameSync(temporary, path);
        return;
      } catch (error) {
        try {
          unlinkSync(temporary);
        } catch {
          // It was not created.
        }
        throw error;
      }
    }
    try {
      if (options?.fsync) {
        const handle = await open(temporary, "wx");
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } else {
        await writeFile(temporary, data, { flag: "wx" });
      }
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }

  /** Removes a file; `false` when it was not there. */
  async remove(path: string): Promise<boolean> {
    try {
      if (this.#syncBelow > 0) unlinkSync(path);
      else await unlink(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Lists file names in `dir`, streaming; temporary files only when asked. */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for await (const entry of handle) {
      if (!entry.isFile()) continue;
      if (!options?.includeTemporary && isTemporaryName(entry.name)) continue;
      yield entry.name;
    }
  }

  /** Size and modification time, or `null` when the file does not exist. */
  async stat(path: string): Promise<FileStat | null> {
    try {
      const info = this.#syncBelow > 0 ? statSync(path) : await stat(path);
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Sets a file's modification (and access) time; `false` when it does not exist. */
  async touch(path: string, mtimeMs: number): Promise<boolean> {
    const time = new Date(mtimeMs);
    try {
      await utimes(path, time, time);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Creates `path` and its parents. */
  async mkdir(path: string): Promise<void> {
    if (this.#syncBelow > 0) mkdirSync(path, { recursive: true });
    else await mkdir(path, { recursive: true });
  }
}
