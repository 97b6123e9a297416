// Size budgets (maxSize, maxEntries): how a bucket keeps its directory under
// a size, shared by every process using it.
//
// - Recency is the entry file's modification time. Writing sets it; a read
//   from the file sets it at once (one utimes call); a memory hit queues it,
//   at most once a minute per entry, written within a second in the
//   background. So it survives restarts and every process sees the others'.
// - BucketUsage is a shared estimate in USAGE_FILE, corrected by each eviction
//   pass. Each process adds what it wrote since (overwrites counted by their
//   size difference where the old entry is in memory) every 1% of the budget
//   or second. Nothing on the path of a get or set lists a directory.
// - An eviction pass runs in the background when the estimate goes over
//   budget: it streams the shards twice, holding only a histogram of ages.
//   Pass 1 removes expired entries and measures; pass 2 removes the least
//   recently used until usage is at 90% of the budget, so passes are
//   amortised over at least a tenth of the budget's worth of writes.

import { join } from "node:path";
import type { FileSystem } from "./fs/types.ts";
import { type EntryHeader, HEADER_SIZE, parseHeader } from "./_entry_file.ts";
import { fileLogger } from "./log.ts";

/** The file holding a directory's shared usage estimate. */
export const USAGE_FILE = ".bucketcache-usage";
/** A memory hit re-marks its entry's file as used at most this often. */
export const TOUCH_INTERVAL_MS = 60_000;
/** An eviction pass brings usage down to this share of the budget. */
export const EVICT_TO = 0.9;
const FLUSH_DELAY_MS = 1000;
const ENTRY_NAME = /^[0-9a-f]{64}\.[^.]+$/;
/** Age histogram: 8 buckets per doubling of the age in seconds. */
const AGE_BUCKETS = 8 * 48;

/** A budget; `Infinity` where there is no limit. */
export interface BudgetLimits {
  maxSize: number;
  maxEntries: number;
}

/** Entries and bytes of entry files (header and payload), as `Bucket.usage()` reports them. */
export interface BucketUsage {
  /** Entry files. */
  entries: number;
  /** Their bytes. */
  bytes: number;
}

/** What an eviction pass found and removed. */
export interface EvictionResult {
  /** Entries and bytes after the pass. */
  usage: BucketUsage;
  /** Least recently used entries removed for the budget. */
  evicted: number;
  /** Expired entries removed on the way. */
  expired: number;
  /** Bytes removed (evicted and expired). */
  bytes: number;
}

/** What the budget needs from its bucket. */
export interface BudgetHost {
  readonly fs: FileSystem;
  readonly path: string;
  /** The directories entries live in, the bucket directory itself first. */
  readonly directories: readonly string[];
  isExpired(header: EntryHeader, now: number, path: string): boolean;
  removeIfUnchanged(path: string, seen: Uint8Array, headerOnly: boolean): Promise<boolean>;
  counted(event: "evictions" | "expired", n: number): void;
}

let warnedThisProcess = false;

/** The age bucket of a file last used `ageMs` ago. */
const ageBucket = (ageMs: number) =>
  Math.min(AGE_BUCKETS - 1, Math.floor(Math.log2(1 + Math.max(0, ageMs) / 1000) * 8));

const encoder = new TextEncoder();

/** Reads a usage file's "entries bytes" line; null when missing or unreadable. */
function parseUsage(bytes: Uint8Array | null): BucketUsage | null {
  if (bytes === null) return null;
  const match = /^bucketcache usage 1: (-?\d+) (-?\d+)\n/.exec(new TextDecoder().decode(bytes));
  return match ? { entries: Number(match[1]), bytes: Number(match[2]) } : null;
}

/** Starts a timer that does not keep the process alive. */
function backgroundTimer(ms: number, run: () => void): void {
  const id = setTimeout(run, ms) as unknown;
  if (typeof id === "number") {
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(id);
  } else {
    (id as { unref?: () => void }).unref?.();
  }
}

