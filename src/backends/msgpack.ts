/**
 * A backend that stores standard MessagePack.
 *
 * @module
 */

import { Packr } from "msgpackr/pack";
import { Backend, type BackendConfig, type Entry } from "./backend.ts";
import { BackendLoadError } from "../errors.ts";
import { inspectValue, isReservedByte, plainBytes } from "./_value_walk.ts";

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
] as const;

/**
 * Options of {@linkcode MessagePackBackend}: msgpackr encoder/decoder options
 * that keep the output standard MessagePack. Options that would write
 * msgpackr-only extensions (`useRecords`, `structuredClone`, `moreTypes`,
 * `bundleStrings`, `structures`) are refused.
 */
export interface MessagePackBackendConfig {
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
}

/**
 * Stores standard MessagePack in `.msgpack` files that any MessagePack
 * implementation reads back (no msgpackr-only records or extensions).
 * Functions, symbols, boxed primitives, strings with lone surrogates and own
 * `__proto__` properties are a `TypeError`, never silently changed. As in
 * MessagePack itself, `-0` is stored as `0` and array holes as nil.
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
 * ```
 */
export class MessagePackBackend extends Backend {
  /** msgpackr options that keep the output standard. */
  static override readonly configKeys: readonly string[] = STANDARD_OPTIONS;
  /** `"msgpack"`. */
  readonly fileExtension: string = "msgpack";
  /** `true`. */
  readonly binaryFormat: boolean = true;
  readonly #packr: Packr;

  /**
   * Creates the backend.
   *
   * @param config msgpackr options that keep the output standard
   * @throws {TypeError} for other keys, naming why
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
    this.#packr = new Packr({
      variableMapSize: true, // fixmap headers for small maps, as other encoders write them
      ...(config as object),
      useRecords: false,
      moreTypes: false,
      structuredClone: false,
    });
  }

  /** `"MessagePackBackend"`. */
  override get identity(): string {
    return "MessagePackBackend";
  }

  /**
   * Encodes the entry's value as standard MessagePack.
   *
   * @throws {TypeError} naming where a function or symbol is in the value
   */
  dump(entry: Entry): Uint8Array {
    const { unfaithful } = inspectValue(entry.value, "MessagePackBackend");
    if (unfaithful !== undefined) {
      throw new TypeError(
        `MessagePackBackend cannot store ${unfaithful} faithfully in standard MessagePack; ` +
          "convert it first or use StructuredCloneBackend",
      );
    }
    return plainBytes(this.#packr.pack(entry.value));
  }

  /**
   * Decodes MessagePack.
   *
   * @throws {BackendLoadError} for data that is not one complete MessagePack value
   */
  load(data: Uint8Array): Entry {
    let value: unknown;
    try {
      value = this.#packr.unpack(plainBytes(data));
    } catch (cause) {
      throw new BackendLoadError(`not a MessagePack value: ${String(cause)}`, { cause });
    }
    if (isReservedByte(value)) {
      throw new BackendLoadError("not a MessagePack value: the reserved byte 0xc1");
    }
    return { value, expirationDate: null };
  }
}
