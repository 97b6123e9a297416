// The directory layout (version 2), as the README's "Directory layout"
// section specifies it: where a key's file name becomes a path, which names
// in a bucket directory are the library's, and the layout file.
//
//   cache/
//     .bucketcache-layout        says: entries live in shards
//     .bucketcache-usage         a budget's shared estimate (usage_file.ts)
//     2d/2d6ecde8…f369.sclone    an entry, in the shard named by its first two hex digits
//
// Layout 1 (version 0.1) kept every entry in the directory itself; such
// entries are still read, and pruning moves them into their shards.

import { join } from "../fs/path.ts";

/** The 256 shard directory names, "00" to "ff". */
export const SHARDS: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * The file in a bucket directory that says entries live in shard
 * subdirectories (layout 2). Directories without it may hold entries of
 * layout 1, all in the directory itself.
 */
export const LAYOUT_FILE = ".bucketcache-layout";
/** What the layout file says. */
export const LAYOUT_TEXT = "bucketcache layout 2: entries in 256 subdirectories 00-ff, by hash\n";
/** The file holding a budget's shared usage estimate (see usage_file.ts). */
export const USAGE_FILE = ".bucketcache-usage";
/** The control files the library writes in a bucket directory. */
export const CONTROL_FILES: ReadonlySet<string> = new Set([LAYOUT_FILE, USAGE_FILE]);

/** File extensions of the built-in backends: their entries are the library's wherever they are. */
export const BUILT_IN_EXTENSIONS: readonly string[] = ["sclone", "json", "msgpack"];

/** An entry file name: 64 hex digits of SHA-256, a dot, the backend's extension. */
const ENTRY_NAME = /^([0-9a-f]{64})\.([A-Za-z0-9_-]{1,16})$/;
/** A temporary name of an atomic write: `.<target>.<16 hex>.tmp`. */
const TEMPORARY_NAME = /^\.(.+)\.[0-9a-f]{16}\.tmp$/;

/** The shard of an entry file name: its first two hex digits. */
export function shardOf(fileName: string): string {
  return fileName.slice(0, 2);
}

/** Where an entry file lives in layout 2: `<root>/<shard>/<name>`. */
export function entryPath(root: string, fileName: string): string {
  return join(root, shardOf(fileName), fileName);
}

/** Where layout 1 kept an entry file: in the bucket directory itself. */
export function legacyEntryPath(root: string, fileName: string): string {
  return join(root, fileName);
}

/** An entry file name split into its hash and extension, or undefined for any other name. */
export function parseEntryName(name: string): { hash: string; extension: string } | undefined {
  const match = ENTRY_NAME.exec(name);
  return match === null ? undefined : { hash: match[1], extension: match[2] };
}

/** What a path relative to a bucket directory is, by name and place alone. */
export type PlacedName =
  | { kind: "entry"; name: string; hash: string; extension: string; legacy: boolean }
  | { kind: "temporary"; name: string }
  | { kind: "other" };

/**
 * Judges a path relative to a bucket directory ("2d/2d6e….sclone",
 * ".bucketcache-layout") by its name and place: an entry file in its own
 * shard (or, layout 1, in the directory itself) of one of `extensions`; a
 * temporary file of an atomic write whose target is such an entry or a
 * control file, in the directory its target lives in; or anything else,
 * which the library never counts, touches or removes.
 */
export function placeName(relative: string, extensions: ReadonlySet<string>): PlacedName {
  const slash = relative.indexOf("/");
  if (slash !== -1 && (slash !== 2 || relative.indexOf("/", 3) !== -1)) return { kind: "other" };
  const dir = slash === -1 ? "" : relative.slice(0, 2);
  const name = slash === -1 ? relative : relative.slice(3);
  const temporary = TEMPORARY_NAME.exec(name);
  const target = temporary === null ? name : temporary[1];
  let ours = false;
  const entry = parseEntryName(target);
  if (entry !== undefined) {
    ours = extensions.has(entry.extension) && (dir === "" || dir === target.slice(0, 2));
  } else {
    ours = temporary !== null && dir === "" && CONTROL_FILES.has(target);
  }
  if (!ours) return { kind: "other" };
  if (temporary !== null) return { kind: "temporary", name };
  return {
    kind: "entry",
    name,
    hash: entry!.hash,
    extension: entry!.extension,
    legacy: dir === "",
  };
}