/** One bucket's budget: accounting, recency and eviction. */
export class Budget {
  readonly limits: BudgetLimits;
  readonly #host: BudgetHost;
  #delta: BucketUsage = { entries: 0, bytes: 0 };
  readonly #touches = new Map<string, number>();
  #flushQueued = false;
  #flushing: Promise<void> | undefined;
  #pass: Promise<EvictionResult> | undefined;

  constructor(limits: BudgetLimits, host: BudgetHost) {
    this.limits = limits;
    this.#host = host;
  }

  /** Counts a written entry file; `replaced` is the size of the entry it replaced, if known. */
  noteWrite(bytes: number, replaced: number | undefined): void {
    this.#delta.bytes += bytes - (replaced ?? 0);
    if (replaced === undefined) this.#delta.entries++;
    this.#queueFlush();
  }

  /** Counts a removed entry file. */
  noteRemove(bytes: number): void {
    this.#delta.bytes -= bytes;
    this.#delta.entries--;
    this.#queueFlush();
  }

  /** Marks an entry file used now: soon (memory hits) or at once (file reads). */
  async noteUse(path: string, now: number, atOnce: boolean): Promise<void> {
    if (!atOnce) {
      this.#touches.set(path, now);
      this.#queueFlush();
      return;
    }
    try {
      await this.#host.fs.touch!(path, now);
    } catch (error) {
      fileLogger.warn("Could not mark {path} as used: {error}", () => ({ path, error }));
    }
  }

