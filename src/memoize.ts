/**
 * Memoising functions, methods and getters in a bucket.
 *
 * @module
 */

import type { View } from "./store/view.ts";
import type { Located } from "./store/located.ts";
import { RecentCalls } from "./store/recent.ts";
import type { CachedCallInfo, CallStatus, Memoized, MemoizeOptions } from "./memoize_types.ts";
import { type Parameter, readParameters } from "./_params.ts";
import { KEY_STATE } from "./keys/encode.ts";
import { keyForLog, memoizeLogger } from "./log.ts";
import { parseLifetime } from "./lifetime.ts";
import type { ComputePolicy } from "./store/compute.ts";
import { readLock, readMs } from "./store/compute_options.ts";
import { computeModule, explainModule } from "./store/later.ts";
import { readTags } from "./store/tags.ts";
import type { Store } from "./store/store.ts";
import { type EntryMeta, isProblem, readMeta } from "./format/entry.ts";
import { walkBucket } from "./format/walk.ts";
import { channels, type TraceContext, tracing } from "./trace.ts";
import type { Explanation } from "./results.ts";

const OPTION_NAMES = new Set([
  "method",
  "nocache",
  "ignore",
  "key",
  "name",
  "version",
  "lifetime",
  "lock",
  "timeout",
  "staleWhileRevalidate",
  "staleIfError",
  "waitUntil",
  "tags",
  "onStatus",
]);
const KEY_TAG = "bucketcache.memoize/1";

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Kind = "function" | "method" | "getter";

/** How calls of one memoised function become keys. */
interface Plan {
  name: string;
  method: boolean;
  version: unknown;
  /** Positions left out of the key. */
  ignored: Set<number>;
  /** Arguments from this position on are left out (an ignored rest parameter). */
  ignoreFrom: number;
  nocacheIndex: number | undefined;
  nocachePredicate: ((...args: unknown[]) => unknown) | undefined;
  key: ((...args: unknown[]) => unknown) | undefined;
}

/** Whether `value` is a TC39 decorator context object. */
export function isDecoratorContext(value: unknown): value is DecoratorContext {
  return typeof value === "object" && value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    "name" in value && typeof (value as { addInitializer?: unknown }).addInitializer === "function";
}

/** Checks memoize options; throws a TypeError naming what to change. */
export function checkOptions(options: unknown): MemoizeOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError('memoize options must be an object such as { nocache: "refresh" }');
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new TypeError(
        `Unknown memoize option "${name}": use method, nocache, ignore, key, name, version, ` +
          "lifetime, lock, timeout, staleWhileRevalidate, staleIfError, waitUntil, tags or onStatus",
      );
    }
  }
  const o = options as MemoizeOptions;
  if (o.method !== undefined && typeof o.method !== "boolean") {
    throw new TypeError("memoize option method must be true or false");
  }
  if (o.nocache !== undefined && typeof o.nocache !== "string" && typeof o.nocache !== "function") {
    throw new TypeError("memoize option nocache must be a parameter name or a predicate function");
  }
  if (o.ignore !== undefined && !Array.isArray(o.ignore)) {
    throw new TypeError("memoize option ignore must be an array of parameter names or positions");
  }
  if (o.key !== undefined && typeof o.key !== "function") {
    throw new TypeError("memoize option key must be a function of the arguments");
  }
  if (o.name !== undefined && (typeof o.name !== "string" || o.name === "")) {
    throw new TypeError("memoize option name must be a non-empty string");
  }
  computePolicy("memoize", o); // checks lock, timeout, the stale windows, waitUntil, lifetime
  if (o.tags !== undefined && typeof o.tags !== "function") readTags(o.tags, "memoize option");
  if (o.onStatus !== undefined && typeof o.onStatus !== "function") {
    throw new TypeError("memoize option onStatus must be a function (info) => void");
  }
  return o;
}

