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
