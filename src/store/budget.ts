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
//   budget: it streams the shards, removing expired entries and measuring;
//   if still over, it streams them again keeping only the least recently
//   used entries that must go (a heap, no bigger than the excess), then
//   removes those not used since. It brings usage to
//   90% of the budget, so passes are amortised over at least a tenth of the
//   budget's worth of writes.

import { join } from "../fs/path.ts";
import type { FileSystem } from "../fs/types.ts";
import type { BucketUsage, EvictionResult } from "../results.ts";
import { isProblem } from "../format/entry.ts";
import { USAGE_FILE } from "../format/layout.ts";
import { encodeUsageFile, parseUsageFile, USAGE_PREFIX_LENGTH } from "../format/usage_file.ts";
import { walkBucket } from "../format/walk.ts";
import { fileLogger } from "../log.ts";
import { backgroundTimer } from "../fs/background_timer.ts";
import { deletableByAge } from "./expiry.ts";
import type { Remover } from "./remove.ts";
/** A memory hit re-marks its entry's file as used at most this often. */
export const TOUCH_INTERVAL_MS = 60_000;
/** An eviction pass brings usage down to this share of the budget. */
export const EVICT_TO = 0.9;
const FLUSH_DELAY_MS = 1000;

/** A budget; `Infinity` where there is no limit. */
export interface BudgetLimits {
  maxSize: number;
  maxEntries: number;
}

/** What the budget needs from its bucket. */
export interface BudgetHost {
  readonly fs: FileSystem;
  readonly path: string;
  /** The backends whose entries count (by file extension). */
  readonly extensions: ReadonlySet<string>;
  /** How far clocks may differ, for deleting expired entries. */
  readonly clockTolerance: number;
  readonly remover: Remover;
  counted(event: "evictions" | "expired", n: number): void;
}

let warnedThisProcess = false;

/** One bucket's budget: accounting, recency and eviction. */
export class Budget {
  readonly limits: BudgetLimits;
  readonly #host: BudgetHost;
  #delta: BucketUsage = { entries: 0, bytes: 0 };
  /** Written by this process since its last eviction pass. */
  #written: BucketUsage = { entries: 0, bytes: 0 };
  readonly #touches = new Map<string, number>();
  #flushQueued = false;
  #flushing: Promise<void> | undefined;
  #pass: Promise<EvictionResult> | undefined;

  readonly #keepsEstimate: boolean;

  /**
   * @param limits the budget
   * @param host what the budget needs from its bucket
   * @param keepsEstimate whether this budget keeps the shared usage file; a
   *   one-off pass (`evict(limits)` on a bucket without a budget) only
   *   corrects one that exists
   */
  constructor(limits: BudgetLimits, host: BudgetHost, keepsEstimate = true) {
    this.limits = limits;
    this.#host = host;
    this.#keepsEstimate = keepsEstimate;
  }

