// The shards of a bucket directory (layout 2) and the one walk over them:
// every entry file, of every backend, in the directory itself (layout 1)
// and in each shard, one name at a time. Budgets, usage() and the
// command-line tool walk this way; pruning walks the same directories with
// temporary files included.

import { join } from "node:path";
import type { FileSystem } from "./fs/types.ts";

/** The 256 shard directory names, "00" to "ff". */
export const SHARDS: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** An entry file found in a directory. */
export interface FoundEntry {
  /** Full path. */
  path: string;
  /** File name: hash and extension. */
  name: string;
  /** The 64-hex-digit hash. */
  hash: string;
  /** The extension, which names the backend. */
  extension: string;
}

const ENTRY = /^([0-9a-f]{64})\.([A-Za-z0-9_-]{1,16})$/;

/**
 * Streams the entry files under `dir`: those of layout 1 in the directory
 * itself, then each shard. `onDirectory` is told after each directory
 * (1 + 256 in all), for progress.
 */
export async function* entryFiles(
  fs: FileSystem,
  dir: string,
  onDirectory?: (done: number, total: number) => void,
): AsyncGenerator<FoundEntry> {
  const directories = ["", ...SHARDS];
  for (const [i, shard] of directories.entries()) {
    const path = join(dir, shard);
    for await (const name of fs.list(path)) {
      const match = ENTRY.exec(name);
      if (match !== null) {
        yield { path: join(path, name), name, hash: match[1], extension: match[2] };
      }
    }
    onDirectory?.(i + 1, directories.length);
  }
}