/** A memoize `version` as entries record it: text. */
function describeVersion(version: unknown): string {
  if (typeof version === "string") return version;
  try {
    return JSON.stringify(version) ?? String(version);
  } catch {
    return String(version);
  }
}

/** The tags a `tags` function gives for a result, checked. */
function callTags(tags: (result: unknown) => unknown, result: unknown): string[] | undefined {
  return readTags(tags(result), "memoize option tags() returned");
}

/**
 * Removes every entry of one memoised function (its name and version),
 * from memory and storage: one walk over the bucket, reading each version-2
 * entry's metadata; each removal race-free.
 */
export async function clearFunction(
  store: Store,
  name: string,
  version: string | undefined,
): Promise<number> {
  let removed = 0;
  const matches = (meta: EntryMeta | undefined) =>
    meta !== undefined && meta.fn === name && meta.version === version;
  for (const [memKey, entry] of store.memory.entries()) {
    if (matches(entry.meta)) {
      store.memory.delete(memKey);
      if (entry.pending) removed++;
    }
  }
  const extensions = new Set([store.backend.fileExtension]);
  for await (const found of walkBucket(store.fs, store.path, { extensions })) {
    if (found.kind !== "entry" || isProblem(found.header) || found.header.metaLength === 0) {
      continue;
    }
    const header = found.header;
    const start = await store.fs.readPrefix(found.path, header.size + header.metaLength);
    if (start === null || !matches(readMeta(start, header))) continue;
    if (await store.remover.removeJudged(found.path, start, true)) removed++;
  }
  return removed;
}

/** Whether a value is an AbortSignal (left out of keys; aborts only its caller). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof AbortSignal === "function" && value instanceof AbortSignal;
}

/**
 * Reads the options memoize and getOrSet share into a compute policy:
 * `lifetime`, `lock`, `timeout`, `staleWhileRevalidate`, `staleIfError`,
 * `waitUntil`. Throws a TypeError or RangeError naming what to change.
 */
export function computePolicy(
  name: string,
  options: {
    lifetime?: unknown;
    lock?: unknown;
    timeout?: unknown;
    staleWhileRevalidate?: unknown;
    staleIfError?: unknown;
    waitUntil?: unknown;
  },
  where = "memoize",
  lifetime: { lifetime: number | null; own: boolean } = { lifetime: null, own: false },
): ComputePolicy & { inheritLifetime: boolean } {
  const own = options.lifetime !== undefined;
  const waitUntil = options.waitUntil;
  if (waitUntil !== undefined && typeof waitUntil !== "function") {
    throw new TypeError(`${where} option waitUntil must be a function (promise) => void`);
  }
  return {
    name,
    lifetime: own ? parseLifetime(options.lifetime, `${where} lifetime`) : lifetime.lifetime,
    own: own || lifetime.own,
    inheritLifetime: !own && !lifetime.own,
    refresh: false,
    lock: readLock(options.lock, where),
    timeout: options.timeout === undefined
      ? undefined
      : readMs(options.timeout, "timeout", where, 1),
    staleWhileRevalidate: options.staleWhileRevalidate === undefined
      ? 0
      : readMs(options.staleWhileRevalidate, "staleWhileRevalidate", where),
    staleIfError: options.staleIfError === undefined
      ? 0
      : readMs(options.staleIfError, "staleIfError", where),
    waitUntil: waitUntil as ComputePolicy["waitUntil"],
  };
}

