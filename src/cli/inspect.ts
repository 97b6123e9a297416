// The command-line tool's data layer: it walks a bucket directory, judges
// and removes files, and returns what it found. It never prints (main.ts
// does) and touches storage only through the FileSystem adapter it is given.
//
// Everything it reads or removes is what walkBucket yields (format/walk.ts):
// entry files of the built-in backends, named like an entry, in their shard
// (or the directory itself, layout 1) and carrying the library's header,
// and the library's temporary files. Foreign files, symlinks and what lies
// behind them are never listed. Every removal is of the bytes that were
// read and judged, through removeIfUnchanged: a file that changed since is
// left. Pruning and eviction are the core's own passes (store/prune.ts,
// store/budget.ts), run through a Bucket; so are `why` (Bucket.explain),
// tag invalidation (Bucket.invalidateTags) and removing a function's entries
// (memoize.ts's clearFunction, what memoized.clear() runs).

import { join } from "node:path";
import type { FileSystem } from "../fs/types.ts";
import { BackendLoadError } from "../errors.ts";
import { Bucket, storeOf } from "../bucket.ts";
import { clearFunction } from "../memoize.ts";
import type { EvictionResult, Explanation, PrunedFilesInfo } from "../results.ts";
import type { PruneProgress } from "../options.ts";
import {
  checkPayload,
  type EntryHeader,
  isProblem,
  MAX_HEADER_SIZE,
  parseHeader,
  readMeta,
} from "../format/entry.ts";
import { BUILT_IN_EXTENSIONS, LAYOUT_FILE, USAGE_FILE } from "../format/layout.ts";
import { parseUsageFile, USAGE_PREFIX_LENGTH, type UsageCount } from "../format/usage_file.ts";
import { walkBucket, type WalkedEntry } from "../format/walk.ts";
import { deletableByAge, readsAsExpired } from "../store/expiry.ts";
import { ORPHAN_TEMP_AGE_MS } from "../store/prune.ts";
import { DEFAULT_CLOCK_TOLERANCE_MS } from "../store/read_options.ts";
import { explainLocated } from "../store/explain.ts";
import { TagBook } from "../store/tags.ts";
import { BUILT_IN_BACKENDS } from "./_backends.ts";

/** The backends (file extensions) whose entries the tool reads and removes: the built-in ones. */
export const TOOL_EXTENSIONS: ReadonlySet<string> = new Set(BUILT_IN_EXTENSIONS);

/** Progress of a walk: directories done of all (the bucket directory and its 256 shards). */
export type OnDirectory = (done: number, total: number) => void;

/** What is at a bucket path: a directory (or, on Redis, files under it), nothing, or a file. */
export type DirectoryState = "directory" | "missing" | "file";

function isDirectoryError(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === "EISDIR" || name === "IsADirectory";
}

/**
 * Finds out, through the adapter alone, whether `dir` can be a bucket
 * directory: reading it as a file fails with EISDIR for a directory, and a
 * store without directories (Redis) has one where it has files under it.
 * Creates nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory (absolute)
 * @returns `"directory"`, `"missing"` (nothing there), or `"file"` (a file, not a directory)
 */
export async function directoryState(fs: FileSystem, dir: string): Promise<DirectoryState> {
  try {
    if (await fs.readPrefix(dir, 1) !== null) return "file";
  } catch (error) {
    if (isDirectoryError(error)) return "directory";
    throw error;
  }
  if (await fs.readPrefix(join(dir, LAYOUT_FILE), 1) !== null) return "directory";
  for await (const _ of fs.list(dir, { includeTemporary: true })) return "directory";
  return "missing";
}

/** What a version-2 entry says about itself (its metadata), as the tool shows it. */
export interface EntryLabels {
  /** The memoised function that wrote it (memoize's `name`). */
  fn?: string;
  /** That function's `version`, as text. */
  version?: string;
  /** The entry's tags. */
  tags?: string[];
  /** Those of its tags invalidated since it was written: it reads as missing. */
  invalidatedBy?: string[];
}

