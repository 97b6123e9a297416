/**
 * A backend that stores standard MessagePack.
 *
 * @module
 */

import { addExtension, Packr } from "msgpackr/pack";
import { Backend, type BackendConfig, type Entry } from "./backend.ts";
import { BackendLoadError } from "../errors.ts";
import { framing, registerByteFraming } from "./_byte_values.ts";
import {
  beginRead,
  type ClassRegistry,
  createInstance,
  endRead,
  readClasses,
  readSource,
  restoreProperties,
} from "./_classes.ts";
import {
  inspectValue,
  isReservedByte,
  MessagePackClassMarker,
  type MessagePackRules,
  plainBytes,
  rewriteClasses,
} from "./_value_walk.ts";

/** The MessagePack extension type of instances of registered classes. */
const CLASS_EXTENSION = 0x38;

// An instance of a registered class: extension type 0x38 whose payload is the
// MessagePack array [class name, map of own properties]. Any MessagePack
// implementation reads the file (it sees an extension value there).
addExtension({
  Class: MessagePackClassMarker,
  type: CLASS_EXTENSION,
  pack: (marker: MessagePackClassMarker) => marker.payload,
  unpack: (payload: Uint8Array, readAt?: (position: number) => unknown) => {
    // Decoded in place (a nested decode would copy the whole input each time).
    const source = readSource();
    if (
      typeof readAt !== "function" || source === undefined || payload.buffer !== source.buffer
    ) {
      throw new Error(
        `MessagePack extension type ${CLASS_EXTENSION} outside a MessagePackBackend load`,
      );
    }
    const data = readAt(payload.byteOffset - source.byteOffset);
    if (!Array.isArray(data) || data.length !== 2 || typeof data[0] !== "string") {
      throw new Error(
        `MessagePack extension type ${CLASS_EXTENSION} must hold [class name, properties]`,
      );
    }
    return restoreProperties(createInstance(data[0]), data[1]);
  },
});

/** msgpackr options that keep the output standard MessagePack. */
const STANDARD_OPTIONS = [
  "mapsAsObjects",
  "variableMapSize",
  "useFloat32",
  "useTimestamp32",
  "largeBigIntToFloat",
  "largeBigIntToString",
  "int64AsType",
  "encodeUndefinedAsNil",
  "copyBuffers",
  "onInvalidDate",
  "mapAsEmptyObject",
  "setAsEmptyObject",
  "allowArraysInMapKeys",
];

/**
 * Options of {@linkcode MessagePackBackend}: `lossy`, and msgpackr
 * encoder/decoder options that keep the output standard MessagePack. Options
 * that would write msgpackr-only extensions (`useRecords`, `structuredClone`,
 * `moreTypes`, `bundleStrings`, `structures`) are refused.
 *
 * A msgpackr option that converts values (`useFloat32`, `useTimestamp32`,
 * `int64AsType` other than `"bigint"`, `largeBigIntToFloat`,
 * `largeBigIntToString`, `encodeUndefinedAsNil`, `onInvalidDate`,
 * `mapAsEmptyObject`, `setAsEmptyObject`, `mapsAsObjects: false`) is itself the
 * opt-in to the conversion it names; `lossy` is not needed for it.
 */
