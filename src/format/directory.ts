// One bucket directory on its storage: which layout it has, making shard
// directories, writing the layout file. The names and places themselves are
// in layout.ts.
//
// Opening a bucket reads the layout file once. Where it is missing, a store
// with real directories is peeked at (its first names, stopping at the first
// entry file) to find out whether layout-1 entries may exist; a store without
// directories (Redis) never held layout 1 and is not listed.

import { join } from "../fs/path.ts";
import type { FileSystem } from "../fs/types.ts";
import { fileLogger } from "../log.ts";
import { LAYOUT_FILE, LAYOUT_TEXT, legacyEntryPath, parseEntryName, shardOf } from "./layout.ts";

const encoder = new TextEncoder();

/** The layout state of one bucket directory. */
export class BucketDirectory {
  readonly fs: FileSystem;
  readonly root: string;
  readonly #extension: string;
  /** Whether layout-1 entries may exist in the directory itself; undefined until known. */
  #legacy: boolean | undefined;
  #check: Promise<void> | undefined;
  /** Whether the layout file must be written with the next entry. */
  #layoutFileNeeded = false;
  /** Shard directories known to exist. */
  readonly #shardsMade = new Set<string>();

  constructor(fs: FileSystem, root: string, extension: string) {
    this.fs = fs;
    this.root = root;
    this.#extension = extension;
  }

  /** Whether layout-1 entries may be in the directory itself (after `check()`). */
  get legacy(): boolean {
    return this.#legacy === true;
  }

  /** Finds out the layout once; `undefined` when already known (no await needed). */
  check(): Promise<void> | undefined {
    if (this.#legacy !== undefined) return undefined;
    return this.#check ??= this.#detect().finally(() => {
      this.#check = undefined;
    });
  }

  async #detect(): Promise<void> {
    if (await this.fs.readPrefix(join(this.root, LAYOUT_FILE), 1) !== null) {
      this.#legacy = false;
      return;
    }
    let legacy = false;
    if (this.fs.capabilities?.directories !== false) {
      for await (const name of this.fs.list(this.root)) {
        if (parseEntryName(name)?.extension === this.#extension) {
          legacy = true;
          break;
        }
      }
    }
    this.#layoutFileNeeded = !legacy;
    this.#legacy = legacy;
  }

  /** The paths an entry's file may have: its shard, and the directory itself in layout 1. */
  paths(fileName: string, shardPath: string): string[] {
    return this.#legacy ? [shardPath, legacyEntryPath(this.root, fileName)] : [shardPath];
  }

  /**
   * Makes sure the shard directory of `fileName` exists. A file where the
   * shard should be is an error naming it (nothing is removed).
   */
  async makeShard(fileName: string, again = false): Promise<void> {
    const shard = shardOf(fileName);
    if (!again && this.#shardsMade.has(shard)) return;
    const dir = join(this.root, shard);
    try {
      await this.fs.mkdir(dir);
    } catch (error) {
      const code = (error as { code?: string })?.code;
      if (code === "EEXIST" || code === "ENOTDIR" || (error as Error)?.name === "AlreadyExists") {
        throw Object.assign(
          new Error(
            `Cannot write into ${dir}: it is not a directory. A file named like a shard is in the ` +
              "cache directory; move it elsewhere (the cache never removes files it did not write)",
            { cause: error },
          ),
          { code },
        );
      }
      throw error;
    }
    this.#shardsMade.add(shard);
  }

  /** Forgets that shards exist (someone removed them). */
  forgetShard(fileName: string): void {
    this.#shardsMade.delete(shardOf(fileName));
  }

  /**
   * Writes the layout file if this directory still needs one. A failure is
   * logged and tried again with the next write: the entry is written already.
   */
  async writeLayoutFileIfNeeded(): Promise<void> {
    if (!this.#layoutFileNeeded) return;
    this.#layoutFileNeeded = false;
    try {
      await this.writeLayoutFile();
    } catch (error) {
      this.#layoutFileNeeded = true;
      fileLogger.warn("Could not write the layout file of {path}: {error}", () => ({
        path: this.root,
        error,
      }));
    }
  }

  /** Writes the layout file: the directory holds layout 2 only from now on. */
  async writeLayoutFile(): Promise<void> {
    await this.fs.writeFileAtomic(join(this.root, LAYOUT_FILE), encoder.encode(LAYOUT_TEXT));
    this.#legacy = false;
  }
}
