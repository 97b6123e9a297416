/**
 * The types of memoised functions and their options.
 *
 * @module
 */

import type { DurationLike } from "./lifetime.ts";
import type { Explanation } from "./results.ts";

/** Options of `bucket.memoize`. */
export interface MemoizeOptions {
  /**
   * Include `this` in the key: its class name and its own enumerable
   * properties (functions left out), or what its
   * `[Symbol.for("bucketcache.keyState")]()` returns. Implied by the decorator.
   */
  method?: boolean;
  /**
   * A parameter name, or a predicate over the arguments: when truthy the
   * cache is not read, the function is called and its result overwrites the
   * entry. A named argument is not part of the key.
   */
  // deno-lint-ignore no-explicit-any
  nocache?: string | ((...args: any[]) => unknown);
  /** Parameter names or positions left out of the key; a rest parameter's name drops all extra arguments. */
  ignore?: readonly (string | number)[];
  /** What to key on instead of the arguments. */
  // deno-lint-ignore no-explicit-any
  key?: (...args: any[]) => unknown;
  /** The function's identity in the key; default its `name`. */
  name?: string;
  /** Any key-able value; changing it starts a fresh set of entries. */
  version?: unknown;
  /**
   * The lifetime of this function's entries (ms or a duration; `0`/`null`:
   * never expire), which they keep whatever the bucket's lifetime. Default:
   * the bucket's lifetime.
   */
  lifetime?: number | DurationLike | null;
  /**
   * One computation per key across processes, runtimes and machines: a
   * miss takes a lease on the key in the bucket's storage before computing;
   * callers elsewhere wait for the entry and read it. `leaseMs` (default
   * 30,000): a holder that stops renewing (it died) loses the lease after
   * this long and one waiter takes over; a live holder renews it every third
   * of it. `waitMs` (default 300,000): how long a waiter waits before it
   * computes by itself. Needs an adapter with `createExclusive()` (all
   * built-in ones); without it, one warning, and the lock holds within this
   * process. A hit never touches the lock.
   */
  lock?: boolean | LockOptions;
  /**
   * Milliseconds a computation may take: past it, every caller waiting for
   * it rejects with a `DOMException` named `"TimeoutError"`, the key is free
   * for the next caller, and a late result is not stored.
   */
  timeout?: number;
  /**
   * Milliseconds after expiry during which callers get the stale value at
   * once while exactly one refresh runs in the background (one per key
   * across processes with `lock`). Default 0 (off).
   */
  staleWhileRevalidate?: number;
  /**
   * Milliseconds after expiry during which a failed computation is answered
   * with the stale value (the failure is logged) instead of the error.
   * Default 0 (off).
   */
  staleIfError?: number;
  /**
   * Receives each background refresh's promise, for serverless hosts that
   * must be told to wait (`ctx.waitUntil` in Workers, Vercel's `waitUntil`).
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * Tags for the entries (`bucket.invalidateTags`): a list, or a function
   * of the result that returns one.
   */
  // deno-lint-ignore no-explicit-any
  tags?: string[] | ((result: any) => string[]);
  /**
   * Called on every call, after it resolves, with its status (`"hit"`,
   * `"miss"`, `"stale"`) and what `explain` would have said just before it.
   * Setting it makes every call read its entry as `explain` does first, so
   * it costs a file check per call; a throwing hook is logged.
   */
  onStatus?: (info: CallStatus) => void;
}

/** What `onStatus` receives: the call's status and what `explain` found before it. */
export interface CallStatus extends Explanation {
  /** The memoised function's name. */
  fn: string;
}

/** The `lock` option's parts. */
export interface LockOptions {
  /** Milliseconds a lease lasts without renewal. Default 30,000. */
  leaseMs?: number;
  /** Milliseconds a waiter waits for the holder before it computes by itself. Default 300,000. */
  waitMs?: number;
}

/** What a callback registered with `.callback()` receives on a cache hit. */
export interface CachedCallInfo<A extends readonly unknown[] = unknown[], R = unknown> {
  /** The arguments of the call. */
  args: A;
  /** The cached result. */
  returnValue: R;
  /** When the cached entry expires, or `null`. */
  expirationDate: Date | null;
}

/** A memoised function: returns a Promise of the result, and takes callbacks for cache hits. */
// deno-lint-ignore no-explicit-any
export interface Memoized<A extends any[], R, This = unknown> {
  /** Calls the function, or returns its cached result. */
  (this: This, ...args: A): Promise<Awaited<R>>;
  /**
   * Registers `cb` to be called on cache hits (with `this` bound to the
   * instance for methods). Returns the memoised function, for chaining.
   */
  callback(cb: (this: This, info: CachedCallInfo<A, Awaited<R>>) => unknown): Memoized<A, R, This>;
  /**
   * Why a call with these arguments would hit or miss now, without calling
   * the function or changing anything (see `bucket.explain`); `"bypassed"`
   * when `nocache` would skip the read.
   */
  explain(this: This, ...args: A): Promise<Explanation>;
  /** Removes the entry of a call with these arguments; `true` if there was a live one. */
  invalidate(this: This, ...args: A): Promise<boolean>;
  /**
   * Removes every entry of this function (all arguments, this `version`)
   * from memory and storage; resolves to how many. Walks the bucket.
   */
  clear(): Promise<number>;
}

/** What `bucket.memoize(options)` returns: a standard decorator for methods and getters. */
export interface MemoizeDecorator {
  /** Decorates a method returning a Promise. */
  // deno-lint-ignore no-explicit-any
  <This, A extends any[], R>(
    value: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): Memoized<A, R, This>;
  /** Decorates a getter returning a Promise. */
  <This, R>(
    value: (this: This) => Promise<R>,
    context: ClassGetterDecoratorContext<This, Promise<R>>,
  ): (
    this: This,
  ) => Promise<R>;
}
