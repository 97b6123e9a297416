/**
 * What a bucket's operations report.
 *
 * @module
 */

/** What a bucket did in this process: see `Bucket.stats()`. */
export interface BucketStats {
  /** Reads that found a live entry (in memory or in its file). */
  hits: number;
  /** Reads that found none. */
  misses: number;
  /** Entry files written. */
  writes: number;
  /** Bytes of entry files written. */
  bytesWritten: number;
  /** Entries deleted by `delete`. */
  deletes: number;
  /** Entries evicted to keep within `maxSize` / `maxEntries`. */
  evictions: number;
  /** Expired entry files removed (on reading, pruning or evicting). */
  expired: number;
  /** Damaged entry files removed. */
  damaged: number;
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

/** What `DeferredWriteBucket.sync` wrote. */
export interface SyncResult {
  /** Entries written. */
  written: number;
  /** Bytes written. */
  bytes: number;
  /** Pending entries that expired before the sync and were dropped, not written. */
  dropped: number;
}

/** What `Bucket.pruneDirectory` deleted. */
export interface PrunedFilesInfo {
  /** Bytes deleted. */
  size: number;
  /** Files deleted. */
  num: number;
}

/**
 * What `explain` found for a key: what a read would return now, and why.
 * Explaining changes nothing (no removal, no recency mark, no statistics).
 */
export interface Explanation {
  /** `"hit"`: a live entry; `"stale"`: expired, within its stale window; `"miss"`: neither. */
  status: "hit" | "miss" | "stale";
  /**
   * Why it is not a hit: `"absent"` (no entry, or a file that is not the
   * library's), `"expired"`, `"damaged"`, `"invalidated"` (by a tag), or
   * `"bypassed"` (memoize's `nocache` would skip the read).
   */
  reason?: "absent" | "expired" | "damaged" | "invalidated" | "bypassed";
  /** The entry's file path (in its shard; where a layout-1 file was found, that path). */
  file: string;
  /** The key's hash: the file name without its extension. */
  hash: string;
  /** When the entry expires (ms since the epoch), or null. */
  expiresAt: number | null;
  /** When its file was last written (or, under a budget, used): its modification time. */
  storedAt: number | null;
  /** Until when it may be served stale, or null. */
  staleUntil?: number | null;
  /** Whether the answer comes from this process's memory layer. */
  inMemory: boolean;
  /** Whether it is a deferred write not yet synced. */
  pending?: boolean;
  /** For a damaged file: what the check found. */
  damage?: string;
  /** For a file at the entry's path that is not the library's: what it is not. */
  foreign?: string;
  /** The memoised function that wrote it. */
  fn?: string;
  /** That function's `version`, as text. */
  version?: string;
  /** The entry's tags. */
  tags?: string[];
  /** The tags invalidated since the entry was written. */
  invalidatedBy?: string[];
}
