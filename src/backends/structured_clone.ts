/**
 * The default backend: everything structured clone round-trips.
 *
 * @module
 */

import { addExtension, Packr } from "msgpackr/pack";
import { Backend, type BackendConfig, type Entry } from "./backend.ts";
import { BackendLoadError } from "../errors.ts";
import {
  BoxedMarker,
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

/**
 * Stores every value the structured clone algorithm round-trips: what `get`
 * returns equals `structuredClone(value)`. That includes `Map`, `Set`, `Date`,
 * `RegExp`, bigints, `undefined`, `-0`, `NaN`, array holes, typed arrays,
 * `ArrayBuffer`, `DataView`, errors, boxed primitives, and shared or circular
 * references. Class instances come back as plain objects, as with
 * `structuredClone`. Functions, symbols and opaque built-ins (`WeakMap`,
 * `Promise`, …) anywhere in the value are a `TypeError` naming where.
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
 */
export class StructuredCloneBackend extends Backend {
  /** Takes no config. */
  static override readonly configKeys: readonly string[] = [];
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

  /**
   * Creates the backend.
   *
   * @param config none; any key is a `TypeError`
   */
  constructor(config?: BackendConfig) {
    super(config);
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
    const { needsRewrite } = inspectValue(entry.value, "StructuredCloneBackend");
    return plainBytes(this.#packr.pack(needsRewrite ? rewriteValue(entry.value) : entry.value));
  }

  /**
   * Decodes a value written by `dump`.
   *
   * @throws {BackendLoadError} for data that is not a complete encoding
   */
  load(data: Uint8Array): Entry {
    let value: unknown;
    try {
      value = this.#packr.unpack(plainBytes(data));
    } catch (cause) {
      // No hook from the config runs while decoding, so what msgpackr throws
      // is about the data.
      throw new BackendLoadError(`not a structured-clone MessagePack payload: ${String(cause)}`, {
        cause,
      });
    }
    if (isReservedByte(value)) {
      throw new BackendLoadError(
        "not a structured-clone MessagePack payload: the reserved byte 0xc1",
      );
    }
    return { value, expirationDate: null };
  }
}
