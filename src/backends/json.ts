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
    const allowed = Array.isArray(user) ? new Set(user.map(String)) : undefined;
    const check = function (this: unknown, key: string, raw: unknown): unknown {
      const isTopLevel = key === "" && Object.keys(this as object).length === 1 &&
        (this as Record<string, unknown>)[""] === raw;
      if (allowed && !isTopLevel && !Array.isArray(this) && !allowed.has(key)) return undefined;
      const value = typeof user === "function" ? user.call(this, key, raw) : raw;
      if (typeof user === "function" && value === undefined && raw !== undefined) return undefined;
      const where = isTopLevel ? "the value" : `property ${JSON.stringify(key)}`;
      const fail = (what: string): never => {
        throw new TypeError(
          `JSONBackend cannot store ${what} (at ${where}): JSON has no faithful form for it; ` +
            "convert it first (a replacer in config) or use StructuredCloneBackend",
        );
      };
      switch (typeof value) {
        case "function":
          return fail("a function");
        case "symbol":
          return fail("a symbol");
        case "bigint":
          return fail("a bigint");
        case "undefined":
          return fail("undefined");
        case "number":
          if (!Number.isFinite(value)) fail(String(value));
          return value;
      }
      if (typeof value === "object" && value !== null) {
        if (ArrayBuffer.isView(value)) fail("a typed array");
        for (const [type, name] of UNFAITHFUL) if (value instanceof type) fail(name);
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
      const text = new TextDecoder("utf-8", { fatal: true }).decode(data);
      return { value: JSON.parse(text, reviver), expirationDate: null };
    } catch (cause) {
      if (inReviver) throw cause;
      throw new BackendLoadError(`not UTF-8 JSON text: ${String(cause)}`, { cause });
    }
  }
}
