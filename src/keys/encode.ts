// The canonical key encoding: any supported value → deterministic bytes.
//
// Every value is a tag byte followed by its payload; every variable-length
// part is prefixed with its length (unsigned LEB128), so no two different
// values share bytes. The format is specified in README.md ("Key encoding")
// and pinned by tests/golden/keys.json; changing it is a breaking change.
//
// The encoder is a generator that yields chunks of at most CHUNK_SIZE bytes,
// so a key of any size can be hashed in constant memory. Containers are
// generators; leaves are written synchronously into the current chunk.

/** Tag bytes of the key encoding. */
export const Tag = {
  undefined: 0x00,
  null: 0x01,
  false: 0x02,
  true: 0x03,
  number: 0x04,
  bigint: 0x05,
  string: 0x06,
  array: 0x07,
  hole: 0x08,
  object: 0x09,
  date: 0x0a,
  regexp: 0x0b,
  map: 0x0c,
  set: 0x0d,
  arrayBuffer: 0x0e,
  sharedArrayBuffer: 0x0f,
  typedArray: 0x10,
  dataView: 0x11,
  instance: 0x12,
  boxed: 0x13,
} as const;

/** Element-type bytes of typed arrays (the element type is part of the key). */
const TYPED_ARRAY_KINDS: Record<string, number> = {
  Int8Array: 1,
  Uint8Array: 2,
  Uint8ClampedArray: 3,
  Int16Array: 4,
  Uint16Array: 5,
  Int32Array: 6,
  Uint32Array: 7,
  Float32Array: 8,
  Float64Array: 9,
  BigInt64Array: 10,
  BigUint64Array: 11,
  Float16Array: 12,
};

/** The symbol of the method that gives an object's key state. */
export const KEY_STATE: unique symbol = Symbol.for("bucketcache.keyState") as never;

/** Chunks never exceed this many bytes. */
export const CHUNK_SIZE = 64 * 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);
const CANONICAL_NAN = new Uint8Array([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
const textEncoder = new TextEncoder();
const nativeCode = new WeakMap<object, boolean>();

/** Whether `fn` is a built-in (not user-defined) constructor. */
function isNativeConstructor(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  let native = nativeCode.get(fn);
  if (native === undefined) {
    native = /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
    nativeCode.set(fn, native);
  }
  return native;
}

/** UTF-8 length of a string, counting a lone surrogate as 3 bytes (WTF-8). */
function wtf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Encodes a string that has lone surrogates as WTF-8: like UTF-8, with each
 * lone surrogate written as its own 3-byte sequence (which valid UTF-8 never
 * contains, so "\uD800" and "\uFFFD" keep different keys).
 */
function encodeWtf8(text: string, out: Uint8Array, at: number): number {
  let pos = at;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) out[pos++] = code;
    else if (code < 0x800) {
      out[pos++] = 0xc0 | (code >> 6);
      out[pos++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[pos++] = 0xe0 | (code >> 12);
      out[pos++] = 0x80 | ((code >> 6) & 0x3f);
      out[pos++] = 0x80 | (code & 0x3f);
    } else {
      out[pos++] = 0xf0 | (code >> 18);
      out[pos++] = 0x80 | ((code >> 12) & 0x3f);
      out[pos++] = 0x80 | ((code >> 6) & 0x3f);
      out[pos++] = 0x80 | (code & 0x3f);
    }
  }
  return pos - at;
}

type PathSegment = string | number | { label: string };

/** Formats a path such as `key.users[3].callback`. */
function formatPath(path: PathSegment[]): string {
  let out = "key";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string") {
      out += /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
    } else out += `<${segment.label}>`;
  }
  return out;
}

/** Compares the LEB128 encodings of two lengths byte by byte. */
function compareVarints(a: number, b: number): number {
  while (true) {
    const byteA = a >= 0x80 ? (a % 0x80) | 0x80 : a;
    const byteB = b >= 0x80 ? (b % 0x80) | 0x80 : b;
    if (byteA !== byteB) return byteA - byteB;
    if (a < 0x80) return 0;
    a = Math.floor(a / 0x80);
    b = Math.floor(b / 0x80);
  }
}

/** The code point at `i`, treating a lone surrogate as its own code point (as WTF-8 does). */
function codePointAt(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) {
      return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
    }
  }
  return unit;
}