/** One entry file, as `ls` lists it. */
export interface EntryInfo extends EntryLabels {
  /** Full path. */
  path: string;
  /** File name: hash and extension. */
  name: string;
  /** The 64-hex-digit hash. */
  hash: string;
  /** The backend's file extension. */
  backend: string;
  /** Whether it lies in the directory itself (layout 1) rather than in its shard. */
  legacy: boolean;
  /** File size in bytes. */
  size: number;
  /**
   * The file's modification time (ms since the epoch): when it was last
   * written or, in a bucket with a size budget, last used (reads touch it).
   */
  modifiedMs: number;
  /** Expiry from the header (ms since the epoch), or null: never, or a damaged header. */
  expiresAt: number | null;
  /** What is wrong with the header, for a damaged entry file of the library. */
  damaged?: string;
  /** Its first bytes as read: what a removal compares. */
  prefix: Uint8Array;
}

function entryInfo(found: WalkedEntry): EntryInfo {
  const header = found.header;
  return {
    path: found.path,
    name: found.name,
    hash: found.hash,
    backend: found.extension,
    legacy: found.legacy,
    size: found.stat.size,
    modifiedMs: found.stat.mtimeMs,
    expiresAt: isProblem(header) ? null : header.expiresAt,
    ...(isProblem(header) ? { damaged: header.reason } : {}),
    prefix: found.prefix,
  };
}

/**
 * Reads what an entry says about itself: the metadata after a version-2
 * header (`header.size + header.metaLength` bytes from the start), and the
 * current generation of each of its tags, through `tags` (which only reads).
 * Version-1 entries, entries without metadata and metadata that is not
 * readable give no labels.
 */
async function readLabels(
  fs: FileSystem,
  found: { path: string; prefix: Uint8Array; header: EntryHeader },
  tags: TagBook,
): Promise<EntryLabels> {
  const header = found.header;
  if (header.metaLength === 0) return {};
  const end = header.size + header.metaLength;
  const bytes = found.prefix.length >= end ? found.prefix : await fs.readPrefix(found.path, end);
  const meta = bytes === null ? undefined : readMeta(bytes, header);
  if (meta === undefined) return {};
  const labels: EntryLabels = {};
  if (typeof meta.fn === "string") labels.fn = meta.fn;
  if (typeof meta.version === "string") labels.version = meta.version;
  const recorded = typeof meta.tags === "object" && meta.tags !== null && !Array.isArray(meta.tags)
    ? Object.entries(meta.tags).filter(([, generation]) => typeof generation === "number")
    : [];
  if (recorded.length > 0) {
    labels.tags = recorded.map(([tag]) => tag);
    const current = await tags.generations(labels.tags);
    labels.invalidatedBy = recorded.filter(([tag, generation]) => current[tag] > generation)
      .map(([tag]) => tag);
  }
  return labels;
}

/** Options of {@linkcode listEntries}. */
export interface ListOptions {
  /** Progress, after each directory. */
  onDirectory?: OnDirectory;
  /**
   * Also read each entry's metadata (function, version, tags) and its tags'
   * generations: the {@linkcode EntryLabels}. Costs a read per version-2
   * entry whose metadata does not fit in the header's read.
   */
  labels?: boolean;
}

/**
 * Streams the library's entry files under `dir` (built-in backends), with
 * what their headers (and with `labels`, their metadata) say. Reads only
 * the start of each file; writes nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param options progress, and whether to read labels
 */
export async function* listEntries(
  fs: FileSystem,
  dir: string,
  options: ListOptions = {},
): AsyncGenerator<EntryInfo> {
  const tags = new TagBook(fs, dir);
  const walk = walkBucket(fs, dir, {
    extensions: TOOL_EXTENSIONS,
    onDirectory: options.onDirectory,
  });
  for await (const found of walk) {
    if (found.kind !== "entry") continue;
    const info = entryInfo(found);
    const header = found.header;
    if (options.labels && !isProblem(header)) {
      Object.assign(info, await readLabels(fs, { ...found, header }, tags));
    }
    yield info;
  }
}

