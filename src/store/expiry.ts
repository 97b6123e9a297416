// When an entry is expired, and when it may be deleted for it.
//
// Reading: an entry reads as missing once now is past its expiry date, or —
// when the bucket has a lifetime and the entry's expiry came from a bucket's
// lifetime ("b" in the header) — when it has no expiry date or one later
// than now + lifetime + tolerance (it was written under a longer lifetime).
//
// Deleting: only the expiry date written in the entry counts, and only once
// it is `clockTolerance` past: another process's clock may be behind ours,
// and another bucket sharing the directory may have another lifetime. The
// shortened-lifetime rule never deletes anything, and a clock that steps
// back never makes an entry deletable.

import { fileLogger } from "../log.ts";
import { usableUntil } from "../format/entry.ts";

/** What expiry looks at: an entry in memory, or an entry header. */
export interface ExpiryFields {
  /** Expiry in ms since the epoch, or null. */
  expiresAt: number | null;
  /** Whether the expiry comes from the entry's own lifetime. */
  own: boolean;
  /** Until when it may be served stale (and must be kept), or null. */
  staleUntil?: number | null;
}

/** Whether an entry reads as missing for a bucket with `lifetime` at `now`. */
export function readsAsExpired(
  entry: ExpiryFields,
  now: number,
  lifetime: number | null,
  tolerance: number,
  file?: string,
): boolean {
  const expiresAt = entry.expiresAt;
  if (expiresAt !== null && now > expiresAt) return true;
  if (
    !entry.own && lifetime !== null &&
    (expiresAt === null || expiresAt > now + lifetime + tolerance)
  ) {
    fileLogger.warn(
      "Entry {file} reads as expired: the bucket's lifetime ({lifetime} ms) is shorter than when it was written",
      () => ({ file, lifetime }),
    );
    return true;
  }
  return false;
}

/**
 * Whether an entry may be deleted for its age: its written expiry — or the
 * end of its stale window, when it has one — is `tolerance` past.
 */
export function deletableByAge(entry: ExpiryFields, now: number, tolerance: number): boolean {
  const until = usableUntil(entry);
  return until !== null && now > until + tolerance;
}

/** Whether an expired entry may still be served stale at `now` (its stale window is open). */
export function servableStale(entry: ExpiryFields, now: number): boolean {
  return entry.staleUntil !== undefined && entry.staleUntil !== null && now <= entry.staleUntil;
}
