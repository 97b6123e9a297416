// Look up a key, or compute its value once: what memoised functions and
// `bucket.getOrSet` share.
//
// - One computation per key in a process: concurrent callers join the flight
//   in progress (flight.ts). With `lock`, also one across processes and
//   machines: the flight takes a lease on the key in the storage (lease.ts)
//   before computing; callers elsewhere wait for the entry and read it.
// - `timeout`: a computation that takes longer rejects every caller with a
//   DOMException named "TimeoutError" and frees the key; its late result is
//   not stored.
// - Abort signals: a caller whose signal aborts is rejected with its reason
//   at once; the computation goes on for the others (its own signal aborts
//   only when every caller has gone, or on timeout).
// - Stale values: within `staleWhileRevalidate` after expiry a caller gets
//   the stale value at once and one refresh runs in the background (handed to
//   `waitUntil`); within `staleIfError` a failed computation is answered with
//   the stale value (and logged) instead of the error.
// - A computation that asks for its own key would wait for itself: it is a
//   TypeError naming the function (found through async context, where the
//   runtime has it).
// A hit never touches the lock.

import type { WriteDetails } from "./store.ts";
import { newAsyncContext } from "../fs/async_context.ts";
import { fileLogger, keyForLog, memoizeLogger } from "../log.ts";
import type { Located } from "./located.ts";
import type { MemoryEntry } from "./memory.ts";
import type { View } from "./view.ts";
import type { Flight, Outcome } from "./flight.ts";
import { Lease, leasePath } from "./lease.ts";

export { DEFAULT_WAIT_MS, readLock, readMs } from "./compute_options.ts";

/** How one key is computed (options of memoize and getOrSet, resolved). */
export interface ComputePolicy {
  /** The function's name, for errors and logs. */
  name: string;
  /** The entry's lifetime, and whether it is its own. */
  lifetime: number | null;
  own: boolean;
  /** Skip the read: compute and overwrite. */
  refresh: boolean;
  /** Across processes: lease length and how long to wait for another holder. */
  lock?: { leaseMs: number; waitMs: number };
  /** Milliseconds a computation may take. */
  timeout?: number;
  /** Milliseconds after expiry during which the stale value is served while one refresh runs. */
  staleWhileRevalidate: number;
  /** Milliseconds after expiry during which a failed refresh is answered with the stale value. */
  staleIfError: number;
  /** Receives background refreshes (serverless hosts must be told to wait for them). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** What the entry records about itself: a memoised function's name, version and tags. */
  describe?: (value: unknown) => Pick<WriteDetails, "fn" | "version" | "tags">;
}

/** The flights the current async call runs inside (to catch self-recursion). */
const running = newAsyncContext<ReadonlySet<Flight>>();
let warnedNoLease = false;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The value of a key: its live entry, a stale one within the stale windows,
 * or the result of `compute`, stored.
 *
 * @param view the store and its write policy
 * @param located the key, located
 * @param keyValue the key value (for the entry and logs)
 * @param compute computes the value; its signal aborts on timeout or when every caller has gone
 * @param policy the options, resolved
 * @param signals the caller's abort signals
 */