  /** The usage recorded in the shared file (null: none yet). */
  async recorded(): Promise<BucketUsage | null> {
    return parseUsage(await this.#host.fs.readPrefix(join(this.#host.path, USAGE_FILE), 128));
  }

  #queueFlush(): void {
    const { maxSize, maxEntries } = this.limits;
    const due = Math.abs(this.#delta.bytes) >= maxSize / 100 ||
      Math.abs(this.#delta.entries) >= maxEntries / 100;
    if (due) {
      this.#background(() => this.flush());
    } else if (!this.#flushQueued) {
      this.#flushQueued = true;
      backgroundTimer(FLUSH_DELAY_MS, () => {
        this.#flushQueued = false;
        this.#background(() => this.flush());
      });
    }
  }

  #background(task: () => Promise<unknown>): void {
    task().catch((error) => {
      fileLogger.warn("Budget upkeep of {path} failed: {error}", () => ({
        path: this.#host.path,
        error,
      }));
    });
  }

  /**
   * Writes queued recency marks and this process's usage changes to the
   * shared estimate; runs an eviction pass when it is over budget (or when
   * there is no estimate yet, to make one).
   */
  flush(): Promise<void> {
    return this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
  }

  async #flush(): Promise<void> {
    const touches = [...this.#touches];
    this.#touches.clear();
    for (const [path, time] of touches) await this.#host.fs.touch!(path, time);
    const delta = this.#delta;
    if (delta.entries === 0 && delta.bytes === 0) return;
    this.#delta = { entries: 0, bytes: 0 };
    const recorded = await this.recorded();
    if (recorded === null) {
      await this.evict();
      return;
    }
    const usage = {
      entries: recorded.entries + delta.entries,
      bytes: recorded.bytes + delta.bytes,
    };
    await this.#writeUsage(usage);
    if (usage.bytes > this.limits.maxSize || usage.entries > this.limits.maxEntries) {
      await this.evict();
    }
  }

  async #writeUsage(usage: BucketUsage): Promise<void> {
    const text = `bucketcache usage 1: ${Math.max(0, usage.entries)} ${
      Math.max(0, usage.bytes)
    }\nEntries and bytes of this directory, estimated; corrected by each eviction pass.\n`;
    const path = join(this.#host.path, USAGE_FILE);
    try {
      await this.#host.fs.writeFileAtomic(path, encoder.encode(text));
    } catch (error) {
      if ((error as { code?: string })?.code !== "ENOENT") throw error;
      await this.#host.fs.mkdir(this.#host.path);
      await this.#host.fs.writeFileAtomic(path, encoder.encode(text));
    }
  }

  /** Runs an eviction pass (after the one running, if any) against `limits`. */
  evict(limits: BudgetLimits = this.limits): Promise<EvictionResult> {
    const previous = this.#pass;
    const next = (previous ?? Promise.resolve()).catch(() => {}).then(() => this.#evict(limits));
    this.#pass = next;
    next.finally(() => {
      if (this.#pass === next) this.#pass = undefined;
    }).catch(() => {});
    return next;
  }

  async #evict(limits: BudgetLimits): Promise<EvictionResult> {
    const host = this.#host;
    const now = Date.now();
    const result: EvictionResult = {
      usage: { entries: 0, bytes: 0 },
      evicted: 0,
      expired: 0,
      bytes: 0,
    };
    const histogram = Array.from({ length: AGE_BUCKETS }, () => ({ entries: 0, bytes: 0 }));
    // Pass 1: remove expired entries; measure the rest by age.
    for await (const [path, stat] of this.#entries()) {
      const prefix = await host.fs.readPrefix(path, HEADER_SIZE);
      const header = prefix === null ? null : parseHeader(prefix);
      if (header !== null && typeof header !== "string" && host.isExpired(header, now, path)) {
        if (await host.removeIfUnchanged(path, prefix!, true)) {
          result.expired++;
          result.bytes += stat.size;
          continue;
        }
      }
      const slot = histogram[ageBucket(now - stat.mtimeMs)];
      slot.entries++;
      slot.bytes += stat.size;
      result.usage.entries++;
      result.usage.bytes += stat.size;
    }
    const excess = {
      entries: Math.max(0, result.usage.entries - Math.floor(limits.maxEntries * EVICT_TO)),
      bytes: Math.max(0, result.usage.bytes - Math.floor(limits.maxSize * EVICT_TO)),
    };
    const over = result.usage.entries > limits.maxEntries || result.usage.bytes > limits.maxSize;
    if (over && (excess.entries > 0 || excess.bytes > 0)) {
      // The youngest age bucket that must go, counting from the oldest.
      let cutoff = AGE_BUCKETS - 1;
      let entries = 0;
      let bytes = 0;
      for (; cutoff > 0; cutoff--) {
        entries += histogram[cutoff].entries;
        bytes += histogram[cutoff].bytes;
        if (entries >= excess.entries && bytes >= excess.bytes) break;
      }
      // Pass 2: remove entries of that age or older until the excess is gone.
      let removedEntries = 0;
      let removedBytes = 0;
      for await (const [path, stat] of this.#entries()) {
        if (removedEntries >= excess.entries && removedBytes >= excess.bytes) break;
        if (ageBucket(Date.now() - stat.mtimeMs) < cutoff) continue;
        if (await host.fs.remove(path)) {
          removedEntries++;
          removedBytes += stat.size;
        }
      }
      result.evicted = removedEntries;
      result.bytes += removedBytes;
      result.usage.entries -= removedEntries;
      result.usage.bytes -= removedBytes;
      if (removedEntries > 0 && !warnedThisProcess) {
        warnedThisProcess = true;
        fileLogger.warn(
          "Evicted {evicted} least recently used entries from {path} to keep it within its budget " +
            "(maxSize {maxSize} bytes, maxEntries {maxEntries}); this is logged once per process",
          () => ({
            evicted: removedEntries,
            path: host.path,
            maxSize: limits.maxSize,
            maxEntries: limits.maxEntries,
          }),
        );
      }
    }
    host.counted("evictions", result.evicted);
    host.counted("expired", result.expired);
    await this.#writeUsage(result.usage);
    return result;
  }

  /** Streams every entry file with its size and last use, shard by shard. */
  async *#entries(): AsyncGenerator<[string, { size: number; mtimeMs: number }]> {
    for (const dir of this.#host.directories) {
      for await (const name of this.#host.fs.list(dir)) {
        if (!ENTRY_NAME.test(name)) continue;
        const path = join(dir, name);
        const stat = await this.#host.fs.stat(path);
        if (stat !== null) yield [path, stat];
      }
    }
  }
}

/** Whether the first eviction warning of this process was logged (for tests). */
export function resetEvictionWarning(): void {
  warnedThisProcess = false;
}