/**
 * Sorts strings in the order of their encoded string payloads (LEB128 byte
 * length, then WTF-8 bytes) without encoding them: WTF-8 byte order is code
 * point order.
 */
export function sortByEncodedBytes(keys: string[]): string[] {
  const sized = keys.map((key) => ({ key, length: wtf8Length(key) }));
  sized.sort((a, b) => {
    const byLength = compareVarints(a.length, b.length);
    if (byLength !== 0) return byLength;
    const x = a.key;
    const y = b.key;
    for (let i = 0, j = 0; i < x.length && j < y.length;) {
      const cx = codePointAt(x, i);
      const cy = codePointAt(y, j);
      if (cx !== cy) return cx - cy;
      i += cx > 0xffff ? 2 : 1;
      j += cy > 0xffff ? 2 : 1;
    }
    return 0;
  });
  return sized.map((entry) => entry.key);
}

/** Compares byte arrays lexicographically (a shorter prefix sorts first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function describeType(value: unknown): string {
  if (typeof value === "function") return value.name ? `function ${value.name}` : "a function";
  if (typeof value === "symbol") return `symbol ${String(value.description ?? "")}`.trim();
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  if (!name) return "an object without a constructor";
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

/**
 * Writes the canonical encoding of one value as a sequence of chunks. One
 * instance encodes one top-level value; `sortKeys` orders object keys, Map
 * entries and Set members by their encoded bytes.
 */
export class KeyEncoder {
  readonly #sortKeys: boolean;
  #buffer: Uint8Array = new Uint8Array(256);
  #pos = 0;
  /** Objects currently being encoded (the ancestors): a repeat is a cycle. */
  readonly #ancestors = new Set<object>();
  /**
   * Where in the value the encoder is, for error messages: numbers are array
   * indexes, strings property names, objects labels (`{ label }`) such as a
   * Map entry. Formatted only when an error is thrown.
   */
  readonly #path: PathSegment[] = [];

  constructor(sortKeys: boolean) {
    this.#sortKeys = sortKeys;
  }

  /** An encoder ready for reuse by {@linkcode KeyEncoder.encode}, with its buffer. */
  static #idle: KeyEncoder | undefined;

