/**
 * A backend that stores JSON text.
 *
 * @module
 */

import { Backend, type BackendConfig, type Entry } from "./backend.ts";
import { BackendLoadError } from "../errors.ts";

/** Options of {@linkcode JSONBackend}, passed to `JSON.stringify` and `JSON.parse`. */
export interface JSONBackendConfig {
  /** Indentation for `JSON.stringify`. */
  space?: string | number;
  /** A `JSON.stringify` replacer: a function, or an allow-list of property names. */
  replacer?: ((this: unknown, key: string, value: unknown) => unknown) | (string | number)[];
  /**
   * A `JSON.parse` reviver. An error it throws propagates from `load`
   * unchanged, so the bucket's call rejects with it and the file is kept;
   * throw a {@linkcode BackendLoadError} from it to have the file treated as
   * damaged instead.
   */
  reviver?: (this: unknown, key: string, value: unknown) => unknown;
}

const UNFAITHFUL: [abstract new (...args: never[]) => unknown, string][] = [
  [Map, "a Map"],
  [Set, "a Set"],
  [RegExp, "a RegExp"],
  [ArrayBuffer, "an ArrayBuffer"],
];

// The message is built only when something fails.
function fail(what: string, isTopLevel: boolean, key: string): never {
  const where = isTopLevel ? "the value" : `property ${JSON.stringify(key)}`;
  throw new TypeError(
    `JSONBackend cannot store ${what} (at ${where}): JSON has no faithful form for it; ` +
      "convert it first (a replacer in config) or use StructuredCloneBackend",
  );
}

/** Deeper than this, the replacer path checks the value (and JSON.stringify finds cycles). */
const PLAIN_DEPTH = 64;

/** {@linkcode isPlainJSON}, `false` where looking throws (the replacer path then throws it again). */
function plainJSON(value: unknown): boolean {
  try {
    return isPlainJSON(value, 0);
  } catch {
    return false;
  }
}

const dateGetTime = Date.prototype.getTime;
const dateMethods = [
  Date.prototype.toJSON,
  Date.prototype.toISOString,
  Date.prototype.valueOf,
  Date.prototype[Symbol.toPrimitive],
];

/** Whether the Date methods that JSON.stringify reaches through toJSON are the built-in ones. */
function builtinDates(): boolean {
  const proto = Date.prototype;
  return proto.toJSON === dateMethods[0] && proto.toISOString === dateMethods[1] &&
    proto.valueOf === dateMethods[2] && proto[Symbol.toPrimitive] === dateMethods[3];
}

/**
 * Whether JSON.stringify writes `value` exactly as it is, with nothing the
 * replacer would refuse or change: only strings, finite numbers, booleans,
 * null, Dates without own properties (while Date's methods are the built-in
 * ones), dense arrays and objects whose prototype is `Object.prototype` or
 * null, none of them with a `toJSON`, at most {@linkcode PLAIN_DEPTH} deep.
 * `false` says only "check it the slow way", never that it fails.
 */
function isPlainJSON(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return value - value === 0; // finite
    case "object":
      return value === null || isPlainObject(value, depth);
    default:
      return false;
  }
}

