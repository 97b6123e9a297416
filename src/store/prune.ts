// Pruning a bucket directory: one walk over the library's files (foreign
// files, symlinks and other backends' entries are never judged), removing
// entries whose written expiry is past (with the clock tolerance), damaged
// entries of this backend, and temporary files orphaned by interrupted
// writes; entries of layout 1 move into their shards. Every removal is of
// the file judged or of nothing (remove.ts).

import type { PrunedFilesInfo } from "../results.ts";
import type { PruneProgress } from "../options.ts";
import {
  checkPayload,
  entryFileSize,
  type EntryHeader,
  isProblem,
  MAX_HEADER_SIZE,
  parseHeader,
} from "../format/entry.ts";
import { walkBucket, type WalkedEntry } from "../format/walk.ts";
import { fileLogger } from "../log.ts";
import { deletableByAge } from "./expiry.ts";
import { isReadOnlyError } from "./remove.ts";
import type { Store } from "./store.ts";

/** Temporary files older than this are orphans of interrupted writes: pruning removes them. */
export const ORPHAN_TEMP_AGE_MS = 15 * 60 * 1000;

/** What pruning decided about one entry file. */
interface Verdict {
  /** Why it goes: expired or damaged; undefined when it stays. */
  remove?: "expired" | "damaged";
  /** What to compare before removing: the file's first bytes, or all of it. */
  seen: Uint8Array;
  prefixOnly: boolean;
  size: number;
  header?: EntryHeader;
}

/**
 * Judges an entry file found by the walk: damaged (its header, or — when its
 * size disagrees with the header — its whole content), expired by its
 * written date, or live.
 */
export async function judgeEntry(
  store: Store,
  found: WalkedEntry,
  now: number,
): Promise<Verdict | undefined> {
  let header = found.header;
  // A file shorter than a header was read whole: compare all of it, so a
  // longer fresh entry that starts with the same bytes is never taken for it.
  const prefixOnly = found.prefix.length >= MAX_HEADER_SIZE;
  let verdict: Verdict = { seen: found.prefix, prefixOnly, size: found.stat.size };
  if (!isProblem(header) && found.stat.size !== entryFileSize(header)) {
    const file = await store.fs.readFile(found.path);
    if (file === null) return undefined;
    verdict = { seen: file, prefixOnly: false, size: file.length };
    header = parseHeader(file);
    if (isProblem(header) && !header.damaged) return undefined;
    if (!isProblem(header)) {
      const payload = checkPayload(found.name, file, header);
      if (typeof payload === "string") header = { damaged: true, reason: payload };
    }
  }
  if (isProblem(header)) {
    fileLogger.warn("Removing damaged entry file {path}: {reason}", () => ({
      path: found.path,
      reason: header.reason,
    }));
    return { ...verdict, remove: "damaged" };
  }
  verdict.header = header;
  if (deletableByAge(header, now, store.clockTolerance)) verdict.remove = "expired";
  return verdict;
}

/**
 * Prunes the store's directory.
 *
 * @param onProgress called as the walk moves from directory to directory
 */
export async function pruneDirectory(
  store: Store,
  onProgress?: (progress: PruneProgress) => void,
): Promise<PrunedFilesInfo> {
  const info: PrunedFilesInfo = { size: 0, num: 0 };
  const now = Date.now();
  const own = store.backend.fileExtension;
  let files = 0;
  let legacyLeft = 0;
  await store.directory.check();
  const walk = walkBucket(store.fs, store.path, {
    extensions: store.extensions,
    temporary: true,
    onDirectory: (directories, of) => onProgress?.({ directories, of, files }),
  });
  for await (const found of walk) {
    if (found.kind === "temporary") {
      files++;
      // A file a removal in progress moved aside (removeIfUnchanged) and may
      // put back is one written or used since it was judged, so its mtime is
      // at most about a minute old (budget recency marks are written within
      // a second): it is never taken for an orphan here.
      if (now - found.stat.mtimeMs <= ORPHAN_TEMP_AGE_MS) continue;
      try {
        if (await store.fs.remove(found.path)) {
          info.size += found.stat.size;
          info.num++;
        }
      } catch (error) {
        if (!isReadOnlyError(error)) throw error;
      }
      continue;
    }
    if (found.extension !== own) continue;
    files++;
    const verdict = await judgeEntry(store, found, now);
    if (verdict === undefined) continue;
    if (verdict.remove !== undefined) {
      if (await store.remover.removeJudged(found.path, verdict.seen, verdict.prefixOnly)) {
        info.size += verdict.size;
        info.num++;
        store.stats[verdict.remove]++;
        store.budget?.noteRemove(verdict.size);
      }
    } else if (found.legacy && !await migrate(store, found)) {
      legacyLeft++;
    }
  }
  if (store.directory.legacy && legacyLeft === 0) await store.directory.writeLayoutFile();
  return info;
}

/**
 * Moves a live layout-1 entry into its shard, unless the shard already has
 * a (newer) file for it. Returns whether the old file is gone.
 */
async function migrate(store: Store, found: WalkedEntry): Promise<boolean> {
  const target = store.entryPath(found.name);
  if (await store.fs.stat(target) === null) {
    const file = await store.fs.readFile(found.path);
    if (file === null) return true;
    await store.directory.makeShard(found.name);
    await store.fs.writeFileAtomic(target, file);
    return await store.fs.removeIfUnchanged(found.path, file) ||
      await store.fs.stat(found.path) === null;
  }
  return await store.fs.removeIfUnchanged(found.path, found.prefix, { prefixOnly: true }) ||
    await store.fs.stat(found.path) === null;
}
