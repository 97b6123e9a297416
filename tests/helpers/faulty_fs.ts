// A FileSystem wrapper that fails chosen operations, for fault-injection tests.

import { LAYOUT_FILE } from "../../src/format/layout.ts";
import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "../../src/fs/types.ts";

/** The operations a fault can be injected into. */
export type FsOperation =
  | "readFile"
  | "readPrefix"
  | "writeFileAtomic"
  | "remove"
  | "removeIfUnchanged"
  | "createExclusive"
  | "list"
  | "touch"
  | "stat"
  | "mkdir";

/** Error codes the wrapper produces, with the messages the runtimes use. */
const MESSAGES: Record<string, string> = {
  ENOSPC: "no space left on device",
  EIO: "i/o error",
  EACCES: "permission denied",
};

interface Fault {
  code: string;
  remaining: number;
  /** Only paths matching this fail (all when absent). */
  matching?: RegExp;
}

/**
 * Wraps a FileSystem; `fail(op, code)` makes the next call(s) of `op` reject
 * with an error carrying `code`, as the runtime would. Calls are counted.
 */
export class FaultyFileSystem implements FileSystem {
  readonly name: string;
  readonly calls: Record<FsOperation, number> = {
    readFile: 0,
    readPrefix: 0,
    writeFileAtomic: 0,
    remove: 0,
    removeIfUnchanged: 0,
    createExclusive: 0,
    list: 0,
    stat: 0,
    mkdir: 0,
    touch: 0,
  };
  readonly #faults = new Map<FsOperation, Fault>();

  readonly inner: FileSystem;

  constructor(inner: FileSystem) {
    this.inner = inner;
    this.name = `faulty(${inner.name})`;
  }

  /** The wrapped adapter's capabilities. */
  get capabilities(): FileSystemCapabilities | undefined {
    return this.inner.capabilities;
  }

  /**
   * Makes the next `times` calls of `operation` fail with `code` (Infinity:
   * until `heal`); with `matching`, only calls on paths it matches.
   */
  fail(operation: FsOperation, code: string, times = Infinity, matching?: RegExp): this {
    this.#faults.set(operation, { code, remaining: times, matching });
    return this;
  }

  /** Removes every injected fault. */
  heal(): void {
    this.#faults.clear();
  }

  #check(operation: FsOperation, path: string): void {
    // Calls count entry-file work; the bucket's one-time look at its layout
    // file is left out of the counts (faults still apply to it).
    if (!path.endsWith(LAYOUT_FILE)) this.calls[operation]++;
    const fault = this.#faults.get(operation);
    if (!fault || fault.remaining <= 0) return;
    if (fault.matching !== undefined && !fault.matching.test(path)) return;
    fault.remaining--;
    const error = new Error(
      `${fault.code}: ${MESSAGES[fault.code] ?? "injected fault"}, ${operation} '${path}'`,
    ) as Error & { code: string; path: string };
    error.code = fault.code;
    error.path = path;
    throw error;
  }

  async readFile(path: string): Promise<Uint8Array | null> {
    this.#check("readFile", path);
    return await this.inner.readFile(path);
  }
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    this.#check("readPrefix", path);
    return await this.inner.readPrefix(path, length);
  }
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    this.#check("writeFileAtomic", path);
    return await this.inner.writeFileAtomic(path, data, options);
  }
  async remove(path: string): Promise<boolean> {
    this.#check("remove", path);
    return await this.inner.remove(path);
  }
  async removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    this.#check("removeIfUnchanged", path);
    return await this.inner.removeIfUnchanged(path, seen, options);
  }
  async createExclusive(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<boolean> {
    this.#check("createExclusive", path);
    if (this.inner.createExclusive === undefined) {
      throw new TypeError(`${this.inner.name} has no createExclusive()`);
    }
    return await this.inner.createExclusive(path, data, options);
  }
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    this.#check("list", dir);
    yield* this.inner.list(dir, options);
  }
  async stat(path: string): Promise<FileStat | null> {
    this.#check("stat", path);
    return await this.inner.stat(path);
  }
  async touch(path: string, mtimeMs: number): Promise<boolean> {
    this.#check("touch", path);
    return await this.inner.touch!(path, mtimeMs);
  }
  async mkdir(path: string): Promise<void> {
    this.#check("mkdir", path);
    return await this.inner.mkdir(path);
  }
}