export interface MessagePackBackendConfig {
  /**
   * Store values that would not come back as they were, converted the way
   * msgpackr converts them (a `Map` becomes a plain object, a `Set` an array, a
   * typed array a `Uint8Array` of its bytes, `-0` becomes `0`, …), instead of
   * refusing them with a `TypeError`. Default `false`. Functions, symbols,
   * cycles and bigints beyond 64 bits are refused either way.
   */
  lossy?: boolean;
  /** Decode maps as plain objects (`true`) or `Map`s. */
  mapsAsObjects?: boolean;
  /** Use the smallest map header for each map. */
  variableMapSize?: boolean;
  /** Encode numbers as 32-bit floats where they fit (`1`/`ALWAYS`, `2`/`DECIMAL_ROUND`, `3`/`DECIMAL_FIT`). */
  useFloat32?: number;
  /** Encode dates as 32-bit timestamps. */
  useTimestamp32?: boolean;
  /** Encode bigints beyond 64 bits as floats. */
  largeBigIntToFloat?: boolean;
  /** Encode bigints beyond 64 bits as strings. */
  largeBigIntToString?: boolean;
  /** How to decode 64-bit integers: `"number"`, `"bigint"`, `"auto"` or `"string"`. */
  int64AsType?: "number" | "bigint" | "auto" | "string";
  /** Encode `undefined` as nil. */
  encodeUndefinedAsNil?: boolean;
  /** Copy binary data out of the file buffer when decoding. */
  copyBuffers?: boolean;
  /** What to do with an invalid `Date`. */
  onInvalidDate?: () => unknown;
  /** Encode `Map`s as empty objects. */
  mapAsEmptyObject?: boolean;
  /** Encode `Set`s as empty objects. */
  setAsEmptyObject?: boolean;
  /** Allow arrays as map keys when decoding. */
  allowArraysInMapKeys?: boolean;
  /**
   * Classes whose instances come back as instances of the class (the Bucket
   * option `classes` passes them here). Each instance is written as
   * MessagePack extension type 56 (`0x38`) holding the MessagePack array
   * `[name, map of own enumerable properties]`; the name is the class's
   * `static [CLASS_NAME]` string if it has one (see {@linkcode CLASS_NAME}),
   * else `Class.name` (two classes with one name are a `TypeError`). On load the
   * instance is `Object.create(Class.prototype)` with the properties defined
   * on it: the constructor does not run, and private (`#field`) fields are
   * neither stored nor restored. A name this backend has not registered
   * loads as a plain object (and logs a warning once per name). As with any
   * MessagePack value here, a shared instance comes back as separate copies
   * and a cycle is a `TypeError`.
   */
  classes?: readonly (abstract new (...args: never[]) => object)[];
}

/**
 * Stores standard MessagePack in `.msgpack` files that any MessagePack
 * implementation reads back (no msgpackr-only records or extensions).
 *
 * A value that would not come back as it was stored is a `TypeError` at `set`
 * time naming where it is (`value.a[2]`), never silently changed: `Map`, `Set`,
 * typed arrays other than `Uint8Array`, `ArrayBuffer`, `DataView`, `RegExp`,
 * errors, `-0`, array holes, boxed primitives, strings with lone surrogates,
 * own `__proto__` properties and class instances with a `toJSON` method. Pass
 * `lossy: true` in config to store them converted instead. What comes back
 * faithfully: plain objects, arrays, strings, numbers (`NaN`, `±Infinity`),
 * booleans, `null`, `undefined`, `Date`s (timestamp extension), bigints within
 * 64 bits and `Uint8Array`s; class instances come back as plain objects, as
 * with `structuredClone` (with a warning once per class), unless their class
 * is registered in `classes` (the Bucket option or this config), and shared
 * references as separate equal copies.
 * Functions, symbols, opaque built-ins, cycles and bigints beyond 64 bits are
 * always a `TypeError`.
 *
 * @example
 * ```ts
 * import { MessagePackBackend } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * const backend = new MessagePackBackend();
 * const bytes = backend.dump({ value: { a: [1, 2] }, expirationDate: null });
 * assert.deepEqual(bytes, new Uint8Array([0x81, 0xa1, 0x61, 0x92, 0x01, 0x02]));
 * assert.deepEqual(backend.load(bytes).value, { a: [1, 2] });
 * assert.throws(
 *   () => backend.dump({ value: { tags: new Set(["x"]) }, expirationDate: null }),
 *   /a Set at value\.tags faithfully/,
 * );
 * const lossy = new MessagePackBackend({ lossy: true });
 * const set = lossy.dump({ value: { tags: new Set(["x"]) }, expirationDate: null });
 * assert.deepEqual(lossy.load(set).value, { tags: ["x"] });
 * ```
 */