/** What `stats` reports about a bucket directory. */
export interface BucketSummary {
  /** 2 (shards), 1 (the old flat layout: prune migrates it), or "none yet" (empty, no layout file). */
  layout: 1 | 2 | "none yet";
  /** Entry files of the built-in backends. */
  entries: number;
  /** Their bytes (header and payload). */
  bytes: number;
  /** Entries and bytes by backend (file extension). */
  backends: Record<string, { entries: number; bytes: number }>;
  /** Entries past their expiry: they read as missing. */
  expired: number;
  /** Of those, the ones past it by more than the clock tolerance: `prune` removes them now. */
  expiredPrunable: number;
  /** Entry files of the library whose header is damaged. */
  damaged: number;
  /** Entries carrying a tag invalidated since they were written: they read as missing. */
  invalidated: number;
  /**
   * Entries and bytes by memoised function (the name version-2 entries
   * record); entries without one (set directly, older or damaged files)
   * under {@linkcode NO_FUNCTION}.
   */
  functions: Record<string, { entries: number; bytes: number }>;
  /** The library's temporary files: writes in progress, or orphans of interrupted ones. */
  temporary: { files: number; bytes: number; orphaned: number };
  /** Oldest and newest modification time of the entry files (ms), or null without entries. */
  modified: { oldestMs: number; newestMs: number } | null;
  /** A size budget's shared estimate (the usage file), or null when there is none. */
  budgetEstimate: UsageCount | null;
}

/** Where {@linkcode BucketSummary.functions} counts entries that no memoised function wrote. */
export const NO_FUNCTION = "(none)";

/**
 * Counts a bucket directory: entries by backend and by function, bytes,
 * expired, damaged and invalidated entries, temporary files, modification
 * times, the budget's estimate. Reads only headers, metadata and tag
 * counters; writes nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param now the time to judge expiry by
 * @param onDirectory progress, after each directory
 */
export async function summarize(
  fs: FileSystem,
  dir: string,
  now: number,
  onDirectory?: OnDirectory,
): Promise<BucketSummary> {
  const summary: BucketSummary = {
    layout: 2,
    entries: 0,
    bytes: 0,
    backends: {},
    expired: 0,
    expiredPrunable: 0,
    damaged: 0,
    invalidated: 0,
    functions: {},
    temporary: { files: 0, bytes: 0, orphaned: 0 },
    modified: null,
    budgetEstimate: null,
  };
  let oldest = Infinity;
  let newest = -Infinity;
  let legacy = 0;
  const tags = new TagBook(fs, dir);
  const walk = walkBucket(fs, dir, { extensions: TOOL_EXTENSIONS, temporary: true, onDirectory });
  for await (const found of walk) {
    if (found.kind === "temporary") {
      summary.temporary.files++;
      summary.temporary.bytes += found.stat.size;
      if (now - found.stat.mtimeMs > ORPHAN_TEMP_AGE_MS) summary.temporary.orphaned++;
      continue;
    }
    const { size, mtimeMs } = found.stat;
    summary.entries++;
    summary.bytes += size;
    const slot = summary.backends[found.extension] ??= { entries: 0, bytes: 0 };
    slot.entries++;
    slot.bytes += size;
    oldest = Math.min(oldest, mtimeMs);
    newest = Math.max(newest, mtimeMs);
    if (found.legacy) legacy++;
    const header = found.header;
    const labels = isProblem(header) ? {} : await readLabels(fs, { ...found, header }, tags);
    const fn = summary.functions[labels.fn ?? NO_FUNCTION] ??= { entries: 0, bytes: 0 };
    fn.entries++;
    fn.bytes += size;
    if (labels.invalidatedBy !== undefined && labels.invalidatedBy.length > 0) {
      summary.invalidated++;
    }
    if (isProblem(header)) {
      summary.damaged++;
    } else if (readsAsExpired(header, now, null, 0)) {
      summary.expired++;
      if (deletableByAge(header, now, DEFAULT_CLOCK_TOLERANCE_MS)) summary.expiredPrunable++;
    }
  }
  if (summary.entries > 0) summary.modified = { oldestMs: oldest, newestMs: newest };
  const hasLayoutFile = await fs.readPrefix(join(dir, LAYOUT_FILE), 1) !== null;
  summary.layout = hasLayoutFile ? 2 : legacy > 0 ? 1 : summary.entries === 0 ? "none yet" : 2;
  summary.budgetEstimate = parseUsageFile(
    await fs.readPrefix(join(dir, USAGE_FILE), USAGE_PREFIX_LENGTH),
  );
  return summary;
}

/** What a hash prefix matched. */
export type Lookup =
  | { found: "none" }
  | { found: "many"; count: number }
  | { found: "one"; entry: EntryInfo };