function makePlan(
  fn: AnyFunction,
  options: MemoizeOptions,
  kind: Kind,
  contextName?: string,
): Plan {
  const name = options.name ?? contextName ?? fn.name;
  if (!name) {
    throw new TypeError(
      'Cannot memoize an anonymous function without a name: pass { name: "…" } (the name is part of every key)',
    );
  }
  let parameters: Parameter[] | undefined;
  const indexOf = (param: string, option: string): number => {
    parameters ??= readParameters(fn as never);
    if (parameters === undefined) {
      throw new TypeError(
        `memoize option ${option} names "${param}", but the parameter names of ${name} cannot be read ` +
          "(a native or bound function): give positions, or use the key option",
      );
    }
    const index = parameters.findIndex((p) => p.name === param);
    if (index === -1) {
      const known = parameters.map((p) => p.name).filter(Boolean);
      throw new TypeError(
        `memoize option ${option} names "${param}", which is not a parameter of ${name} ` +
          `(its parameters: ${known.length ? known.join(", ") : "none"})`,
      );
    }
    return index;
  };
  const plan: Plan = {
    name,
    method: kind !== "function" || options.method === true,
    version: options.version ?? null,
    ignored: new Set(),
    ignoreFrom: Infinity,
    nocacheIndex: undefined,
    nocachePredicate: undefined,
    key: options.key,
  };
  if (kind !== "function" && options.method === false) {
    throw new TypeError(
      "memoize as a decorator always keys on the instance: leave out method: false",
    );
  }
  for (const item of options.ignore ?? []) {
    if (typeof item === "number") {
      if (!Number.isInteger(item) || item < 0) {
        throw new TypeError(
          `memoize option ignore: ${item} is not a parameter position (0, 1, 2, …)`,
        );
      }
      plan.ignored.add(item);
    } else if (typeof item === "string") {
      const index = indexOf(item, "ignore");
      if (parameters![index].rest) plan.ignoreFrom = Math.min(plan.ignoreFrom, index);
      else plan.ignored.add(index);
    } else {
      throw new TypeError(
        "memoize option ignore takes parameter names (strings) or positions (numbers)",
      );
    }
  }
  if (typeof options.nocache === "string") {
    plan.nocacheIndex = indexOf(options.nocache, "nocache");
    plan.ignored.add(plan.nocacheIndex);
  } else if (typeof options.nocache === "function") {
    plan.nocachePredicate = options.nocache as (...args: unknown[]) => unknown;
  }
  if (kind === "getter" && (plan.nocacheIndex !== undefined || plan.ignored.size > 0)) {
    throw new TypeError(
      "A memoized getter has no arguments: nocache by name and ignore do not apply",
    );
  }
  return plan;
}

/**
 * The state of `this` that goes into a method's key: what its
 * `[Symbol.for("bucketcache.keyState")]()` returns, else its own enumerable
 * properties (functions left out), else — for a class instance with none of
 * those — what its `keyState()` returns. A class instance with neither keys
 * on its class name alone: every instance shares its entries (right for a
 * stateless service; a class whose instances differ by private #fields or
 * closures must say what identifies them with keyState()).
 */
function instanceKey(self: unknown, name: string): [string, unknown] {
  if (self === null || (typeof self !== "object" && typeof self !== "function")) {
    throw new TypeError(
      `The memoized method ${name} was called without an instance (this is ${String(self)})`,
    );
  }
  const className = typeof self === "function"
    ? self.name
    : (Object.getPrototypeOf(self)?.constructor?.name as string | undefined) ?? "";
  const described = className
    ? `this (${/^[AEIOU]/.test(className) ? "an" : "a"} ${className})`
    : "this";
  const call = (method: unknown, methodName: string): unknown => {
    try {
      return (method as () => unknown).call(self);
    } catch (error) {
      throw new TypeError(
        `Cannot make a key from ${described}: its ${methodName} threw; make it return the state to key on`,
        { cause: error },
      );
    }
  };
  const keyState = (self as { [KEY_STATE]?: unknown })[KEY_STATE];
  if (typeof keyState === "function") {
    return [className, call(keyState, '[Symbol.for("bucketcache.keyState")]()')];
  }
  const state: Record<string, unknown> = {};
  let kept = 0;
  for (const key of Object.keys(self)) {
    let value: unknown;
    try {
      value = (self as Record<string, unknown>)[key];
    } catch (error) {
      throw new TypeError(
        `Cannot make a key from ${described}: its getter ${key} threw; make it return the value, ` +
          "or give the class a keyState() method",
        { cause: error },
      );
    }
    if (typeof value !== "function") {
      state[key] = value;
      kept++;
    }
  }
  if (kept === 0 && typeof self === "object") {
    const proto = Object.getPrototypeOf(self);
    if (proto !== Object.prototype && proto !== null) {
      const plain = (self as { keyState?: unknown }).keyState;
      // A stateless service class keys on its class name alone, as the
      // original does (all instances share entries); one whose instances
      // differ by hidden state says so with keyState().
      if (typeof plain === "function") return [className, call(plain, "keyState()")];
    }
  }
  return [className, state];
}