  /** Counts a written entry file; `replaced` is the size of the entry it replaced, if known. */
  noteWrite(bytes: number, replaced: number | undefined): void {
    this.#delta.bytes += bytes - (replaced ?? 0);
    if (replaced === undefined) this.#delta.entries++;
    // The shared estimate can miss other processes' updates (two flushing at
    // once): whatever it says, a process that wrote a tenth of the budget
    // since its last pass runs one.
    this.#written.entries++;
    this.#written.bytes += bytes;
    if (
      this.#written.entries >= this.limits.maxEntries / 10 ||
      this.#written.bytes >= this.limits.maxSize / 10
    ) {
      this.#written = { entries: 0, bytes: 0 };
      this.#background(async () => {
        await this.flush();
        await this.evict();
      });
      return;
    }
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
    return parseUsageFile(
      await this.#host.fs.readPrefix(join(this.#host.path, USAGE_FILE), USAGE_PREFIX_LENGTH),
    );
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
    const path = join(this.#host.path, USAGE_FILE);
    try {
      await this.#host.fs.writeFileAtomic(path, encodeUsageFile(usage));
    } catch (error) {
      if ((error as { code?: string })?.code !== "ENOENT") throw error;
      await this.#host.fs.mkdir(this.#host.path);
      await this.#host.fs.writeFileAtomic(path, encodeUsageFile(usage));
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
    const keepEntries = Math.floor(limits.maxEntries * EVICT_TO);
    const keepBytes = Math.floor(limits.maxSize * EVICT_TO);
    // Pass 1: remove expired entries; measure the rest.
    for await (const { path, prefix, header, stat } of this.#entries()) {
      if (!isProblem(header) && deletableByAge(header, now, host.clockTolerance)) {
        if (await host.remover.removeJudged(path, prefix, true)) {
          result.expired++;
          result.bytes += stat.size;
          continue;
        }
      }
      result.usage.entries++;
      result.usage.bytes += stat.size;
    }
    const over = result.usage.entries > limits.maxEntries || result.usage.bytes > limits.maxSize;
    // Pass 2 (only when over): the least recently used entries that cover
    // the excess, in a heap with the youngest on top, so it never holds more.
    const excessEntries = over ? result.usage.entries - keepEntries : 0;
    const excessBytes = over ? result.usage.bytes - keepBytes : 0;
    const oldest = new YoungestFirstHeap();
    if (excessEntries > 0 || excessBytes > 0) {
      const fresh = { entries: 0, bytes: 0 };
      for await (const { path, prefix, stat } of this.#entries()) {
        fresh.entries++;
        fresh.bytes += stat.size;
        oldest.push({ path, prefix, size: stat.size, mtimeMs: stat.mtimeMs });
        oldest.trim(excessEntries, excessBytes);
      }
      // Another process may have evicted meanwhile: trim to what is still over.
      oldest.trim(fresh.entries - keepEntries, fresh.bytes - keepBytes);
      result.usage = fresh;
    }
    if (over) {
      for (const candidate of oldest.items()) {
        // Used or rewritten since it was measured: it is no longer old.
        const stat = await host.fs.stat(candidate.path);
        if (stat === null || stat.mtimeMs !== candidate.mtimeMs) continue;
        if (await host.remover.removeJudged(candidate.path, candidate.prefix, true)) {
          result.evicted++;
          result.bytes += candidate.size;
          result.usage.entries--;
          result.usage.bytes -= candidate.size;
        }
      }
      if (result.evicted > 0 && !warnedThisProcess) {
        warnedThisProcess = true;
        fileLogger.warn(
          "Evicted {evicted} least recently used entries from {path} to keep it within its budget " +
            "(maxSize {maxSize} bytes, maxEntries {maxEntries}); this is logged once per process",
          () => ({
            evicted: result.evicted,
            path: host.path,
            maxSize: limits.maxSize,
            maxEntries: limits.maxEntries,
          }),
        );
      }
    }
    host.counted("evictions", result.evicted);
    host.counted("expired", result.expired);
    try {
      if (this.#keepsEstimate || await this.recorded() !== null) {
        await this.#writeUsage(result.usage);
      }
    } catch (error) {
      // The pass did its work; the estimate is corrected by the next one.
      fileLogger.warn("Could not record the usage of {path}: {error}", () => ({
        path: host.path,
        error,
      }));
    }
    return result;
  }

  /** Streams the library's entry files (of every backend it knows), with header and stat. */
  async *#entries() {
    const { fs, path, extensions } = this.#host;
    for await (const found of walkBucket(fs, path, { extensions })) {
      if (found.kind === "entry") yield found;
    }
  }
}

interface Candidate {
  path: string;
  prefix: Uint8Array;
  size: number;
  mtimeMs: number;
}

/** A binary heap of eviction candidates, the most recently used on top. */
class YoungestFirstHeap {
  readonly #items: Candidate[] = [];
  bytes = 0;

  get size(): number {
    return this.#items.length;
  }

  peek(): Candidate | undefined {
    return this.#items[0];
  }

  items(): readonly Candidate[] {
    return this.#items;
  }

  /** Drops the youngest candidates not needed to cover `entries` and `bytes`. */
  trim(entries: number, bytes: number): void {
    while (this.#items.length > 0) {
      const top = this.#items[0];
      if (this.#items.length - 1 < entries || this.bytes - top.size < bytes) break;
      this.pop();
    }
  }

  push(item: Candidate): void {
    const items = this.#items;
    items.push(item);
    this.bytes += item.size;
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (items[parent].mtimeMs >= items[i].mtimeMs) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): Candidate | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    this.bytes -= top.size;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let largest = i;
        if (left < items.length && items[left].mtimeMs > items[largest].mtimeMs) largest = left;
        if (right < items.length && items[right].mtimeMs > items[largest].mtimeMs) largest = right;
        if (largest === i) break;
        [items[largest], items[i]] = [items[i], items[largest]];
        i = largest;
      }
    }
    return top;
  }
}

/** Whether the first eviction warning of this process was logged (for tests). */
export function resetEvictionWarning(): void {
  warnedThisProcess = false;
}
