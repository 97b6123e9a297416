// Walking a bucket directory for the command-line tool: every entry file of
// every backend, shard by shard, one name at a time.

import { join } from "node:path";
import type { FileSystem } from "../fs/types.ts";
import { SHARDS } from "../_bucket_core.ts";
import type { Backend } from "../backends/backend.ts";
import { StructuredCloneBackend } from "../backends/structured_clone.ts";
import { JSONBackend } from "../backends/json.ts";
import { MessagePackBackend } from "../backends/msgpack.ts";

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

/** The built-in backends, by file extension. */
export const BUILT_IN_BACKENDS: Record<string, new () => Backend> = {
  sclone: StructuredCloneBackend,
  json: JSONBackend,
  msgpack: MessagePackBackend,
};

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