/**
 * Finds the entry file whose hash starts with `prefix` (built-in backends).
 * The same file in its shard and, layout 1, in the directory itself counts
 * once: the shard's, which is the one read. Writes nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param prefix lowercase hex digits
 * @param backend only entries of this backend (file extension); default: any built-in one
 */
export async function findEntry(
  fs: FileSystem,
  dir: string,
  prefix: string,
  backend?: string,
): Promise<Lookup> {
  const byName = new Map<string, EntryInfo>();
  for await (const entry of listEntries(fs, dir)) {
    if (!entry.hash.startsWith(prefix)) continue;
    if (backend !== undefined && entry.backend !== backend) continue;
    const other = byName.get(entry.name);
    if (other === undefined || other.legacy) byName.set(entry.name, entry);
  }
  const matches = [...byName.values()];
  if (matches.length === 0) return { found: "none" };
  if (matches.length > 1) return { found: "many", count: matches.length };
  return { found: "one", entry: matches[0] };
}

/** An entry file read in full and judged. */
export type Judged =
  | { ok: true; value: unknown; file: Uint8Array }
  | { ok: false; problem: "damaged"; reason: string; file: Uint8Array }
  | { ok: false; problem: "gone" | "foreign"; reason: string };

/**
 * Judges a whole entry file: its header, length and checksum (entry.ts),
 * then the value, decoded by its built-in backend. Only the backend's
 * BackendLoadError makes the file damaged; any other error is thrown.
 */
function judgeFile(name: string, backend: string, file: Uint8Array): Judged {
  const header = parseHeader(file);
  if (isProblem(header)) {
    return header.damaged
      ? { ok: false, problem: "damaged", reason: header.reason, file }
      : { ok: false, problem: "foreign", reason: header.reason };
  }
  const payload = checkPayload(name, file, header);
  if (typeof payload === "string") return { ok: false, problem: "damaged", reason: payload, file };
  try {
    return { ok: true, value: new BUILT_IN_BACKENDS[backend]().load(payload).value, file };
  } catch (error) {
    if (!(error instanceof BackendLoadError)) throw error;
    return {
      ok: false,
      problem: "damaged",
      reason: `the ${backend} backend cannot decode it: ${error.message}`,
      file,
    };
  }
}

/**
 * Reads an entry file in full and decodes its value. Writes nothing.
 *
 * @param fs the storage adapter
 * @param entry an entry found by {@linkcode findEntry} or {@linkcode listEntries}
 * @returns the value, or why there is none: the file is gone, no longer the
 *   library's, or damaged (header, length, checksum, or a payload its backend
 *   cannot decode)
 */
export async function readEntry(fs: FileSystem, entry: EntryInfo): Promise<Judged> {
  const file = await fs.readFile(entry.path);
  if (file === null) return { ok: false, problem: "gone", reason: "it was removed meanwhile" };
  return judgeFile(entry.name, entry.backend, file);
}

/** A bucket of `dir` for one built-in backend, without a memory layer: it reads what is on disk. */
function bucketFor(fs: FileSystem, dir: string, backend: string): Bucket {
  return new Bucket(dir, { fs, backend: BUILT_IN_BACKENDS[backend], memory: false });
}

/** What {@linkcode explainKey} found. */
export interface KeyExplanation {
  /** What `Bucket.explain(key)` says, in a bucket of the backend asked about. */
  explanation: Explanation;
  /** For an absent entry: the other built-in backends that have one for this key. */
  elsewhere: string[];
}

/**
 * Explains what reading `key` would find, as `Bucket.explain` does, in a
 * bucket of `dir` with the built-in backend `backend` (the file name depends
 * on it) and the default key maker. When the entry is absent, asks the other
 * built-in backends too. Writes nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param key the key value, as the library hashes it
 * @param backend a built-in backend's file extension
 * @throws {TypeError} for a key the key maker refuses
 */
export async function explainKey(
  fs: FileSystem,
  dir: string,
  key: unknown,
  backend: string,
): Promise<KeyExplanation> {
  const explanation = await bucketFor(fs, dir, backend).explain(key);
  const elsewhere: string[] = [];
  if (explanation.reason === "absent" && explanation.foreign === undefined) {
    for (const other of BUILT_IN_EXTENSIONS) {
      if (other === backend) continue;
      if ((await bucketFor(fs, dir, other).explain(key)).reason !== "absent") elsewhere.push(other);
    }
  }
  return { explanation, elsewhere };
}

