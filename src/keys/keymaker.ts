/**
 * Key makers: how a bucket turns a key value into bytes.
 *
 * @module
 */

import { KeyEncoder } from "./encode.ts";

/** What a key maker may return: bytes at once, or chunks of them. */
export type KeyBytes =
  | Uint8Array
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>;

/**
 * Turns a key value into bytes. Equal keys must give equal bytes in every
 * process and runtime; the bucket hashes them (SHA-256) into a file name.
 * Implement this to key on your own terms.
 *
 * @example A key maker for string keys only
 * ```ts
 * import type { KeyMaker } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class StringKeyMaker implements KeyMaker {
 *   makeKey(value: unknown): Uint8Array {
 *     if (typeof value !== "string") throw new TypeError("keys must be strings");
 *     return new TextEncoder().encode(value);
 *   }
 * }
 * assert.deepEqual(new StringKeyMaker().makeKey("a"), new Uint8Array([97]));
 * ```
 */
export interface KeyMaker {
  /** Returns the bytes of `value`, at once or as chunks. */
  makeKey(value: unknown): KeyBytes;
}

/** Options of {@linkcode DefaultKeyMaker} and {@linkcode StreamingDefaultKeyMaker}. */
export interface DefaultKeyMakerOptions {
  /**
   * Order object keys, `Map` entries and `Set` members by their encoded bytes
   * so insertion order does not change the key. Default `true`.
   */
  sortKeys?: boolean;
}

function readSortKeys(options: DefaultKeyMakerOptions | undefined, name: string): boolean {
  if (options === undefined) return true;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${name} options must be an object such as { sortKeys: false }`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "sortKeys") {
      throw new TypeError(`Unknown ${name} option "${key}": the only option is sortKeys`);
    }
  }
  if (options.sortKeys !== undefined && typeof options.sortKeys !== "boolean") {
    throw new TypeError(`${name} option sortKeys must be true or false`);
  }
  return options.sortKeys ?? true;
}

/**
 * The default key maker: a canonical, type-tagged byte encoding of any
 * supported value (see the README's "Key encoding"). Values of different
 * types never share a key (`1`, `"1"` and `1n` differ; so do `[1, 2]` and
 * `new Set([1, 2])`), and with `sortKeys` the order of object keys and
 * `Map`/`Set` insertion does not matter.
 *
 * A class instance keys as its class name and its state, which is, in order:
 * what its `[Symbol.for("bucketcache.keyState")]()` method returns; for a
 * supported built-in (`Date`, `Map`, `RegExp`, typed arrays, …) its value;
 * what its `toJSON()` returns; its own enumerable properties; and, when it has
 * none (its state is in private `#fields` or closures, or it has no state),
 * what a method named plainly `keyState()` returns. An instance with none of
 * these is a `TypeError`, not a key shared by every instance of its class:
 * give the class `keyState()` (returning `null` if it truly has no state).
 *
 * Keys may nest up to 10,000 levels deep (objects, arrays, Maps, Sets and
 * instances inside one another), the same in every runtime; encoding does not
 * use the call stack.
 *
 * @example Equal keys, whatever the order of their properties
 * ```ts
 * import { DefaultKeyMaker } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const keys = new DefaultKeyMaker();
 * assert.deepEqual(keys.makeKey({ a: 1, b: 2 }), keys.makeKey({ b: 2, a: 1 }));
 * assert.notDeepEqual(keys.makeKey(1), keys.makeKey("1"));
 * assert.throws(() => keys.makeKey({ f: () => 1 }), TypeError);
 * ```
 *
 * @example A class whose state is private keys through keyState()
 * ```ts
 * import { DefaultKeyMaker } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class Point {
 *   #x: number;
 *   constructor(x: number) {
 *     this.#x = x;
 *   }
 * }
 * class KeyedPoint {
 *   #x: number;
 *   constructor(x: number) {
 *     this.#x = x;
 *   }
 *   keyState() {
 *     return this.#x;
 *   }
 * }
 * const keys = new DefaultKeyMaker();
 * assert.throws(() => keys.makeKey([new Point(1)]), /a Point with no own enumerable properties at key\[0\]/);
 * assert.notDeepEqual(keys.makeKey(new KeyedPoint(1)), keys.makeKey(new KeyedPoint(2)));
 * ```
 */
export class DefaultKeyMaker implements KeyMaker {
  /** Whether object keys and Map/Set contents are ordered. */
  readonly sortKeys: boolean;

  /**
   * Creates a key maker.
   *
   * @param options `{ sortKeys }`, default `{ sortKeys: true }`
   */
  constructor(options?: DefaultKeyMakerOptions) {
    this.sortKeys = readSortKeys(options, "DefaultKeyMaker");
  }

  /**
   * Encodes `value` into one byte array.
   *
   * @throws {TypeError} for functions, symbols, circular structures, opaque objects, class
   *   instances without visible state, nesting deeper than 10,000 levels, and a getter, `toJSON()`
   *   or `keyState()` that throws (its error is the `cause`), naming where in the value, e.g.
   *   `Cannot make a key from a Point with no own enumerable properties at key[0].p: …`
   */
  makeKey(value: unknown): Uint8Array {
    return KeyEncoder.encode(value, this.sortKeys);
  }
}

/**
 * The same bytes as {@linkcode DefaultKeyMaker}, produced incrementally as a
 * `ReadableStream` of chunks of at most 64 KiB: a key of any size (a huge
 * typed array, an array of millions of elements) is hashed without ever
 * holding its whole encoding. With `sortKeys`, each `Set` member and `Map` key
 * is encoded on its own to be ordered, so those are held one at a time.
 *
 * @example Streaming bytes equal the default bytes
 * ```ts
 * import { DefaultKeyMaker, StreamingDefaultKeyMaker } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const value = { big: new Float64Array(100_000), tags: new Set(["x", "y"]) };
 * const chunks: Uint8Array[] = [];
 * for await (const chunk of new StreamingDefaultKeyMaker().makeKey(value)) chunks.push(chunk);
 * const streamed = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
 * chunks.reduce((at, c) => (streamed.set(c, at), at + c.length), 0);
 * assert.deepEqual(streamed, new DefaultKeyMaker().makeKey(value));
 * ```
 */
export class StreamingDefaultKeyMaker implements KeyMaker {
  /** Whether object keys and Map/Set contents are ordered. */
  readonly sortKeys: boolean;

  /**
   * Creates a key maker.
   *
   * @param options `{ sortKeys }`, default `{ sortKeys: true }`
   */
  constructor(options?: DefaultKeyMakerOptions) {
    this.sortKeys = readSortKeys(options, "StreamingDefaultKeyMaker");
  }

  /**
   * Returns a stream of the encoding of `value`. A value that cannot be keyed
   * rejects the stream's reads with the same `TypeError` as
   * {@linkcode DefaultKeyMaker.makeKey} (functions, cycles, stateless
   * instances, nesting too deep, a throwing getter, …).
   */
  makeKey(value: unknown): ReadableStream<Uint8Array> {
    const chunks = new KeyEncoder(this.sortKeys).chunks(value);
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const step = chunks.next();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      cancel() {
        chunks.return();
      },
    }, { highWaterMark: 0 });
  }
}
