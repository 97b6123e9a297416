/**
 * The storage adapter on `node:fs/promises`, used on Node and Bun.
 *
 * @module
 */

import type * as NodeFsPromises from "node:fs/promises";
import type * as NodeFs from "node:fs";
import type * as NodeBuffer from "node:buffer";
import { builtin } from "./builtins.ts";
import { join } from "./path.ts";
import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./types.ts";
import { isTemporaryName, temporaryPathFor } from "./_temp.ts";
import { errorCode, isNotDirectory, isNotFound } from "./_errors.ts";
import { fill, fillSync } from "./_fill.ts";
import { type DiskFileSystemOptions, readSyncBelow } from "./_options.ts";
import { removeIfUnchangedWith, type RemoveSteps } from "./_remove.ts";
import { InFlight } from "./_in_flight.ts";
import { byteLength, type FileBytes, joined, partsOf } from "./_parts.ts";

// The runtime's node:fs, reached without importing it (see builtins.ts) and
// only when the first NodeFileSystem is made (loadNodeFs): loading node:fs
// costs a fresh Deno process about 10 ms, which its default adapter
// (DenoFileSystem) does not need. Undefined in browsers and Workers, where
// this file still loads and the constructor refuses; nothing below runs
// before an instance exists.
let nodeFs: typeof NodeFs | undefined;
/** The most bytes one Buffer (or Uint8Array) holds in this runtime. */
let MAX_LENGTH = Number.MAX_SAFE_INTEGER;
let closeSync: typeof NodeFs.closeSync;
let fstatSync: typeof NodeFs.fstatSync;
let linkSync: typeof NodeFs.linkSync;
let lstatSync: typeof NodeFs.lstatSync;
let mkdirSync: typeof NodeFs.mkdirSync;
let openSync: typeof NodeFs.openSync;
let readFileSync: typeof NodeFs.readFileSync;
let readSync: typeof NodeFs.readSync;
let renameSync: typeof NodeFs.renameSync;
let statSync: typeof NodeFs.statSync;
let unlinkSync: typeof NodeFs.unlinkSync;
let utimesSync: typeof NodeFs.utimesSync;
let writeFileSync: typeof NodeFs.writeFileSync;
/**
 * `lutimes` (set a link's own times, never its target's) where the runtime
 * has it; looked up at run time, as not every `node:fs` provides it (its
 * synchronous form says whether the promise one exists too).
 */
let lutimesSync: typeof NodeFs.lutimesSync | undefined;
let lutimes: typeof NodeFsPromises.lutimes | undefined;
/** 0 where the platform has no O_NOFOLLOW (Windows): links are then checked with lstat. */
let O_NOFOLLOW = 0;
/** Open flags that read a file without following a link or blocking on a FIFO. */
let READ_NO_FOLLOW = 0;

/** Looks up node:fs once; whether the runtime has it. */
function loadNodeFs(): boolean {
  if (nodeFs !== undefined) return true;
  const found = builtin<typeof NodeFs>("node:fs");
  if (found === undefined) return false;
  nodeFs = found;
  MAX_LENGTH = builtin<typeof NodeBuffer>("node:buffer")?.constants.MAX_LENGTH ?? MAX_LENGTH;
  ({
    closeSync,
    fstatSync,
    linkSync,
    lstatSync,
    mkdirSync,
    openSync,
    readFileSync,
    readSync,
    renameSync,
    statSync,
    unlinkSync,
    utimesSync,
    writeFileSync,
  } = found);
  lutimesSync = (found as { lutimesSync?: typeof NodeFs.lutimesSync }).lutimesSync;
  lutimes = lutimesSync === undefined ? undefined : later("lutimes");
  O_NOFOLLOW = found.constants.O_NOFOLLOW ?? 0;
  READ_NO_FOLLOW = (found.constants.O_RDONLY ?? 0) | O_NOFOLLOW | (found.constants.O_NONBLOCK ?? 0);
  return true;
}
// node:fs/promises is loaded on the first asynchronous call, not with this
// file: on Node it pulls in streams, readline and os (measured: 3–7 ms of a
// fresh process), and small files only ever use the synchronous calls.
let promises: typeof NodeFsPromises | undefined;
const fsp = (): typeof NodeFsPromises =>
  promises ??= builtin<typeof NodeFsPromises>("node:fs/promises") ?? nodeFs!.promises;
/** `fsp()[name]`, looked up on the first call. */
const later = <K extends keyof typeof NodeFsPromises>(name: K): (typeof NodeFsPromises)[K] =>
  ((...args: unknown[]) =>
    (fsp()[name] as (...args: unknown[]) => unknown)(...args)) as (typeof NodeFsPromises)[K];
