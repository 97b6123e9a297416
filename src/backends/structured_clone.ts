/**
 * The default backend: everything structured clone round-trips.
 *
 * @module
 */

import { addExtension, Packr } from "msgpackr/pack";
import { Backend, type BackendConfig, type Entry } from "./backend.ts";
import { BackendLoadError } from "../errors.ts";
import { framing, registerByteFraming } from "./_byte_values.ts";
import {
  beginRead,
  checkRead,
  type ClassRegistry,
  closeHead,
  createInstance,
  DecodedHead,
  endRead,
  readClasses,
  readHead,
  recallInstance,
  restoreProperties,
} from "./_classes.ts";
import {
  BoxedMarker,
  ClassToken,
  inspectValue,
  isReservedByte,
  NegativeZeroMarker,
  OddKeyedObjectMarker,
  plainBytes,
  rewriteValue,
  SparseArrayMarker,
  WtfStringMarker,
} from "./_value_walk.ts";

// Private MessagePack extensions for what msgpackr's structured-clone mode
// would lose; each decodes straight back to the original value.
addExtension({ Class: NegativeZeroMarker, type: 0x30, write: () => 0, read: () => -0 });
addExtension({
  Class: WtfStringMarker,
  type: 0x31,
  write: (marker: WtfStringMarker) => marker.units,
  read: (units: Uint16Array) => {
    let text = "";
    for (let i = 0; i < units.length; i += 4096) {
      text += String.fromCharCode(...units.subarray(i, i + 4096));
    }
    return text;
  },
});
addExtension({
  Class: BoxedMarker,
  type: 0x32,
  write: (marker: BoxedMarker) => marker.value,
  read: (value: unknown) => Object(value),
});
addExtension({
  Class: SparseArrayMarker,
  type: 0x33,
  write: (marker: SparseArrayMarker) => [marker.length, marker.entries],
  read: ([length, entries]: [number, [number, unknown][]]) => {
    const array = new Array(length);
    for (const [index, value] of entries) array[index] = value;
    return array;
  },
});
addExtension({
  Class: OddKeyedObjectMarker,
  type: 0x34,
  write: (marker: OddKeyedObjectMarker) => marker.entries,
  read: (entries: [string, unknown][]) => {
    const object: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      Object.defineProperty(object, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return object;
  },
});
// Instances of registered classes (see ClassMarker, ClassHead, ClassRef).
addExtension({
  Class: ClassToken,
  type: 0x35,
  write: (token: ClassToken) => token.encode(),
  read: (data: unknown) => {
    if (typeof data === "number") return recallInstance(data); // ClassRef
    if (!Array.isArray(data) || data.length !== 2) {
      throw new Error("a class instance must be [name, properties]");
    }
    const [first, second] = data;
    if (typeof second === "number") return readHead(first, second); // ClassHead
    if (first instanceof DecodedHead) return restoreProperties(closeHead(first), second);
    if (typeof first !== "string") {
      throw new Error("a class instance's class name must be a string");
    }
    return restoreProperties(createInstance(first), second);
  },
});

/** Options of {@linkcode StructuredCloneBackend}. */
export interface StructuredCloneBackendConfig {
  /**
   * Classes whose instances come back as instances of the class (the Bucket
   * option `classes` passes them here). Each is stored under a stable name:
   * its `static [CLASS_NAME]` string if it has one (see
   * {@linkcode CLASS_NAME}), else `Class.name`; two classes with one name are
   * a `TypeError`. On load the
   * instance is `Object.create(Class.prototype)` with the stored own
   * enumerable properties defined on it: the constructor does not run, and
   * private (`#field`) fields, which are not properties, are neither stored
   * nor restored. A name this backend has not registered loads as a plain
   * object (and logs a warning once per name).
   */
  classes?: readonly (abstract new (...args: never[]) => object)[];
}

/**
 * Stores every value the structured clone algorithm round-trips: what `get`
 * returns equals `structuredClone(value)`. That includes `Map`, `Set`, `Date`,
 * `RegExp`, bigints, `undefined`, `-0`, `NaN`, array holes, typed arrays,
 * `ArrayBuffer`, `DataView`, errors, boxed primitives, and shared or circular
 * references. Class instances come back as plain objects, as with
 * `structuredClone`, unless their class is registered in `classes` (the
 * Bucket option or this backend's config): then they come back as instances
 * of it, anywhere in the value (nested, in arrays, `Map`s and `Set`s, shared
 * and circular), without running the constructor. Storing an instance of an
 * unregistered class logs one warning per class. Functions, symbols and
 * opaque built-ins (`WeakMap`, `Promise`, …) anywhere in the value are a
 * `TypeError` naming where.
 *
 * Files are MessagePack with msgpackr's structured-clone extensions (pure
 * JavaScript in every runtime, so Deno, Bun and Node write identical bytes).
 *
 * @example
 * ```ts
 * import { StructuredCloneBackend } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const backend = new StructuredCloneBackend();
 * const value = { when: new Date(0), tags: new Set(["a"]), big: 10n ** 30n, minus: -0 };
 * const back = backend.load(backend.dump({ value, expirationDate: null }) as Uint8Array).value;
 * assert.deepEqual(back, structuredClone(value));
 * assert.ok(Object.is((back as typeof value).minus, -0));
 * assert.throws(() => backend.dump({ value: { f() {} }, expirationDate: null }), TypeError);
 * ```
 *
 * @example Class instances that come back
 * ```ts
 * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class Point {
 *   x: number;
 *   y: number;
 *   constructor(x: number, y: number) {
 *     this.x = x;
 *     this.y = y;
 *   }
 *   length(): number {
 *     return Math.hypot(this.x, this.y);
 *   }
 * }
 * const bucket = new Bucket("/cache", { classes: [Point], fs: new MemoryFileSystem() });
 * await bucket.set("p", { start: new Point(3, 4) });
 * await bucket.unloadKey("p"); // read the file again
 * const { start } = await bucket.get("p") as { start: Point };
 * assert.ok(start instanceof Point);
 * assert.equal(start.length(), 5);
 * ```
 */
export class StructuredCloneBackend extends Backend {
  /** `classes`. */
  static override readonly configKeys: readonly string[] = ["classes"];
  /**
   * `"sclone"`: MessagePack with msgpackr's structured-clone extensions, kept
   * apart from the standard `.msgpack` files of {@linkcode MessagePackBackend}.
   */
  readonly fileExtension: string = "sclone";
  /** `true`. */
  readonly binaryFormat: boolean = true;
  // Records stay on: with useRecords: false msgpackr 2.1 cannot decode
  // cycles through objects or Maps. Records are defined inside each file.
  readonly #packr = new Packr({ structuredClone: true });
  readonly #classes: ClassRegistry | undefined;

  /**
   * Creates the backend.
   *
   * @param config `{ classes }`; any other key is a `TypeError`
   * @throws {TypeError} for other keys, or a `classes` entry that is not a
   * class of your own, or two classes with one name
   */
  constructor(config?: StructuredCloneBackendConfig) {
    if (typeof config === "object" && config !== null && !Array.isArray(config)) {
      for (const key of Object.keys(config)) {
        if (key !== "classes") {
          throw new TypeError(
            `Unknown StructuredCloneBackend config key "${key}": it takes no config other than classes`,
          );
        }
      }
    }
    super(config as BackendConfig | undefined);
    this.#classes = readClasses(config?.classes, "StructuredCloneBackend config classes");
  }

  /** `"StructuredCloneBackend"`. */
  override get identity(): string {
    return "StructuredCloneBackend";
  }

  /**
   * Encodes the entry's value.
   *
   * @throws {TypeError} naming where a function, symbol or opaque object is in the value
   */
  dump(entry: Entry): Uint8Array {
    const names = this.#classes?.names;
    const { needsRewrite } = inspectValue(entry.value, "StructuredCloneBackend", undefined, names);
    return plainBytes(
      this.#packr.pack(needsRewrite ? rewriteValue(entry.value, names) : entry.value),
    );
  }

  /**
   * Decodes a value written by `dump`.
   *
   * @throws {BackendLoadError} for data that is not a complete encoding
   */
  load(data: Uint8Array): Entry {
    let value: unknown;
    const bytes = plainBytes(data);
    const saved = beginRead(this.#classes, bytes);
    try {
      value = this.#packr.unpack(bytes);
      checkRead();
    } catch (cause) {
      // No hook from the config runs while decoding (classes are restored
      // without running their code), so what msgpackr throws is about the data.
      throw new BackendLoadError(`not a structured-clone MessagePack payload: ${String(cause)}`, {
        cause,
      });
    } finally {
      endRead(saved);
    }
    if (isReservedByte(value)) {
      throw new BackendLoadError(
        "not a structured-clone MessagePack payload: the reserved byte 0xc1",
      );
    }
    return { value, expirationDate: null };
  }
}

// A large Uint8Array value is written and read without copies (_byte_values.ts).
registerByteFraming(StructuredCloneBackend.prototype.dump, framing(0xc9, [0x74, 0x01], 1));