export class MessagePackBackend extends Backend {
  /** `lossy`, `classes`, and the msgpackr options that keep the output standard. */
  static override readonly configKeys: readonly string[] = [
    "lossy",
    "classes",
    ...STANDARD_OPTIONS,
  ];
  /** `"msgpack"`. */
  readonly fileExtension: string = "msgpack";
  /** `true`. */
  readonly binaryFormat: boolean = true;
  readonly #packr: Packr;
  readonly #rules: MessagePackRules;
  readonly #classes: ClassRegistry | undefined;
  // Payloads of class instances, encoded before the value (never inside its
  // encoding: msgpackr would then allocate a buffer for each).
  readonly #encode = (data: unknown): Uint8Array => this.#packr.pack(data);

  /**
   * Creates the backend.
   *
   * @param config `lossy`, `classes`, and msgpackr options that keep the output standard
   * @throws {TypeError} for other keys, naming why, a `lossy` that is not a
   * boolean, or a `classes` entry that is not a class of your own, or two
   * classes with one name
   */
  constructor(config?: MessagePackBackendConfig) {
    for (
      const key of ["useRecords", "structuredClone", "moreTypes", "bundleStrings", "structures"]
    ) {
      if (config && key in config) {
        throw new TypeError(
          `MessagePackBackend config "${key}" would write msgpackr-only data that other MessagePack ` +
            "implementations cannot read; use StructuredCloneBackend for msgpackr's extended types",
        );
      }
    }
    super(config as BackendConfig | undefined);
    const { lossy = false, classes, ...options } = config ?? {};
    if (typeof lossy !== "boolean") {
      throw new TypeError("MessagePackBackend config lossy must be a boolean");
    }
    this.#packr = new Packr({
      variableMapSize: true, // fixmap headers for small maps, as other encoders write them
      ...(options as object),
      useRecords: false,
      moreTypes: false,
      structuredClone: false,
    });
    this.#rules = Object.freeze({
      lossy,
      mapsAsMaps: options.mapsAsObjects === false,
      emptyMaps: Boolean(options.mapAsEmptyObject),
      emptySets: Boolean(options.setAsEmptyObject),
      largeBigInts: Boolean(options.largeBigIntToFloat || options.largeBigIntToString),
      arrayMapKeys: Boolean(options.allowArraysInMapKeys),
    });
    this.#classes = readClasses(classes, "MessagePackBackend config classes");
  }

  /** `"MessagePackBackend"`. */
  override get identity(): string {
    return "MessagePackBackend";
  }

  /**
   * Encodes the entry's value as standard MessagePack, after one walk over it
   * that checks it would come back as it is.
   *
   * @throws {TypeError} naming where the value holds what would not come back
   * as stored (unless `lossy`), or what cannot be stored at all
   */
  dump(entry: Entry): Uint8Array {
    const names = this.#classes?.names;
    const { needsRewrite } = inspectValue(entry.value, "MessagePackBackend", this.#rules, names);
    return plainBytes(
      this.#packr.pack(
        needsRewrite ? rewriteClasses(entry.value, names!, this.#encode) : entry.value,
      ),
    );
  }

  /**
   * Decodes MessagePack.
   *
   * @throws {BackendLoadError} for data that is not one complete MessagePack value
   */
  load(data: Uint8Array): Entry {
    let value: unknown;
    const bytes = plainBytes(data);
    const saved = beginRead(this.#classes, bytes);
    try {
      value = this.#packr.unpack(bytes);
    } catch (cause) {
      // No hook from the config runs while decoding (classes are restored
      // without running their code), so what msgpackr throws is about the data.
      throw new BackendLoadError(`not a MessagePack value: ${String(cause)}`, { cause });
    } finally {
      endRead(saved);
    }
    if (isReservedByte(value)) {
      throw new BackendLoadError("not a MessagePack value: the reserved byte 0xc1");
    }
    return { value, expirationDate: null };
  }
}

// A large Uint8Array value is written and read without copies (_byte_values.ts).
registerByteFraming(MessagePackBackend.prototype.dump, framing(0xc6, [], 0));