export async function getOrCompute(
  view: View,
  located: Located,
  keyValue: unknown,
  compute: (signal: AbortSignal) => unknown,
  policy: ComputePolicy,
  signals: readonly AbortSignal[] = [],
): Promise<Outcome> {
  const store = view.store;
  const inFlight = store.flights.get(located.memKey);
  if (inFlight !== undefined && running?.getStore()?.has(inFlight)) {
    throw new TypeError(
      `${policy.name} called itself with the arguments it is computing, which would wait for ` +
        "itself forever: compute the inner call with other arguments, or call the function it wraps",
    );
  }
  for (const signal of signals) signal.throwIfAborted();
  let stale: MemoryEntry | undefined;
  if (!policy.refresh) {
    let entry: MemoryEntry | undefined;
    try {
      entry = await store.lookupLocated(located, true);
    } catch (error) {
      // Storage errors (they carry a code such as EACCES) fall back to
      // computing; any other error keeps its meaning.
      if (typeof (error as { code?: unknown })?.code !== "string") throw error;
      memoizeLogger.warn("Reading the cache for {name} failed; computing it: {error}", () => ({
        name: policy.name,
        error,
      }));
    }
    if (entry !== undefined) {
      const now = Date.now();
      if (!store.isExpired(entry, now)) {
        return { value: entry.value, status: "hit", expiresAt: entry.expiresAt };
      }
      const expiredAt = entry.expiresAt ?? now;
      if (now <= expiredAt + policy.staleWhileRevalidate) {
        revalidate(view, located, keyValue, compute, policy);
        return { value: entry.value, status: "stale", expiresAt: entry.expiresAt };
      }
      if (now <= expiredAt + policy.staleIfError) stale = entry;
    }
  }
  const flight = store.flights.get(located.memKey) ??
    startFlight(view, located, keyValue, compute, policy);
  try {
    return await join(flight, signals);
  } catch (error) {
    if (stale === undefined || signals.some((signal) => signal.aborted)) throw error;
    memoizeLogger.warn(
      "Computing {name} failed; serving its stale value (staleIfError): {error}",
      () => ({ name: policy.name, key: keyForLog(keyValue), error }),
    );
    return { value: stale.value, status: "stale", expiresAt: stale.expiresAt };
  }
}

/** Starts one background refresh of a key, unless one is running. */
function revalidate(
  view: View,
  located: Located,
  keyValue: unknown,
  compute: (signal: AbortSignal) => unknown,
  policy: ComputePolicy,
): void {
  if (view.store.flights.has(located.memKey)) return;
  const flight = startFlight(view, located, keyValue, compute, policy);
  flight.steadfast++;
  const background = flight.promise.then(
    () => undefined,
    (error) => {
      memoizeLogger.warn(
        "Refreshing {name} in the background failed; its stale value keeps being served: {error}",
        () => ({ name: policy.name, key: keyForLog(keyValue), error }),
      );
    },
  );
  policy.waitUntil?.(background);
}

