// The one walk over a bucket directory: every file the library owns, found
// by one recursive listing (a single SCAN on Redis), judged by name and place
// (layout.ts) and, for entries, by header (entry.ts). Foreign files, files
// behind symlinks (adapters never list those) and entries of unknown
// backends are passed over: nothing else in the library counts, touches or
// removes a file that this walk did not yield.

import { join } from "../fs/path.ts";
import type { FileStat, FileSystem } from "../fs/types.ts";
import {
  type EntryHeader,
  type HeaderProblem,
  isProblem,
  MAX_HEADER_SIZE,
  parseHeader,
} from "./entry.ts";
import { placeName } from "./layout.ts";

/** An entry file of the library, found by {@linkcode walkBucket}. */
export interface WalkedEntry {
  kind: "entry";
  /** Full path. */
  path: string;
  /** File name: hash and extension. */
  name: string;
  /** The 64-hex-digit hash. */
  hash: string;
  /** The extension, which names the backend. */
  extension: string;
  /** Whether it lies in the directory itself (layout 1) rather than in its shard. */
  legacy: boolean;
  /** Its first bytes as read (up to a header's length): what a removal compares. */
  prefix: Uint8Array;
  /** Its header, or (for a file of ours that is broken) what is wrong with it. */
  header: EntryHeader | HeaderProblem;
  /** Size and modification time when it was read. */
  stat: FileStat;
}

/** A temporary file of an atomic write, found by {@linkcode walkBucket}. */
export interface WalkedTemporary {
  kind: "temporary";
  /** Full path. */
  path: string;
  /** Its name. */
  name: string;
  /** Size and modification time. */
  stat: FileStat;
}

/** Options of {@linkcode walkBucket}. */
export interface WalkOptions {
  /** The backends (by file extension) whose entries count as the library's. */
  extensions: ReadonlySet<string>;
  /** Also yield temporary files of atomic writes aimed at the library's files. */
  temporary?: boolean;
  /** Called after each directory: the directory itself, then each shard met. */
  onDirectory?: (done: number, total: number) => void;
}

/** Directories in a bucket: itself and 256 shards. */
export const DIRECTORY_COUNT = 257;

/**
 * Streams the library's files under `root`: entries of the given backends
 * whose header is the library's (damaged ones included, as such), and with
 * `temporary` the temporary files of writes aimed at them.
 */
export async function* walkBucket(
  fs: FileSystem,
  root: string,
  options: WalkOptions,
): AsyncGenerator<WalkedEntry | WalkedTemporary> {
  const shardsSeen = new Set<string>();
  for await (const relative of fs.list(root, { recursive: true, includeTemporary: true })) {
    const placed = placeName(relative, options.extensions);
    if (placed.kind === "other") continue;
    if (options.onDirectory !== undefined && relative[2] === "/") {
      const shard = relative.slice(0, 2);
      if (!shardsSeen.has(shard)) {
        shardsSeen.add(shard);
        options.onDirectory(shardsSeen.size, DIRECTORY_COUNT);
      }
    }
    const path = join(root, relative);
    if (placed.kind === "temporary") {
      if (!options.temporary) continue;
      const stat = await fs.stat(path);
      if (stat !== null) yield { kind: "temporary", path, name: placed.name, stat };
      continue;
    }
    const prefix = await fs.readPrefix(path, MAX_HEADER_SIZE);
    if (prefix === null) continue;
    const header = parseHeader(prefix);
    if (isProblem(header) && !header.damaged) continue;
    const stat = await fs.stat(path);
    if (stat === null) continue;
    yield { ...placed, path, prefix, header, stat };
  }
  options.onDirectory?.(DIRECTORY_COUNT, DIRECTORY_COUNT);
}