/** What {@linkcode explainHash} found: no entry, several, or one and its explanation. */
export type HashExplanation =
  | { found: "none" }
  | { found: "many"; count: number }
  | { found: "one"; explanation: Explanation };

/**
 * Explains the entry whose hash starts with `prefix` (see
 * {@linkcode findEntry}), as `Bucket.explain` would explain its key, by the
 * core's explainLocated. Writes nothing.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param prefix lowercase hex digits
 * @param backend only entries of this backend (file extension); default: any built-in one
 */
export async function explainHash(
  fs: FileSystem,
  dir: string,
  prefix: string,
  backend?: string,
): Promise<HashExplanation> {
  const lookup = await findEntry(fs, dir, prefix, backend);
  if (lookup.found !== "one") return lookup;
  const { hash } = lookup.entry;
  const store = storeOf(bucketFor(fs, dir, lookup.entry.backend));
  const explanation = await explainLocated(store, { memKey: `h${hash}`, key: hash, hash });
  return { found: "one", explanation };
}

/**
 * Makes every entry carrying one of `tags` read as missing, through the
 * core (`Bucket.invalidateTags`): it moves each tag's generation counter in
 * `<dir>/.bucketcache-tags/` on. Changes and removes no entry.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param tags non-empty tags
 */
export async function invalidateTags(fs: FileSystem, dir: string, tags: string[]): Promise<void> {
  await new Bucket(dir, { fs, memory: false }).invalidateTags(tags);
}

/** What {@linkcode removeFunction} did. */
export interface FunctionRemoval {
  /** Entries of the function and version removed. */
  removed: number;
  /**
   * Entries of the function left, by version (its text; `null`: written
   * without one): other versions, and any written or changed meanwhile.
   */
  left: { version: string | null; entries: number }[];
}

/**
 * Removes every entry of one memoised function and version, in each
 * built-in backend, with the core's pass (memoize.ts's clearFunction, what
 * `memoized.clear()` runs): each version-2 entry whose metadata names them,
 * only if its file still starts with the bytes judged. Then counts the
 * entries of that function left.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param name the function's name, as memoize records it
 * @param version its version as text, or undefined for entries written without one
 */
