// The usage file of a budgeted directory (`.bucketcache-usage`): one line
// "bucketcache usage 1: <entries> <bytes>", an estimate every process adds
// its writes to and each eviction pass corrects.

/** Entries and bytes of entry files (header and payload). */
export interface UsageCount {
  /** Entry files. */
  entries: number;
  /** Their bytes. */
  bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LINE = /^bucketcache usage 1: (-?\d+) (-?\d+)\n/;

/** Bytes of a usage file's prefix to read: enough for its first line. */
export const USAGE_PREFIX_LENGTH = 128;

/** Reads a usage file's first line; null when missing or not of this form. */
export function parseUsageFile(bytes: Uint8Array | null): UsageCount | null {
  if (bytes === null) return null;
  const match = LINE.exec(decoder.decode(bytes));
  return match ? { entries: Number(match[1]), bytes: Number(match[2]) } : null;
}

/** The bytes of a usage file recording `usage`. */
export function encodeUsageFile(usage: UsageCount): Uint8Array {
  return encoder.encode(
    `bucketcache usage 1: ${Math.max(0, usage.entries)} ${Math.max(0, usage.bytes)}\n` +
      "Entries and bytes of this directory, estimated; corrected by each eviction pass.\n",
  );
}