/** Waits for a flight as one caller; the caller's signals reject it alone. */
function join(flight: Flight, signals: readonly AbortSignal[]): Promise<Outcome> {
  if (signals.length === 0) {
    flight.steadfast++;
    return flight.promise;
  }
  flight.abortable++;
  return new Promise<Outcome>((resolve, reject) => {
    let done = false;
    const leave = (reason: unknown) => {
      if (done) return;
      done = true;
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
      flight.abortable--;
      if (flight.abortable === 0 && flight.steadfast === 0) {
        // Everyone has gone: a later caller must not join an aborted computation.
        flight.free();
        flight.controller.abort(reason);
      }
      reject(reason);
    };
    const onAbort = function (this: AbortSignal) {
      leave(this.reason);
    };
    for (const signal of signals) {
      if (signal.aborted) return leave(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    flight.promise.then((outcome) => {
      if (done) return;
      done = true;
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    }, (error) => {
      if (done) return;
      done = true;
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/** Starts the computation of a key in this process. */
function startFlight(
  view: View,
  located: Located,
  keyValue: unknown,
  compute: (signal: AbortSignal) => unknown,
  policy: ComputePolicy,
): Flight {
  const store = view.store;
  const memKey = located.memKey;
  const controller = new AbortController();
  const flight: Flight = {
    promise: undefined!,
    controller,
    abortable: 0,
    steadfast: 0,
    abandoned: false,
    free: () => {
      if (store.flights.get(memKey) === flight) store.flights.delete(memKey);
    },
  };
  const free = flight.free;
  (flight as { promise: Promise<Outcome> }).promise = (async (): Promise<Outcome> => {
    let lease: Lease | undefined;
    if (policy.lock !== undefined) {
      const got = await lockOrWait(view, located, policy);
      if (got.entry !== undefined) {
        return { value: got.entry.value, status: "hit", expiresAt: got.entry.expiresAt };
      }
      lease = got.lease;
    }
    try {
      const value = await withTimeout(flight, () => runInside(flight, compute), policy, free);
      if (flight.abandoned) throw timeoutError(policy);
      return await storeResult(view, located, keyValue, value, policy);
    } finally {
      await lease?.release().catch((error) => {
        fileLogger.warn("Could not release the lock of {name}: {error}", () => ({
          name: policy.name,
          error,
        }));
      });
    }
  })();
  store.flights.set(memKey, flight);
  flight.promise.then(free, free);
  return flight;
}

/** Runs the computation with this flight added to the async context. */
function runInside(flight: Flight, compute: (signal: AbortSignal) => unknown): Promise<unknown> {
  const signal = flight.controller.signal;
  if (running === undefined) return Promise.resolve().then(() => compute(signal));
  const outer = running.getStore();
  const inside = new Set(outer);
  inside.add(flight);
  return running.run(inside, () => Promise.resolve().then(() => compute(signal)));
}

function timeoutError(policy: ComputePolicy): DOMException {
  return new DOMException(
    `${policy.name} did not finish within its timeout of ${policy.timeout} ms`,
    "TimeoutError",
  );
}

/** The computation, rejected with a TimeoutError past `policy.timeout` (the key is freed then). */
async function withTimeout(
  flight: Flight,
  run: () => Promise<unknown>,
  policy: ComputePolicy,
  free: () => void,
): Promise<unknown> {
  const computing = run();
  if (policy.timeout === undefined) return await computing;
  computing.catch(() => {}); // A late failure has no one to tell.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      flight.abandoned = true;
      free();
      const error = timeoutError(policy);
      flight.controller.abort(error);
      reject(error);
    }, policy.timeout);
  });
  try {
    return await Promise.race([computing, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stores a computed value; a write that fails for storage reasons is logged, the value returned. */
async function storeResult(
  view: View,
  located: Located,
  keyValue: unknown,
  value: unknown,
  policy: ComputePolicy,
): Promise<Outcome> {
  // A read-only bucket computes and returns, storing nothing.
  if (view.store.readOnly) return { value, status: "miss", expiresAt: null };
  const details: WriteDetails = {
    staleWindow: Math.max(policy.staleWhileRevalidate, policy.staleIfError),
    ...policy.describe?.(value),
  };
  try {
    const entry = await view.store.setLocated(
      located,
      keyValue,
      value,
      view.deferred,
      policy.lifetime,
      policy.own,
      details,
    );
    return { value, status: "miss", expiresAt: entry.expiresAt };
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw error;
    memoizeLogger.error("Could not cache the result of {name}: {error}", () => ({
      name: policy.name,
      key: keyForLog(keyValue),
      error,
    }));
    return { value, status: "miss", expiresAt: null };
  }
}

/**
 * Takes the key's lease, or waits for its holder's entry: resolves the
 * lease to compute under, the entry someone else computed, or neither (no
 * lease support, or `waitMs` passed: compute without it).
 */
async function lockOrWait(
  view: View,
  located: Located,
  policy: ComputePolicy,
): Promise<{ lease?: Lease; entry?: MemoryEntry }> {
  const store = view.store;
  const fs = store.fs;
  if (store.readOnly) return {}; // it writes no lease either
  if (typeof fs.createExclusive !== "function") {
    if (!warnedNoLease) {
      warnedNoLease = true;
      fileLogger.warn(
        "The {adapter} adapter has no createExclusive(): lock holds within this process only",
        () => ({ adapter: fs.name }),
      );
    }
    return {};
  }
  const { leaseMs, waitMs } = policy.lock!;
  const fileName = store.fileName(located);
  await store.directory.check();
  await store.directory.makeShard(fileName);
  const path = leasePath(store.entryPath(fileName));
  const exclusive = fs as typeof fs & Required<Pick<typeof fs, "createExclusive">>;
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    const lease = await Lease.acquire(exclusive, path, leaseMs);
    // Whoever held the lease may have written the entry meanwhile.
    const entry = await store.peekFile(located);
    if (lease !== undefined) {
      if (entry === undefined) return { lease };
      await lease.release();
      return { entry };
    }
    if (entry !== undefined) return { entry };
    if (Date.now() >= deadline) {
      memoizeLogger.warn(
        "Waited {waitMs} ms for another process computing {name}; computing it here too",
        () => ({ waitMs, name: policy.name }),
      );
      return {};
    }
    await sleep(Math.min(delay * (0.5 + Math.random()), Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 250);
  }
}
