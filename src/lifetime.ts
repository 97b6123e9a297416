/**
 * Lifetimes: how long an entry stays readable after it is set.
 *
 * @module
 */

/**
 * A duration given in parts, as Python's `timedelta` (the original's
 * `lifetime=timedelta(days=1)` or `Bucket(path, days=1)`). Parts add up.
 */
export interface DurationLike {
  /** Weeks (7 days). */
  weeks?: number;
  /** Days (24 hours). */
  days?: number;
  /** Hours. */
  hours?: number;
  /** Minutes. */
  minutes?: number;
  /** Seconds. */
  seconds?: number;
  /** Milliseconds. */
  milliseconds?: number;
  /** Microseconds (the result is rounded to milliseconds). */
  microseconds?: number;
}

/** Milliseconds per unit of each {@linkcode DurationLike} part. */
export const DURATION_UNITS: Readonly<Record<keyof DurationLike, number>> = {
  weeks: 7 * 24 * 60 * 60 * 1000,
  days: 24 * 60 * 60 * 1000,
  hours: 60 * 60 * 1000,
  minutes: 60 * 1000,
  seconds: 1000,
  milliseconds: 1,
  microseconds: 0.001,
};

const UNIT_NAMES = Object.keys(DURATION_UNITS) as (keyof DurationLike)[];

/**
 * The longest lifetime: 8e15 ms, about 253,000 years. Any expiry it gives
 * fits the entry header (which holds dates up to the year 275760, the last a
 * JavaScript `Date` represents); use `0` or `null` for "never expires".
 */
export const MAX_LIFETIME_MS = 8e15;

function checkFinite(value: number, what: string): number {
  if (Number.isNaN(value) || !Number.isFinite(value)) {
    throw new RangeError(`${what} must be a finite number of milliseconds, got ${value}`);
  }
  if (value < 0) {
    throw new RangeError(`${what} must not be negative, got ${value}; use 0 for "never expires"`);
  }
  return value;
}

/**
 * Reads a lifetime: milliseconds, a {@linkcode DurationLike}, `null` or
 * `undefined`. Returns whole milliseconds (a fraction rounds up, so
 * `{ microseconds: 1 }` is 1 ms), or `null` for "never expires" (also for
 * zero, as the original's falsy timedelta).
 *
 * @param lifetime the value given by the user
 * @param what how to name it in errors, such as `"lifetime"`
 * @returns milliseconds, or `null` when entries never expire
 * @throws {TypeError} for a value of the wrong type or an unknown duration part
 * @throws {RangeError} for a negative, NaN or infinite lifetime, or one over
 *   {@linkcode MAX_LIFETIME_MS}
 *
 * @example
 * ```ts
 * import { parseLifetime } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseLifetime({ hours: 1, minutes: 30 }), 5_400_000);
 * assert.equal(parseLifetime(0), null);
 * assert.throws(() => parseLifetime(-1), RangeError);
 * ```
 */
export function parseLifetime(lifetime: unknown, what = "lifetime"): number | null {
  if (lifetime === undefined || lifetime === null) return null;
  let ms: number;
  if (typeof lifetime === "number") {
    ms = checkFinite(lifetime, what);
  } else if (typeof lifetime === "object" && Object.getPrototypeOf(lifetime) === Object.prototype) {
    ms = 0;
    for (const [part, amount] of Object.entries(lifetime)) {
      if (!UNIT_NAMES.includes(part as keyof DurationLike)) {
        throw new TypeError(`Unknown ${what} part "${part}": use ${UNIT_NAMES.join(", ")}`);
      }
      if (typeof amount !== "number") {
        throw new TypeError(`${what}.${part} must be a number, got ${typeof amount}`);
      }
      ms += checkFinite(amount, `${what}.${part}`) * DURATION_UNITS[part as keyof DurationLike];
    }
    ms = checkFinite(ms, what);
  } else {
    throw new TypeError(
      `${what} must be milliseconds (a number) or a duration such as { hours: 1 }, got ${
        lifetime === null ? "null" : typeof lifetime
      }`,
    );
  }
  // Whole milliseconds, as entry headers hold expiry dates: a fraction rounds up.
  ms = Math.ceil(ms);
  if (ms > MAX_LIFETIME_MS) {
    throw new RangeError(
      `${what} must be at most ${MAX_LIFETIME_MS} ms (about 253,000 years), got ${ms}; ` +
        'use 0 or null for "never expires"',
    );
  }
  return ms === 0 ? null : ms;
}

/** Whether a key of bucket options is a lifetime shortcut (`hours`, …). */
export function isDurationPart(name: string): name is keyof DurationLike {
  return UNIT_NAMES.includes(name as keyof DurationLike);
}