export async function removeFunction(
  fs: FileSystem,
  dir: string,
  name: string,
  version: string | undefined,
): Promise<FunctionRemoval> {
  let removed = 0;
  for (const backend of BUILT_IN_EXTENSIONS) {
    removed += await clearFunction(storeOf(bucketFor(fs, dir, backend)), name, version);
  }
  const left = new Map<string | null, number>();
  for await (const entry of listEntries(fs, dir, { labels: true })) {
    if (entry.fn !== name) continue;
    const key = entry.version ?? null;
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  return {
    removed,
    left: [...left].map(([version, entries]) => ({ version, entries })),
  };
}

/** A damaged entry file found by {@linkcode verifyBucket}. */
export interface DamagedFile {
  /** Full path. */
  path: string;
  /** What is wrong. */
  reason: string;
  /** With `fix`: whether it was removed (false: it changed since it was read, and is left). */
  removed: boolean;
}

/** What {@linkcode verifyBucket} checked. */
export interface VerifyCounts {
  /** Entry files read in full. */
  checked: number;
  /** Damaged ones among them. */
  damaged: number;
  /** Damaged ones removed (with `fix`). */
  removed: number;
}

/**
 * Reads every entry file in full and checks it (header, length, checksum,
 * value), yielding each damaged one. With `fix` it removes a damaged file if
 * it still holds exactly the bytes judged (removeIfUnchanged); nothing else
 * is ever removed, and without `fix` nothing is written.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param options `fix` to remove damaged files; `onDirectory` for progress
 * @returns (as the generator's return value) the counts
 */
export async function* verifyBucket(
  fs: FileSystem,
  dir: string,
  options: { fix: boolean; onDirectory?: OnDirectory },
): AsyncGenerator<DamagedFile, VerifyCounts> {
  const counts: VerifyCounts = { checked: 0, damaged: 0, removed: 0 };
  for await (const entry of listEntries(fs, dir, { onDirectory: options.onDirectory })) {
    const judged = await readEntry(fs, entry);
    if (!judged.ok && judged.problem !== "damaged") continue;
    counts.checked++;
    if (judged.ok) continue;
    counts.damaged++;
    const removed = options.fix && await fs.removeIfUnchanged(entry.path, judged.file);
    if (removed) counts.removed++;
    yield { path: entry.path, reason: judged.reason, removed };
  }
  return counts;
}

/** What {@linkcode clearBucket} removed. */
export interface ClearResult {
  /** Entry files removed. */
  entries: number;
  /** Temporary files removed. */
  temporary: number;
  /** Bytes removed (entries and temporary files). */
  bytes: number;
  /** Whether the usage file (a budget's estimate) was removed. */
  usageFile: boolean;
  /** Files of the library that changed after they were read, and were left. */
  changed: number;
}

/**
 * Removes the library's entry files (built-in backends), its temporary
 * files and the usage file, each only if it still holds what was read
 * (removeIfUnchanged): a file written meanwhile is left. The directory, its
 * shard directories and the layout file stay.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param onDirectory progress, after each directory
 */
export async function clearBucket(
  fs: FileSystem,
  dir: string,
  onDirectory?: OnDirectory,
): Promise<ClearResult> {
  const result: ClearResult = { entries: 0, temporary: 0, bytes: 0, usageFile: false, changed: 0 };
  const walk = walkBucket(fs, dir, { extensions: TOOL_EXTENSIONS, temporary: true, onDirectory });
  for await (const found of walk) {
    if (found.kind === "temporary") {
      const bytes = await fs.readFile(found.path);
      if (bytes === null) continue;
      if (await fs.removeIfUnchanged(found.path, bytes)) {
        result.temporary++;
        result.bytes += bytes.length;
      } else if (await fs.stat(found.path) !== null) {
        result.changed++;
      }
      continue;
    }
    // A prefix shorter than a header was the whole file: compare all of it.
    const whole = found.prefix.length < MAX_HEADER_SIZE || found.prefix.length >= found.stat.size;
    if (await fs.removeIfUnchanged(found.path, found.prefix, { prefixOnly: !whole })) {
      result.entries++;
      result.bytes += found.stat.size;
    } else if (await fs.stat(found.path) !== null) {
      result.changed++;
    }
  }
  const usagePath = join(dir, USAGE_FILE);
  const usage = await fs.readFile(usagePath);
  if (usage !== null) {
    if (await fs.removeIfUnchanged(usagePath, usage)) result.usageFile = true;
    else if (await fs.stat(usagePath) !== null) result.changed++;
  }
  return result;
}

/**
 * Prunes a bucket directory with the core's pass (`Bucket.pruneDirectory`),
 * once per built-in backend: expired (past the clock tolerance) and damaged
 * entries, temporary files orphaned by interrupted writes; layout-1 entries
 * move into their shards.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param onProgress progress over all the passes: `done` of `total` directories, files seen
 * @returns files and bytes removed
 */
export async function pruneBucket(
  fs: FileSystem,
  dir: string,
  onProgress?: (done: number, total: number, files: number) => void,
): Promise<PrunedFilesInfo> {
  const total: PrunedFilesInfo = { num: 0, size: 0 };
  const backends = BUILT_IN_EXTENSIONS.map((extension) => BUILT_IN_BACKENDS[extension]);
  for (const [i, backend] of backends.entries()) {
    const bucket = new Bucket(dir, { backend, fs, memory: false });
    const report = (p: PruneProgress) =>
      onProgress?.(i * p.of + p.directories, backends.length * p.of, p.files);
    const result = await bucket.pruneDirectory({ onProgress: report });
    total.num += result.num;
    total.size += result.size;
  }
  return total;
}

/**
 * Runs the core's eviction pass (`Bucket.evict`) against `limits`: expired
 * entries go, then least recently used ones down to 90% of the budget. A
 * usage file (a budget's estimate) is corrected where there is one; where
 * there is none, none is written.
 *
 * @param fs the storage adapter
 * @param dir the bucket directory
 * @param limits `maxSize` (bytes) and `maxEntries`; at least one
 */
export async function evictBucket(
  fs: FileSystem,
  dir: string,
  limits: { maxSize?: number; maxEntries?: number },
): Promise<EvictionResult> {
  return await new Bucket(dir, { fs, memory: false }).evict(limits);
}