const link = later("link");
const lstat = later("lstat");
const mkdir = later("mkdir");
const open = later("open");
const opendir = later("opendir");
const readFile = later("readFile");
const rename = later("rename");
const stat = later("stat");
const unlink = later("unlink");
const utimes = later("utimes");
const writeFile = later("writeFile");

/** Above this size `fs.readFile` refuses (ERR_FS_FILE_TOO_LARGE): read in chunks. */
const WHOLE_READ_LIMIT = 2 ** 31 - 1;
/** Bytes per read call when reading a file in chunks. */
const CHUNK = 1 << 28;

/** Whether an open with O_NOFOLLOW failed because the path is a link. */
const isLink = (error: unknown) => errorCode(error) === "ELOOP" || errorCode(error) === "EMLINK";

/**
 * Whether `Dir.close()` leaves the directory open unless it was read to its
 * end: Deno's `node:fs` (checked on Deno 2.9) only marks the Dir closed.
 */
const DIR_CLOSE_NEEDS_END = "Deno" in globalThis && !("Bun" in globalThis);

/** Reads a directory handle to its end. */
async function drain(handle: { read(): Promise<unknown> }): Promise<void> {
  while (await handle.read() !== null) { /* discard */ }
}

const isTooLarge = (error: unknown) => errorCode(error) === "ERR_FS_FILE_TOO_LARGE";

const view = (buffer: Uint8Array) =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/**
 * Reads a whole file into one Uint8Array with one open descriptor, in
 * chunks, for files `fs.readFile` refuses (over 2 GiB). The size is the one
 * the file had when it was opened.
 */
async function readInChunks(path: string): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size > MAX_LENGTH) {
      throw new RangeError(
        `Cannot read ${path}: its ${size} bytes are more than one Uint8Array holds in this ` +
          `runtime (${MAX_LENGTH} bytes); store smaller values`,
      );
    }
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(
        bytes,
        filled,
        Math.min(CHUNK, size - filled),
        filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled < size ? bytes.subarray(0, filled) : bytes;
  } finally {
    await handle.close();
  }
}