// isPlainJSON for an object (small enough for the engines to inline into
// its loops, which most of a large value goes through).
function isPlainObject(value: object, depth: number): boolean {
  if (depth === PLAIN_DEPTH) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === Date.prototype) {
    // A Date JSON.stringify writes through the built-in toJSON: a string, or
    // null for an invalid date, both of which the replacer passes. getTime
    // throws for what only looks like a Date.
    dateGetTime.call(value);
    return Reflect.ownKeys(value).length === 0 && builtinDates();
  }
  if ("toJSON" in value) return false;
  if (proto === Array.prototype && Array.isArray(value)) {
    // A hole reads as undefined, which the replacer refuses: both fail here.
    for (let i = 0; i < value.length; i++) {
      if (!isPlainJSON(value[i], depth + 1)) return false;
    }
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  // for…in also visits inherited enumerable properties: only more to check.
  for (const key in value) {
    if (!isPlainJSON((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

const lenient = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 bytes as text, throwing the strict decoder's TypeError for bytes that
 * are not UTF-8. The lenient decoder is much faster in some runtimes; it puts
 * U+FFFD in place of what is not UTF-8, so text without one was valid, and
 * only text with one (which valid text may hold) is decoded again strictly.
 */
function decodeUTF8(data: Uint8Array): string {
  const text = lenient.decode(data);
  return text.includes("\uFFFD") ? strict.decode(data) : text;
}

/**
 * Stores values as JSON text in `.json` files, readable by anything that reads
 * JSON (after the one header line the bucket adds). Values JSON cannot hold
 * faithfully are a `TypeError` rather than silently changed: functions,
 * symbols, bigints, `undefined`, `NaN`/`Infinity`, `Map`, `Set`, `RegExp`,
 * typed arrays and `ArrayBuffer`. Dates become strings (their `toJSON`), and
 * class instances plain objects, as JSON always does: JSON has no place to
 * name a class, so the Bucket option `classes` is a `TypeError` with this
 * backend (use `StructuredCloneBackend` or `MessagePackBackend`, or a
 * reviver in config).
 *
 * @example
 * ```ts
 * import { Bucket, JSONBackend, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const bucket = new Bucket("/cache", { backend: JSONBackend, config: { space: 2 }, fs: new MemoryFileSystem() });
 * await bucket.set("user", { id: 1, name: "Ada" });
 * assert.deepEqual(await bucket.get("user"), { id: 1, name: "Ada" });
 * await assert.rejects(bucket.set("big", 1n), TypeError);
 * ```
 */
export class JSONBackend extends Backend {
  /** `space`, `replacer`, `reviver`. */
  static override readonly configKeys: readonly string[] = ["space", "replacer", "reviver"];
  /** `"json"`. */
  readonly fileExtension: string = "json";
  /** `false`: text. */
  readonly binaryFormat: boolean = false;
  readonly #space: string | number | undefined;
  readonly #replacer: JSONBackendConfig["replacer"];
  readonly #reviver: JSONBackendConfig["reviver"];

  /**
   * Creates the backend.
   *
   * @param config `{ space, replacer, reviver }`
   * @throws {TypeError} for unknown keys or values of the wrong type
   */
  constructor(config?: JSONBackendConfig) {
    super(config as BackendConfig | undefined);
    const { space, replacer, reviver } = (config ?? {}) as JSONBackendConfig;
    if (space !== undefined && typeof space !== "string" && typeof space !== "number") {
      throw new TypeError("JSONBackend config space must be a string or a number");
    }
    if (replacer !== undefined && typeof replacer !== "function" && !Array.isArray(replacer)) {
      throw new TypeError(
        "JSONBackend config replacer must be a function or an array of property names",
      );
    }
    if (reviver !== undefined && typeof reviver !== "function") {
      throw new TypeError("JSONBackend config reviver must be a function");
    }
    this.#space = space;
    this.#replacer = replacer;
    this.#reviver = reviver;
  }

  /** `"JSONBackend"`. */
  override get identity(): string {
    return "JSONBackend";
  }

  /**
   * Serialises the value as JSON text.
   *
   * @throws {TypeError} for values JSON cannot hold faithfully, naming the property
   */
  dump(entry: Entry): string {
    const user = this.#replacer;
    // Values made only of plain objects, arrays, strings, finite numbers,
    // booleans, null and Dates (most values) need no replacer: one walk finds that,
    // and JSON.stringify then runs without calling back into JavaScript for
    // every property. Anything else takes the replacer, which checks each
    // value as JSON.stringify reaches it (and names where it fails).
    if (user === undefined && plainJSON(entry.value)) {
      return JSON.stringify(entry.value, undefined, this.#space);
    }
    const allowed = Array.isArray(user) ? new Set(user.map(String)) : undefined;
    const check = function (this: unknown, key: string, raw: unknown): unknown {
      const isTopLevel = key === "" && Object.keys(this as object).length === 1 &&
        (this as Record<string, unknown>)[""] === raw;
      if (allowed && !isTopLevel && !Array.isArray(this) && !allowed.has(key)) return undefined;
      const value = typeof user === "function" ? user.call(this, key, raw) : raw;
      if (typeof user === "function" && value === undefined && raw !== undefined) return undefined;
      switch (typeof value) {
        case "function":
          return fail("a function", isTopLevel, key);
        case "symbol":
          return fail("a symbol", isTopLevel, key);
        case "bigint":
          return fail("a bigint", isTopLevel, key);
        case "undefined":
          return fail("undefined", isTopLevel, key);
        case "number":
          if (!Number.isFinite(value)) fail(String(value), isTopLevel, key);
          return value;
      }
      if (typeof value === "object" && value !== null) {
        if (ArrayBuffer.isView(value)) fail("a typed array", isTopLevel, key);
        for (let i = 0; i < UNFAITHFUL.length; i++) {
          if (value instanceof UNFAITHFUL[i][0]) fail(UNFAITHFUL[i][1], isTopLevel, key);
        }
      }
      return value;
    };
    return JSON.stringify(entry.value, check, this.#space);
  }

  /**
   * Parses JSON text written by `dump` (through the configured reviver).
   *
   * @throws {BackendLoadError} for bytes that are not UTF-8 JSON
   * @throws whatever the reviver throws, unchanged
   */
  load(data: Uint8Array): Entry {
    const user = this.#reviver;
    // Set while the user's reviver runs: if it is still set when JSON.parse
    // throws, the reviver threw (JSON.parse checks the syntax of the whole
    // text before it calls the reviver at all).
    let inReviver = false;
    const reviver = user && function (this: unknown, ...args: [string, unknown]): unknown {
      inReviver = true;
      const value = user.apply(this, args);
      inReviver = false;
      return value;
    };
    try {
      const text = decodeUTF8(data);
      return { value: JSON.parse(text, reviver), expirationDate: null };
    } catch (cause) {
      if (inReviver) throw cause;
      throw new BackendLoadError(`not UTF-8 JSON text: ${String(cause)}`, { cause });
    }
  }
}