/** The key value of one call. */
function callKey(plan: Plan, self: unknown, args: unknown[]): unknown {
  let keyed: unknown;
  if (plan.key !== undefined) {
    keyed = plan.key.apply(self, args);
  } else {
    const kept: unknown[] = [];
    const end = Math.min(args.length, plan.ignoreFrom);
    for (let i = 0; i < end; i++) {
      if (!plan.ignored.has(i) && !isAbortSignal(args[i])) kept.push(args[i]);
    }
    while (kept.length > 0 && kept[kept.length - 1] === undefined) kept.pop();
    keyed = kept;
  }
  if (!plan.method) return [KEY_TAG, plan.name, plan.version, keyed];
  const [className, state] = instanceKey(self, plan.name);
  return [KEY_TAG, plan.name, plan.version, keyed, className, state];
}

/**
 * Wraps `fn` so its results are cached in the bucket behind `view`.
 *
 * @param view the bucket's store and write policy
 * @param fn the function, method or getter
 * @param rawOptions memoize options
 * @param kind how `this` is treated
 * @param contextName the decorated member's name
 */
export function memoizeWith(
  view: View,
  fn: AnyFunction,
  rawOptions: unknown,
  kind: Kind,
  contextName?: string,
): Memoized<unknown[], unknown, unknown> {
  if (typeof fn !== "function") throw new TypeError(`memoize needs a function, got ${typeof fn}`);
  const plan = makePlan(fn, checkOptions(rawOptions), kind, contextName);
  const core = view.store;
  const options = checkOptions(rawOptions);
  const versionText = plan.version === null ? undefined : describeVersion(plan.version);
  const tagsOption = options.tags;
  const onStatus = options.onStatus;
  const policy: ComputePolicy & { inheritLifetime: boolean } = {
    ...computePolicy(plan.name, options),
    describe: (value) => ({
      fn: plan.name,
      version: versionText,
      tags: typeof tagsOption === "function" ? undefined : tagsOption,
      ...(typeof tagsOption === "function" ? { tags: callTags(tagsOption, value) } : {}),
    }),
  };
  // Every call that misses the memory layer computes through compute.ts:
  // start loading it now, so the first call does not wait for it (a
  // process that only reads a bucket never loads it).
  computeModule().catch(() => {});
  // Calls of plain functions key on their arguments alone (methods also on
  // the instance, a key option on anything): those can skip encoding.
  const recent = !plan.method && plan.key === undefined ? new RecentCalls() : undefined;
  const callbacks: ((this: unknown, info: CachedCallInfo) => unknown)[] = [];

  const keyError = (error: unknown): unknown =>
    error instanceof TypeError
      ? new TypeError(
        `Cannot key a call of ${plan.name}: ${error.message}. ` +
          "Leave such arguments out with the ignore option or key on something else with the key option",
        { cause: error },
      )
      : error;

  /** The call's key value and where it lives. */
  const locate = async (self: unknown, args: unknown[]): Promise<[unknown, Located]> => {
    try {
      const keyValue = callKey(plan, self, args);
      const located = core.locate(keyValue);
      return [keyValue, located instanceof Promise ? await located : located];
    } catch (error) {
      throw keyError(error);
    }
  };

  /** Calls the function for a key: with the flight's signal in place of its AbortSignals. */
  const computeFor =
    (self: unknown, args: unknown[], located: Located, skip: boolean) =>
    async (signal: AbortSignal): Promise<unknown> => {
      memoizeLogger.info("Calling {name} ({reason})", () => ({
        name: plan.name,
        key: keyForLog(located.key),
        reason: skip ? "nocache" : "not cached",
      }));
      const given = args.some(isAbortSignal)
        ? args.map((arg) => isAbortSignal(arg) ? signal : arg)
        : args;
      const value = await fn.apply(self, given);
      const [, after] = await locate(self, args);
      if (after.memKey !== located.memKey) {
        throw new TypeError(
          `${plan.name} changed its ${
            plan.method ? "instance or arguments" : "arguments"
          } while it ran, ` +
            "so its key changed and nothing was cached: a memoised function must not mutate what it is keyed on " +
            "(copy the arguments first, or leave them out with ignore or key)",
        );
      }
      return value;
    };

  const hitCallbacks = async (
    self: unknown,
    args: unknown[],
    value: unknown,
    expiresAt: number | null,
  ) => {
    const info: CachedCallInfo = {
      args,
      returnValue: value,
      expirationDate: expiresAt === null ? null : new Date(expiresAt),
    };
    for (const cb of callbacks) {
      try {
        await cb.call(self, info);
      } catch (error) {
        memoizeLogger.error(
          "A hit callback of {name} threw; the call still succeeds: {error}",
          () => ({
            name: plan.name,
            error,
          }),
        );
      }
    }
    return value;
  };

  /** Reads the file or computes, once for all concurrent calls with this key. */
  const slowCall = async (
    self: unknown,
    args: unknown[],
    keyed: [unknown, Located] | undefined,
    skip: boolean,
  ): Promise<unknown> => {
    keyed ??= await locate(self, args);
    const [keyValue, located] = keyed;
    const signals = args.filter(isAbortSignal);
    const { getOrCompute } = await computeModule();
    const outcome = await getOrCompute(
      view,
      located,
      keyValue,
      computeFor(self, args, located, skip),
      {
        ...policy,
        refresh: skip,
        lifetime: policy.inheritLifetime ? core.lifetime : policy.lifetime,
      },
      signals,
    );
    if (outcome.status !== "miss") {
      memoizeLogger.info("Function call loaded from cache: {name}", () => ({
        name: plan.name,
        key: keyForLog(keyValue),
        status: outcome.status,
      }));
      if (callbacks.length > 0) await hitCallbacks(self, args, outcome.value, outcome.expiresAt);
    }
    return core.out(outcome.value);
  };

  const skips = (self: unknown, args: unknown[]): boolean =>
    plan.nocacheIndex !== undefined
      ? Boolean(args[plan.nocacheIndex])
      : plan.nocachePredicate !== undefined && Boolean(plan.nocachePredicate.apply(self, args));

  /** A call someone watches (onStatus, or the bucketcache:memoize channel): no fast path. */
  const observedCall = async (self: unknown, args: unknown[]): Promise<unknown> => {
    const skip = skips(self, args);
    const keyed = await locate(self, args);
    const [keyValue, located] = keyed;
    const before = onStatus === undefined
      ? undefined
      : await (await explainModule()).explainLocated(core, located, skip);
    const { getOrCompute } = await computeModule();
    const run = async (context?: TraceContext) => {
      const outcome = await getOrCompute(
        view,
        located,
        keyValue,
        computeFor(self, args, located, skip),
        {
          ...policy,
          refresh: skip,
          lifetime: policy.inheritLifetime ? core.lifetime : policy.lifetime,
        },
        args.filter(isAbortSignal),
      );
      if (context !== undefined) context.status = outcome.status;
      if (before !== undefined) {
        const info: CallStatus = {
          ...before,
          status: outcome.status,
          fn: plan.name,
          expiresAt: outcome.expiresAt,
        };
        if (outcome.status === "hit") delete info.reason;
        try {
          onStatus!(info);
        } catch (error) {
          memoizeLogger.error("onStatus of {name} threw; the call still succeeds: {error}", () => ({
            name: plan.name,
            error,
          }));
        }
      }
      if (outcome.status !== "miss" && callbacks.length > 0) {
        await hitCallbacks(self, args, outcome.value, outcome.expiresAt);
      }
      return core.out(outcome.value);
    };
    if (!tracing(channels.memoize)) return await run();
    const context: TraceContext = {
      bucket: core.path,
      keyHash: core.fileName(located).slice(0, 64),
      fn: plan.name,
    };
    return await channels.memoize!.tracePromise(() => run(context), context);
  };

  const call = (self: unknown, args: unknown[]): Promise<unknown> => {
    if (onStatus !== undefined || tracing(channels.memoize)) {
      return observedCall(self, args).catch((error) => Promise.reject(keyError(error)));
    }
    let skip: boolean;
    let keyed: [unknown, Located] | undefined;
    try {
      skip = skips(self, args);
      if (!skip) {
        // The fast path: a key that is in memory needs no I/O and no await;
        // for a recent call with small primitive arguments, no key encoding.
        let located: Located | Promise<Located> | undefined = recent?.get(args);
        let keyValue: unknown;
        if (located === undefined) {
          keyValue = callKey(plan, self, args);
          located = core.locate(keyValue);
          if (recent !== undefined && !(located instanceof Promise)) recent.set(args, located);
        }
        if (!(located instanceof Promise)) {
          const hit = core.memoryHit(located);
          if (hit !== undefined) {
            memoizeLogger.info("Function call loaded from cache: {name}", () => ({
              name: plan.name,
              key: keyForLog(keyValue ?? callKey(plan, self, args)),
            }));
            return callbacks.length > 0
              ? hitCallbacks(self, args, core.out(hit.value), hit.expiresAt)
              : Promise.resolve(core.clones ? core.out(hit.value) : hit.value);
          }
          keyed = [keyValue ?? callKey(plan, self, args), located];
        }
      }
    } catch (error) {
      return Promise.reject(keyError(error));
    }
    return slowCall(self, args, keyed, skip);
  };

  const wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return call(this, args);
  } as Memoized<unknown[], unknown, unknown>;
  Object.defineProperty(wrapper, "name", { value: fn.name, configurable: true });
  Object.defineProperty(wrapper, "length", { value: fn.length, configurable: true });
  wrapper.callback = (cb) => {
    if (typeof cb !== "function") throw new TypeError("callback needs a function (info) => void");
    callbacks.push(cb as (this: unknown, info: CachedCallInfo) => unknown);
    return wrapper;
  };
  wrapper.explain = async function (this: unknown, ...args: unknown[]): Promise<Explanation> {
    const [, located] = await locate(this, args);
    const { explainLocated } = await explainModule();
    return await explainLocated(core, located, skips(this, args));
  };
  wrapper.invalidate = async function (this: unknown, ...args: unknown[]): Promise<boolean> {
    const [keyValue] = await locate(this, args);
    return await core.delete(keyValue);
  };
  wrapper.clear = () => clearFunction(core, plan.name, versionText);
  return wrapper;
}

/**
 * Applies memoize as a TC39 decorator.
 *
 * @param view the bucket's store and write policy
 * @param value the decorated method or getter
 * @param context the decorator context
 * @param options memoize options
 */
export function decorate(
  view: View,
  value: unknown,
  context: DecoratorContext,
  options: unknown,
): unknown {
  const name = typeof context.name === "symbol"
    ? context.name.description ?? ""
    : String(context.name);
  if (context.kind === "method") {
    return memoizeWith(view, value as AnyFunction, options, "method", name);
  }
  if (context.kind === "getter") {
    return memoizeWith(view, value as AnyFunction, options, "getter", name);
  }
  throw new TypeError(
    `@memoize decorates methods and getters; it cannot decorate the ${context.kind} ${name}`,
  );
}