  /** Encodes `value` completely into one byte array. */
  static encode(value: unknown, sortKeys: boolean): Uint8Array {
    // Reuse an idle encoder (its buffer included): allocation dominates the
    // cost of small keys. A keyState or toJSON method that makes a key of its
    // own while we encode finds no idle encoder and gets a fresh one.
    const idle = KeyEncoder.#idle;
    const encoder = idle !== undefined && idle.#sortKeys === sortKeys
      ? idle
      : new KeyEncoder(sortKeys);
    KeyEncoder.#idle = undefined;
    try {
      // Small keys of arrays, plain objects and primitives take a synchronous
      // path; anything else (or anything it cannot finish) starts over on the
      // generator path, which writes the same bytes.
      if (encoder.#primitive(value) || encoder.#plain(value, 0)) {
        return encoder.#buffer.slice(0, encoder.#pos);
      }
      encoder.#pos = 0;
      const chunks: Uint8Array[] = [];
      for (const chunk of encoder.#value(value)) chunks.push(chunk);
      chunks.push(encoder.#buffer.slice(0, encoder.#pos));
      return chunks.length === 1 ? chunks[0] : KeyEncoder.#concat(chunks);
    } finally {
      encoder.#pos = 0;
      encoder.#path.length = 0;
      encoder.#ancestors.clear();
      KeyEncoder.#idle = encoder;
    }
  }

  /** Yields the encoding of `value` in chunks of at most {@linkcode CHUNK_SIZE} bytes. */
  *chunks(value: unknown): Generator<Uint8Array, void, undefined> {
    yield* this.#value(value);
    if (this.#pos > 0) yield this.#take();
  }

  /** Hands out the bytes written so far and starts a fresh chunk. */
  #take(): Uint8Array {
    const out = this.#buffer.subarray(0, this.#pos);
    this.#buffer = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(256, this.#buffer.length)));
    this.#pos = 0;
    return out;
  }

  /** Makes room for `bytes` more bytes, growing the chunk up to CHUNK_SIZE. */
  #ensure(bytes: number): boolean {
    const needed = this.#pos + bytes;
    if (needed <= this.#buffer.length) return true;
    if (needed > CHUNK_SIZE) return false;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, CHUNK_SIZE));
    grown.set(this.#buffer.subarray(0, this.#pos));
    this.#buffer = grown;
    return true;
  }

  /**
   * Makes room for a few bytes (at most 256). Returns the full chunk to yield
   * first when the current one cannot take them.
   */
  #room(bytes: number): Uint8Array | undefined {
    if (this.#ensure(bytes)) return undefined;
    const full = this.#take();
    this.#ensure(bytes);
    return full;
  }

  /**
   * Writes a value that needs no recursion (undefined, null, booleans,
   * numbers, short strings) without creating a generator. Returns false for
   * anything else, or when the chunk is full.
   */
  #primitive(value: unknown): boolean {
    switch (typeof value) {
      case "number":
        if (!this.#ensure(9)) return false;
        this.#byte(Tag.number);
        this.#float64(value);
        return true;
      case "string":
        if (value.length * 3 >= 0x80 || !this.#ensure(2 + value.length * 3)) return false;
        this.#byte(Tag.string);
        this.#shortString(value);
        return true;
      case "boolean":
        if (!this.#ensure(1)) return false;
        this.#byte(value ? Tag.true : Tag.false);
        return true;
      case "undefined":
        if (!this.#ensure(1)) return false;
        this.#byte(Tag.undefined);
        return true;
      case "object":
        if (value !== null || !this.#ensure(1)) return false;
        this.#byte(Tag.null);
        return true;
      default:
        return false;
    }
  }

  /**
   * Writes arrays and plain objects of primitives and short strings, nested
   * up to 8 deep, without generators. Returns false (leaving a partial write
   * for the caller to discard) at anything else.
   */
  #plain(value: unknown, depth: number): boolean {
    if (typeof value !== "object" || value === null || depth > 8) return false;
    if (typeof (value as { [KEY_STATE]?: unknown })[KEY_STATE] === "function") return false;
    if (Array.isArray(value)) {
      if (!this.#ensure(11)) return false;
      this.#byte(Tag.array);
      this.#varint(value.length);
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) {
          if (!this.#ensure(1)) return false;
          this.#byte(Tag.hole);
          continue;
        }
        const item = value[i];
        if (!this.#primitive(item) && !this.#plain(item, depth + 1)) return false;
      }
      return true;
    }
    const proto = Object.getPrototypeOf(value);
    if (
      (proto !== Object.prototype && proto !== null) ||
      Object.getOwnPropertySymbols(value).length > 0
    ) {
      return false;
    }
    let keys = Object.keys(value);
    if (this.#sortKeys && keys.length > 1) keys = sortByEncodedBytes(keys);
    if (!this.#ensure(11)) return false;
    this.#byte(Tag.object);
    this.#varint(keys.length);
    for (const key of keys) {
      if (key.length * 3 >= 0x80 || !this.#ensure(2 + key.length * 3)) return false;
      this.#shortString(key);
      const item = (value as Record<string, unknown>)[key];
      if (!this.#primitive(item) && !this.#plain(item, depth + 1)) return false;
    }
    return true;
  }

  /** A string of fewer than 43 code units (at most 127 bytes); room must be made. */
  #shortString(text: string): void {
    const buffer = this.#buffer;
    const at = this.#pos + 1;
    let i = 0;
    // ASCII, the common case, without a call into the runtime's encoder.
    for (; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) break;
      buffer[at + i] = unit;
    }
    let written = i;
    if (i < text.length) {
      written = text.isWellFormed()
        ? textEncoder.encodeInto(text, buffer.subarray(at)).written
        : encodeWtf8(text, buffer, at);
    }
    buffer[this.#pos] = written;
    this.#pos = at + written;
  }

  #byte(value: number): void {
    this.#buffer[this.#pos++] = value;
  }

  #varint(value: number): void {
    while (value >= 0x80) {
      this.#buffer[this.#pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buffer[this.#pos++] = value;
  }

  /** IEEE 754 binary64, big-endian; every NaN as 7ff8000000000000. */
  #float64(value: number): void {
    float64[0] = value !== value ? NaN : value;
    const buffer = this.#buffer;
    const at = this.#pos;
    if (value !== value) {
      buffer.set(CANONICAL_NAN, at);
    } else if (LITTLE_ENDIAN) {
      for (let i = 0; i < 8; i++) buffer[at + i] = float64Bytes[7 - i];
    } else {
      buffer.set(float64Bytes, at);
    }
    this.#pos = at + 8;
  }

  /** Writes raw bytes, passing large runs through as views without copying. */
  *#bytes(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
    if (this.#ensure(bytes.length)) {
      this.#buffer.set(bytes, this.#pos);
      this.#pos += bytes.length;
      return;
    }
    if (this.#pos > 0) yield this.#take();
    for (let at = 0; at < bytes.length; at += CHUNK_SIZE) {
      const part = bytes.subarray(at, at + CHUNK_SIZE);
      if (part.length === CHUNK_SIZE) yield part;
      else {
        this.#ensure(part.length);
        this.#buffer.set(part, 0);
        this.#pos = part.length;
      }
    }
  }

  /** A string payload: varint byte length, then WTF-8 bytes. */
  *#string(text: string): Generator<Uint8Array, void, undefined> {
    const full = this.#room(Math.min(256, 2 + text.length * 3));
    if (full) yield full;
    if (text.length * 3 < 0x80) {
      this.#shortString(text);
      return;
    }
    const wellFormed = text.isWellFormed();
    const length = wtf8Length(text);
    this.#varint(length);
    if (this.#ensure(length)) {
      this.#pos += wellFormed
        ? textEncoder.encodeInto(text, this.#buffer.subarray(this.#pos)).written
        : encodeWtf8(text, this.#buffer, this.#pos);
      return;
    }
    // Long: encode slices, never splitting a surrogate pair.
    const slice = CHUNK_SIZE / 4;
    for (let start = 0; start < text.length;) {
      let end = Math.min(text.length, start + slice);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      const part = text.slice(start, end);
      if (!this.#ensure(part.length * 3)) {
        yield this.#take();
        this.#ensure(part.length * 3);
      }
      this.#pos += wellFormed
        ? textEncoder.encodeInto(part, this.#buffer.subarray(this.#pos)).written
        : encodeWtf8(part, this.#buffer, this.#pos);
      start = end;
    }
  }

  /** Throws a TypeError: what failed, where in the value, and what to do. */
  #fail(what: string, fix: string): never {
    throw new TypeError(`Cannot make a key from ${what} at ${formatPath(this.#path)}: ${fix}`);
  }

  *#value(value: unknown): Generator<Uint8Array, void, undefined> {
    if (this.#primitive(value)) return;
    switch (typeof value) {
      case "object":
        if (value !== null) {
          yield* this.#object(value);
          return;
        }
        break;
      case "string": {
        const tagged = this.#tag(Tag.string);
        if (tagged) yield tagged;
        yield* this.#string(value);
        return;
      }
      case "bigint":
        yield* this.#bigint(value);
        return;
      case "function":
      case "symbol":
        this.#fail(
          describeType(value),
          "functions and symbols have no stable value; leave them out of the key " +
            "(with memoize, use the `ignore` or `key` option)",
        );
    }
    // A primitive that did not fit in the chunk.
    yield this.#take();
    this.#primitive(value);
  }

  /**
   * Writes a tag byte with room for 15 more bytes after it. Returns the full
   * chunk (holding everything before the tag) for the caller to yield.
   */
  #tag(tag: number): Uint8Array | undefined {
    const full = this.#room(16);
    this.#byte(tag);
    return full;
  }

  *#bigint(value: bigint): Generator<Uint8Array, void, undefined> {
    const negative = value < 0n;
    let hex = (negative ? -value : value).toString(16);
    if (hex === "0") hex = "";
    if (hex.length % 2) hex = "0" + hex;
    const magnitude = new Uint8Array(hex.length / 2);
    for (let i = 0; i < magnitude.length; i++) {
      magnitude[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    }
    const tagged = this.#tag(Tag.bigint);
    if (tagged) yield tagged;
    this.#byte(negative ? 1 : 0);
    this.#varint(magnitude.length);
    yield* this.#bytes(magnitude);
  }

  *#object(value: object): Generator<Uint8Array, void, undefined> {
    if (this.#ancestors.has(value)) {
      this.#fail(
        "a circular structure (the value contains itself)",
        'give the object a [Symbol.for("bucketcache.keyState")]() method that returns acyclic state',
      );
    }
    this.#ancestors.add(value);
    const keyState = (value as { [KEY_STATE]?: unknown })[KEY_STATE];
    if (typeof keyState === "function") {
      yield* this.#instance(value, () => keyState.call(value));
    } else if (Array.isArray(value)) {
      yield* this.#array(value);
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const tagged = this.#tag(Tag.object);
        if (tagged) yield tagged;
        yield* this.#properties(value);
      } else if (value instanceof Map) {
        yield* this.#map(value);
      } else if (value instanceof Set) {
        yield* this.#set(value);
      } else {
        yield* this.#other(value, proto);
      }
    }
    this.#ancestors.delete(value);
  }

  /** Objects that are not arrays, plain objects, Maps or Sets. */
  *#other(value: object, proto: object): Generator<Uint8Array, void, undefined> {
    if (ArrayBuffer.isView(value)) {
      yield* this.#view_(value);
      return;
    }
    if (value instanceof Date) {
      const tagged = this.#tag(Tag.date);
      if (tagged) yield tagged;
      this.#float64(value.getTime());
      return;
    }
    if (value instanceof RegExp) {
      const tagged = this.#tag(Tag.regexp);
      if (tagged) yield tagged;
      yield* this.#string(value.source);
      yield* this.#string(value.flags);
      return;
    }
    const shared = typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer;
    if (value instanceof ArrayBuffer || shared) {
      const tagged = this.#tag(shared ? Tag.sharedArrayBuffer : Tag.arrayBuffer);
      if (tagged) yield tagged;
      this.#varint(value.byteLength);
      yield* this.#bytes(new Uint8Array(value));
      return;
    }
    if (
      value instanceof Number || value instanceof String || value instanceof Boolean ||
      value instanceof BigInt
    ) {
      const tagged = this.#tag(Tag.boxed);
      if (tagged) yield tagged;
      yield* this.#value(value.valueOf());
      return;
    }
    if (isNativeConstructor((proto as { constructor?: unknown }).constructor)) {
      this.#fail(
        describeType(value),
        "it has no comparable value (WeakMap, WeakSet, WeakRef, Promise, Error, iterators and other " +
          "built-ins are opaque); key on the data it holds instead",
      );
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      yield* this.#instance(value, () => (value as { toJSON(key: string): unknown }).toJSON(""));
    } else {
      yield* this.#instance(value, undefined);
    }
  }

  /** A class instance: tag, class name, then its state through the key rules. */
  *#instance(
    value: object,
    state: (() => unknown) | undefined,
  ): Generator<Uint8Array, void, undefined> {
    const constructor =
      (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
        ?.constructor;
    const name = typeof constructor?.name === "string" ? constructor.name : "";
    const tagged = this.#tag(Tag.instance);
    if (tagged) yield tagged;
    yield* this.#string(name);
    if (state) {
      this.#path.push({ label: `${name || "instance"} state` });
      yield* this.#value(state());
      this.#path.pop();
    } else {
      const tagged = this.#tag(Tag.object);
      if (tagged) yield tagged;
      yield* this.#properties(value);
    }
  }

  *#array(value: unknown[]): Generator<Uint8Array, void, undefined> {
    const tagged = this.#tag(Tag.array);
    if (tagged) yield tagged;
    this.#varint(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) {
        const tagged = this.#tag(Tag.hole);
        if (tagged) yield tagged;
        continue;
      }
      const item = value[i];
      if (this.#primitive(item)) continue;
      this.#path.push(i);
      yield* this.#value(item);
      this.#path.pop();
    }
  }

  /** Own enumerable string-keyed properties: count, then (name, value) pairs. */
  *#properties(value: object): Generator<Uint8Array, void, undefined> {
    if (
      Object.getOwnPropertySymbols(value).some((s) =>
        Object.prototype.propertyIsEnumerable.call(value, s)
      )
    ) {
      this.#fail(
        "an object with symbol-keyed properties",
        "symbols have no stable value; use string keys",
      );
    }
    let keys = Object.keys(value);
    if (this.#sortKeys && keys.length > 1) keys = sortByEncodedBytes(keys);
    const full = this.#room(10);
    if (full) yield full;
    this.#varint(keys.length);
    for (const key of keys) {
      if (key.length * 3 < 0x80 && this.#ensure(2 + key.length * 3)) this.#shortString(key);
      else yield* this.#string(key);
      const item = (value as Record<string, unknown>)[key];
      if (this.#primitive(item)) continue;
      this.#path.push(key);
      yield* this.#value(item);
      this.#path.pop();
    }
  }

  static #concat(chunks: Uint8Array[]): Uint8Array {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** The complete encoding of a nested value, with this encoder's path and ancestors. */
  #materialise(value: unknown): Uint8Array {
    const nested = new KeyEncoder(this.#sortKeys);
    for (const ancestor of this.#ancestors) nested.#ancestors.add(ancestor);
    nested.#path.push(...this.#path);
    const chunks = [...nested.#value(value)];
    chunks.push(nested.#take());
    return KeyEncoder.#concat(chunks);
  }

  *#map(value: Map<unknown, unknown>): Generator<Uint8Array, void, undefined> {
    const tagged = this.#tag(Tag.map);
    if (tagged) yield tagged;
    this.#varint(value.size);
    if (!this.#sortKeys || value.size < 2) {
      let index = 0;
      for (const [key, item] of value) {
        this.#path.push({ label: `Map entry ${index} key` });
        yield* this.#value(key);
        this.#path.pop();
        this.#path.push({ label: `Map entry ${index++} value` });
        yield* this.#value(item);
        this.#path.pop();
      }
      return;
    }
    // Entries sort by their key's bytes; equal key bytes (distinct but equal
    // objects) sort by their value's bytes.
    const entries: { key: Uint8Array; value: unknown; valueBytes?: Uint8Array; index: number }[] =
      [];
    let index = 0;
    for (const [key, item] of value) {
      this.#path.push({ label: `Map entry ${index} key` });
      entries.push({ key: this.#materialise(key), value: item, index: index++ });
      this.#path.pop();
    }
    const valueBytes = (entry: (typeof entries)[number]) => {
      if (!entry.valueBytes) {
        this.#path.push({ label: `Map entry ${entry.index} value` });
        entry.valueBytes = this.#materialise(entry.value);
        this.#path.pop();
      }
      return entry.valueBytes;
    };
    entries.sort((a, b) =>
      compareBytes(a.key, b.key) || compareBytes(valueBytes(a), valueBytes(b))
    );
    for (const entry of entries) {
      yield* this.#bytes(entry.key);
      if (entry.valueBytes) yield* this.#bytes(entry.valueBytes);
      else {
        this.#path.push({ label: `Map entry ${entry.index} value` });
        yield* this.#value(entry.value);
        this.#path.pop();
      }
    }
  }

  *#set(value: Set<unknown>): Generator<Uint8Array, void, undefined> {
    const tagged = this.#tag(Tag.set);
    if (tagged) yield tagged;
    this.#varint(value.size);
    if (!this.#sortKeys || value.size < 2) {
      let index = 0;
      for (const member of value) {
        this.#path.push({ label: `Set member ${index++}` });
        yield* this.#value(member);
        this.#path.pop();
      }
      return;
    }
    const members: Uint8Array[] = [];
    let index = 0;
    for (const member of value) {
      this.#path.push({ label: `Set member ${index++}` });
      members.push(this.#materialise(member));
      this.#path.pop();
    }
    members.sort(compareBytes);
    for (const member of members) yield* this.#bytes(member);
  }

  *#view_(value: ArrayBufferView): Generator<Uint8Array, void, undefined> {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (value instanceof DataView) {
      const tagged = this.#tag(Tag.dataView);
      if (tagged) yield tagged;
      this.#varint(bytes.length);
      yield* this.#bytes(bytes);
      return;
    }
    const name =
      (Object.getPrototypeOf(value) as { constructor: { name: string } }).constructor.name;
    let kind = TYPED_ARRAY_KINDS[name];
    if (kind === undefined) {
      // A user subclass of a typed array: its built-in ancestor decides.
      for (
        let p = Object.getPrototypeOf(Object.getPrototypeOf(value));
        p && kind === undefined;
        p = Object.getPrototypeOf(p)
      ) {
        kind = TYPED_ARRAY_KINDS[(p as { constructor: { name: string } }).constructor.name];
      }
    }
    if (kind === undefined) {
      this.#fail(describeType(value), "unknown typed array type");
    }
    if (
      !LITTLE_ENDIAN && (value as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT > 1
    ) {
      this.#fail("a multi-byte typed array", "big-endian machines are not supported");
    }
    const tagged = this.#tag(Tag.typedArray);
    if (tagged) yield tagged;
    this.#byte(kind);
    this.#varint(bytes.length);
    yield* this.#bytes(bytes);
  }
}
