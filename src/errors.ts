/**
 * The errors bucketcache exports. Misuse throws the built-in `TypeError` or
 * `RangeError`; these classes mark cache-specific conditions.
 *
 * @module
 */

/** Abbreviates a description to 80 characters for messages and logs. */
export function abbreviate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Describes a key for a message: short, readable, never throwing. */
export function describeKey(key: unknown): string {
  try {
    if (typeof key === "string") return JSON.stringify(key);
    if (typeof key === "bigint") return `${key}n`;
    if (typeof key === "symbol" || typeof key === "function") return String(key);
    if (key === undefined) return "undefined";
    const json = JSON.stringify(key, (_k, v) => typeof v === "bigint" ? `${v}n` : v);
    return json ?? String(key);
  } catch {
    return Object.prototype.toString.call(key);
  }
}

/**
 * A key that has no value in the bucket: rejected by `getitem`, like
 * Python's `KeyError`.
 *
 * @example
 * ```ts
 * import { Bucket, KeyError, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const bucket = new Bucket("/cache", { fs: new MemoryFileSystem() });
 * await assert.rejects(bucket.getitem({ id: 1 }), (error) => error instanceof KeyError && error.key.id === 1);
 * ```
 */
export class KeyError extends Error {
  /** The key that was asked for. */
  // deno-lint-ignore no-explicit-any
  readonly key: any;

  /**
   * Creates the error for a missing key.
   *
   * @param key the missing key; the message shows it abbreviated to 80 characters
   */
  constructor(key: unknown) {
    super(`No value for key ${abbreviate(describeKey(key))}`);
    this.name = "KeyError";
    this.key = key;
  }
}

/**
 * A backend could not read data (damaged, truncated, foreign or of another
 * version). Custom backends throw it from `load`; the bucket then treats the
 * file as damaged: logged, removed, read as missing.
 *
 * @example
 * ```ts
 * import { BackendLoadError } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const error = new BackendLoadError("not JSON", { cause: new SyntaxError("x") });
 * assert.equal(error.name, "BackendLoadError");
 * ```
 */
export class BackendLoadError extends Error {
  /**
   * Creates the error.
   *
   * @param message why the data cannot be read
   * @param options `{ cause }`, the underlying error
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BackendLoadError";
  }
}

/**
 * Why a key could not be loaded from its file, as in the original library,
 * which raised it internally. The public API never throws it or its
 * subclasses: a missing, expired or damaged entry reads as `undefined` (and
 * `getitem` rejects with {@linkcode KeyError}). Exported for code that
 * classifies such reasons itself, for example in a custom wrapper.
 *
 * @example
 * ```ts
 * import { KeyExpirationError, KeyInvalidError } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new KeyExpirationError("expired") instanceof KeyInvalidError);
 * ```
 */
export class KeyInvalidError extends Error {
  /**
   * Creates the error.
   *
   * @param message why the key could not be loaded
   */
  constructor(message: string) {
    super(message);
    this.name = "KeyInvalidError";
  }
}

/**
 * The key's file does not exist.
 *
 * @example
 * ```ts
 * import { KeyFileNotFoundError } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new KeyFileNotFoundError("gone").name, "KeyFileNotFoundError");
 * ```
 */
export class KeyFileNotFoundError extends KeyInvalidError {
  /**
   * Creates the error.
   *
   * @param message which file is missing
   */
  constructor(message: string) {
    super(message);
    this.name = "KeyFileNotFoundError";
  }
}

/**
 * The key's entry has expired.
 *
 * @example
 * ```ts
 * import { KeyExpirationError } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new KeyExpirationError("expired").name, "KeyExpirationError");
 * ```
 */
export class KeyExpirationError extends KeyInvalidError {
  /**
   * Creates the error.
   *
   * @param message when it expired
   */
  constructor(message: string) {
    super(message);
    this.name = "KeyExpirationError";
  }
}
