// The options of getOrSet and memoize that are checked when they are given
// (lock, durations), apart from compute.ts, which is loaded on the first
// computation: a process that only reads does not load it.

/** The default lease: a holder that stops renewing loses it after 30 s. */
export const DEFAULT_LEASE_MS = 30_000;

/** How long a waiter waits for a lock's holder by default before it computes itself: 5 minutes. */
export const DEFAULT_WAIT_MS = 300_000;

/** Reads the `lock` option: `true` or `{ leaseMs, waitMs }`; undefined when off. */
export function readLock(
  lock: unknown,
  where: string,
): { leaseMs: number; waitMs: number } | undefined {
  if (lock === undefined || lock === false) return undefined;
  if (lock === true) return { leaseMs: DEFAULT_LEASE_MS, waitMs: DEFAULT_WAIT_MS };
  if (typeof lock !== "object" || lock === null || Array.isArray(lock)) {
    throw new TypeError(`${where} option lock must be true or { leaseMs, waitMs }`);
  }
  for (const name of Object.keys(lock)) {
    if (name !== "leaseMs" && name !== "waitMs") {
      throw new TypeError(`Unknown lock option "${name}": use leaseMs or waitMs`);
    }
  }
  const { leaseMs = DEFAULT_LEASE_MS, waitMs = DEFAULT_WAIT_MS } = lock as {
    leaseMs?: unknown;
    waitMs?: unknown;
  };
  return {
    leaseMs: readMs(leaseMs, "lock.leaseMs", where, 1),
    waitMs: readMs(waitMs, "lock.waitMs", where, 0),
  };
}

/** Reads a duration option in milliseconds: a finite number ≥ `min`, or Infinity where allowed. */
export function readMs(value: unknown, name: string, where: string, min = 0): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${where} option ${name} must be a number of milliseconds`);
  }
  if (value < min || (value === Infinity && name === "lock.leaseMs")) {
    throw new RangeError(
      `${where} option ${name} must be a number of milliseconds ≥ ${min}, got ${value}`,
    );
  }
  return value;
}
