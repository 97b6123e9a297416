// The in-memory layer of a bucket: a bounded least-recently-used map of
// entries, served by reference. A Map keeps insertion order; a hit only marks
// its entry used (one property write, no Map reordering on the hot path), and
// eviction walks from the oldest entry, giving marked entries a second chance:
// they move to the end, unmarked. Recently read entries therefore outlive
// entries nobody read since they were stored (the "second chance" LRU).

import type { EntryMeta } from "../format/entry.ts";

/** One entry held in memory. */
export interface MemoryEntry {
  /** The value, by reference. */
  value: unknown;
  /** Expiry in ms since the epoch, or null. */
  expiresAt: number | null;
  /** Whether the expiry comes from the entry's own lifetime. */
  own: boolean;
  /** Until when it may be served stale once expired (ms since the epoch), or null. */
  staleUntil?: number | null;
  /** What the entry says about itself (version 2): function, version, tag generations. */
  meta?: EntryMeta;
  /** The entry's serialised size in bytes (what the bounds count). */
  size: number;
  /** Not yet written to disk (deferred writes): never evicted. */
  pending: boolean;
  /** The entry's file name (hash and extension), once known. */
  fileName?: string;
  /** The original key, for deferred writes and logs. */
  key?: unknown;
  /** The complete entry file, while pending. */
  file?: Uint8Array;
  /** Read since it was stored or last spared by eviction. */
  used?: boolean;
  /** When this process last marked the entry's file as used (size budgets). */
  touchedAt?: number;
}

/** Bounds of the memory layer. */
export interface MemoryLimits {
  /** Entries held at most. */
  maxEntries: number;
  /** Serialised bytes held at most. */
  maxBytes: number;
}

/** The defaults: 10,000 entries or 64 MiB of serialised values, whichever comes first. */
export const DEFAULT_MEMORY_LIMITS: Readonly<MemoryLimits> = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
});

/** A bounded LRU map of entries. */
export class MemoryLayer {
  readonly limits: MemoryLimits;
  readonly #entries = new Map<string, MemoryEntry>();
  #bytes = 0;

  constructor(limits: MemoryLimits) {
    this.limits = limits;
  }

  /** The entry for `key`, marked as just used. */
  get(key: string): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.used = true;
    return entry;
  }

  /** The entry for `key` without touching its recency. */
  peek(key: string): MemoryEntry | undefined {
    return this.#entries.get(key);
  }

  /** Stores an entry, then evicts the least recently used until within bounds. */
  set(key: string, entry: MemoryEntry): void {
    this.delete(key);
    this.#entries.set(key, entry);
    this.#bytes += entry.size;
    this.#evict();
  }

  /** Drops an entry; returns it. */
  delete(key: string): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= entry.size;
    }
    return entry;
  }

  /** Every entry, with its memory key (a snapshot: deleting while iterating is fine). */
  entries(): [string, MemoryEntry][] {
    return [...this.#entries];
  }

  /** Entries not yet written, with their memory keys. */
  *pending(): Generator<[string, MemoryEntry]> {
    for (const item of this.#entries) if (item[1].pending) yield item;
  }

  /** Evicts entries once pending ones were written. */
  trim(): void {
    this.#evict();
  }

  #evict(): void {
    const { maxEntries, maxBytes } = this.limits;
    if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) return;
    // Each entry is spared at most once per call, so this ends.
    let spared = this.#entries.size;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) return;
      if (entry.pending) continue;
      this.#entries.delete(key);
      if (entry.used && spared-- > 0) {
        entry.used = false;
        this.#entries.set(key, entry);
        continue;
      }
      this.#bytes -= entry.size;
    }
  }
}