/** The synchronous steps of removeIfUnchanged. */
const SYNC_REMOVE_STEPS: RemoveSteps = {
  lstat(path) {
    try {
      const info = lstatSync(path);
      return { file: info.isFile(), size: info.size };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  },
  rename: (from, to) => renameSync(from, to),
  readStart(path, length) {
    if (O_NOFOLLOW === 0 && !lstatSync(path).isFile()) return null;
    let fd: number;
    try {
      fd = openSync(path, READ_NO_FOLLOW);
    } catch (error) {
      if (isLink(error)) return null;
      throw error;
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return null;
      const bytes = fillSync(length, (into, offset) => readSync(fd, into, 0, into.length, offset));
      return { size: info.size, bytes };
    } finally {
      closeSync(fd);
    }
  },
  link: (existing, created) => linkSync(existing, created),
  unlink: (path) => unlinkSync(path),
};

/** The asynchronous steps of removeIfUnchanged. */
const ASYNC_REMOVE_STEPS: RemoveSteps = {
  async lstat(path) {
    try {
      const info = await lstat(path);
      return { file: info.isFile(), size: info.size };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  },
  rename: (from, to) => rename(from, to),
  async readStart(path, length) {
    if (O_NOFOLLOW === 0 && !(await lstat(path)).isFile()) return null;
    let handle;
    try {
      handle = await open(path, READ_NO_FOLLOW);
    } catch (error) {
      if (isLink(error)) return null;
      throw error;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) return null;
      const bytes = await fill(
        length,
        async (into, offset) => (await handle.read(into, 0, into.length, offset)).bytesRead,
      );
      return { size: info.size, bytes };
    } finally {
      await handle.close();
    }
  },
  link: (existing, created) => link(existing, created),
  unlink: (path) => unlink(path),
};

/**
 * A {@linkcode FileSystem} on `node:fs`. It works in every runtime that
 * provides `node:fs` (Node, Bun and Deno); Bun and Node use it by default.
 * Small files use the synchronous calls, large ones the asynchronous calls
 * (see `syncBelow`). Files over 2 GiB, where `fs.readFile` stops, are read in
 * chunks. Listing, touching and `removeIfUnchanged` never go through a
 * symbolic link.
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
  /** A disk: real directories. */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: true });
  readonly #syncBelow: number;
  /** Operations in flight: synchronous calls only when there are none. */
  readonly #flight = new InFlight();

  /**
   * Creates the adapter.
   *
   * @param options `{ syncBelow }`: the size up to which file operations are synchronous
   * @throws {TypeError} where the runtime has no `node:fs` (browsers, Workers), or for unknown options
   * @throws {RangeError} for a negative or fractional `syncBelow`
   */
  constructor(options?: DiskFileSystemOptions) {
    if (!loadNodeFs()) {
      throw new TypeError(
        "NodeFileSystem needs node:fs, which this runtime does not provide (or no " +
          "process.getBuiltinModule to reach it: Node 20.16, 22.3 and later have it); " +
          "pass another fs adapter, such as MemoryFileSystem",
      );
    }
    this.#syncBelow = readSyncBelow(options, "NodeFileSystem");
  }

  /**
   * Reads a whole file, or `null` when it does not exist. Files over 2 GiB
   * (where `fs.readFile` stops) are read in chunks into one Uint8Array.
   *
   * @throws {RangeError} for a file larger than a Uint8Array can hold
   */
  readFile(path: string): Promise<Uint8Array | null> {
    // Reads stay synchronous when others are in flight: measured (1,000
    // concurrent cold gets, Promise.all), Node's asynchronous readFile is
    // slower than reading one after the other (0.77x the async floor
    // synchronously, 2.07x asynchronously), and Bun's was no faster.
    return this.#flight.run(() => this.#readFile(path, this.#syncBelow));
  }

  async #readFile(path: string, syncBelow: number): Promise<Uint8Array | null> {
    try {
      if (syncBelow > 0) {
        const size = statSync(path).size;
        if (size > WHOLE_READ_LIMIT) return await readInChunks(path);
        if (size <= syncBelow) {
          try {
            return view(readFileSync(path));
          } catch (error) {
            // Replaced by a larger file since the stat: fall through.
            if (!isTooLarge(error)) throw error;
          }
        }
      }
      try {
        return view(await readFile(path));
      } catch (error) {
        if (!isTooLarge(error)) throw error;
        return await readInChunks(path);
      }
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Reads up to `length` bytes from the start of a file, or `null` when it does not exist. */
  readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    return this.#flight.run(() => this.#readPrefix(path, length, this.#syncBelow));
  }

  async #readPrefix(path: string, length: number, syncBelow: number): Promise<Uint8Array | null> {
    if (syncBelow > 0 && length <= syncBelow) return this.#readPrefixSync(path, length);
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
  writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    return this.#flight.run((alone) =>
      this.#writeFileAtomic(path, data, options, alone ? this.#syncBelow : 0)
    );
  }

  /**
   * {@linkcode writeFileAtomic} of `parts` written one after the other into
   * the temporary file (an entry's header, then its payload), so a large
   * payload is not copied into one buffer first. As atomic as
   * `writeFileAtomic`: the rename comes after the last part.
   */
  writeFileAtomicParts(
    path: string,
    parts: readonly Uint8Array[],
    options?: AtomicWriteOptions,
  ): Promise<void> {
    return this.#flight.run((alone) =>
      this.#writeFileAtomic(path, parts, options, alone ? this.#syncBelow : 0)
    );
  }

  async #writeFileAtomic(
    path: string,
    data: FileBytes,
    options: AtomicWriteOptions | undefined,
    syncBelow: number,
  ): Promise<void> {
    const temporary = temporaryPathFor(path);
    if (!options?.fsync && byteLength(data) <= syncBelow) {
      try {
        writeFileSync(temporary, joined(data), { flag: "wx" });
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
      if (options?.fsync || !(data instanceof Uint8Array)) {
        const handle = await open(temporary, "wx");
        try {
          // All parts in one vectored write, usually (writev(2); again for what is left).
          let left = partsOf(data).filter((part) => part.byteLength > 0);
          while (left.length > 0) {
            let { bytesWritten } = await handle.writev(left);
            while (left.length > 0 && bytesWritten >= left[0].byteLength) {
              bytesWritten -= left[0].byteLength;
              left = left.slice(1);
            }
            if (bytesWritten > 0) left = [left[0].subarray(bytesWritten), ...left.slice(1)];
          }
          if (options?.fsync) await handle.sync();
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

  /**
   * Creates `path` with `data` unless something is there: the data goes to
   * a temporary file, which is hard-linked to `path` (link(2) fails when
   * `path` exists, so one creator wins), then unlinked.
   */
  async createExclusive(
    path: string,
    data: Uint8Array,
    _options?: AtomicWriteOptions,
  ): Promise<boolean> {
    const temporary = temporaryPathFor(path);
    await writeFile(temporary, data, { flag: "wx" });
    try {
      await link(temporary, path);
      return true;
    } catch (error) {
      if (errorCode(error) === "EEXIST") return false;
      throw error;
    } finally {
      await unlink(temporary).catch(() => {});
    }
  }

  /** Removes a file; `false` when it was not there. */
  remove(path: string): Promise<boolean> {
    return this.#flight.run((alone) => this.#remove(path, alone ? this.#syncBelow : 0));
  }

  async #remove(path: string, syncBelow: number): Promise<boolean> {
    try {
      if (syncBelow > 0) unlinkSync(path);
      else await unlink(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Removes `path` only if it is a regular file holding `seen` (or, with
   * `prefixOnly`, starting with it), race-free: see
   * {@linkcode FileSystem.removeIfUnchanged}.
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    return this.#flight.run((alone) => {
      const steps = alone && this.#syncBelow > 0 && seen.byteLength <= this.#syncBelow
        ? SYNC_REMOVE_STEPS
        : ASYNC_REMOVE_STEPS;
      return removeIfUnchangedWith(steps, path, seen, options?.prefixOnly === true);
    });
  }

  /**
   * Lists the regular files in `dir` (with `recursive`, at every depth, as
   * relative paths), streaming; never follows a symbolic link. Temporary
   * files only when asked.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    const recursive = options?.recursive === true;
    const hideTemporary = !options?.includeTemporary;
    // Directories still to list, relative to `dir`; each is listed to its
    // end (and closed) before the next is opened.
    const pending = [""];
    for (let i = 0; i < pending.length; i++) {
      const relative = pending[i];
      let handle;
      try {
        handle = await opendir(relative === "" ? dir : join(dir, relative));
      } catch (error) {
        if (isNotFound(error) || isNotDirectory(error)) continue;
        throw error;
      }
      let finished = false;
      try {
        // Dirent types come from the directory itself (lstat where it does
        // not say): a link is neither a file nor a directory here.
        for (let entry = await handle.read();; entry = await handle.read()) {
          if (entry === null) {
            finished = true;
            break;
          }
          const name = relative === "" ? entry.name : `${relative}/${entry.name}`;
          if (entry.isFile()) {
            if (!hideTemporary || !isTemporaryName(entry.name)) yield name;
          } else if (recursive && entry.isDirectory()) {
            pending.push(name);
          }
        }
      } finally {
        // Closed here, also when the caller stops early. Deno's node:fs
        // (2.x) closes the directory only once it was read to its end, not
        // on close(): there, an abandoned listing reads the rest first.
        if (!finished && DIR_CLOSE_NEEDS_END) await drain(handle).catch(() => {});
        await handle.close().catch(() => {});
      }
    }
  }

  /** Size and modification time, or `null` when the file does not exist. */
  stat(path: string): Promise<FileStat | null> {
    return this.#flight.run((alone) => this.#stat(path, alone ? this.#syncBelow : 0));
  }

  async #stat(path: string, syncBelow: number): Promise<FileStat | null> {
    try {
      const info = syncBelow > 0 ? statSync(path) : await stat(path);
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Sets a file's modification (and access) time; `false` when it does not
   * exist or is not a regular file. It never goes through a symbolic link
   * (`lutimes`).
   */
  touch(path: string, mtimeMs: number): Promise<boolean> {
    return this.#flight.run((alone) => this.#touch(path, mtimeMs, alone ? this.#syncBelow : 0));
  }

  async #touch(path: string, mtimeMs: number, syncBelow: number): Promise<boolean> {
    const time = new Date(mtimeMs);
    try {
      if (syncBelow > 0) {
        if (!lstatSync(path).isFile()) return false;
        // lutimes leaves a link's target alone even if a link replaced the
        // file since the lstat; without it, utimes on what was a file.
        if (lutimesSync) lutimesSync(path, time, time);
        else utimesSync(path, time, time);
      } else {
        if (!(await lstat(path)).isFile()) return false;
        if (lutimes) await lutimes(path, time, time);
        else await utimes(path, time, time);
      }
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Creates `path` and its parents. */
  mkdir(path: string): Promise<void> {
    return this.#flight.run((alone) => this.#mkdir(path, alone ? this.#syncBelow : 0));
  }

  async #mkdir(path: string, syncBelow: number): Promise<void> {
    if (syncBelow > 0) mkdirSync(path, { recursive: true });
    else await mkdir(path, { recursive: true });
  }
}
