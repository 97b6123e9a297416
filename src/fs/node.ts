/**
 * The storage adapter on `node:fs/promises`, used on Node and Bun.
 *
 * @module
 */

import { mkdir, open, opendir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import type { AtomicWriteOptions, FileStat, FileSystem, ListOptions } from "./types.ts";
import { isTemporaryName, temporaryPathFor } from "./_temp.ts";
import { isNotFound } from "./_errors.ts";

/**
 * A {@linkcode FileSystem} on `node:fs/promises`. It works in every runtime
 * that provides `node:fs` (Node, Bun and Deno); Bun and Node use it by default.
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

  /** Reads a whole file, or `null` when it does not exist. */
  async readFile(path: string): Promise<Uint8Array | null> {
    try {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Reads up to `length` bytes from the start of a file, or `null` when it does not exist. */
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      const bytes = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(bytes, filled, length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return bytes.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  /** Writes to a unique temporary file, then renames it over `path`. */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    const temporary = temporaryPathFor(path);
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
      await unlink(path);
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
      const info = await stat(path);
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Creates `path` and its parents. */
  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }
}
