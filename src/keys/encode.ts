// The canonical key encoding: any supported value → deterministic bytes.
//
// Every value is a tag byte followed by its payload; every variable-length
// part is prefixed with its length (unsigned LEB128), so no two different
// values share bytes. The format is specified in README.md ("Key encoding")
// and pinned by tests/golden/keys.json; changing it is a breaking change.
//
// The encoder is a generator that yields chunks of at most CHUNK_SIZE bytes,
// so a key of any size can be hashed in constant memory. Containers are
// generators, run from an explicit stack by a driver loop rather than by
// delegating to each other, so nesting does not use the call stack; leaves are
// written synchronously into the current chunk.

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

/**
 * The symbol of the method that gives an object's key state:
 * `[Symbol.for("bucketcache.keyState")]()` returns what the object is keyed
 * on (under its class name), in place of everything else about it. It is
 * honoured on any object (class instances, plain objects, arrays, subclasses
 * of built-ins) before every other rule.
 *
 * A method named plainly `keyState()` is the same hook for class instances
 * whose own enumerable properties would otherwise be their state but who have
 * none (their state is in private `#fields` or closures) — the instances that
 * without it are a `TypeError`. It is not consulted on plain objects, arrays
 * and built-ins, before `toJSON()`, or on an instance with own enumerable
 * properties (other than a `keyState` function itself), which keeps every key
 * made before it was recognised; use the symbol to override those.
 *
 * @example Key an instance whose state is private
 * ```ts
 * import { DefaultKeyMaker } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class Point {
 *   #x: number;
 *   #y: number;
 *   constructor(x: number, y: number) {
 *     this.#x = x;
 *     this.#y = y;
 *   }
 *   keyState() {
 *     return [this.#x, this.#y];
 *   }
 * }
 * const keys = new DefaultKeyMaker();
 * assert.notDeepEqual(keys.makeKey(new Point(3, 4)), keys.makeKey(new Point(6, 8)));
 * ```
 */
export const KEY_STATE: unique symbol = Symbol.for("bucketcache.keyState") as never;

/**
 * How deeply a key may nest: at most this many objects, arrays, Maps, Sets
 * and class instances (a keyState or toJSON result counts as one more level)
 * enclose one another; a deeper value is a `TypeError` naming where it is.
 * The limit catches structures without end (a getter, toJSON() or keyState()
 * that returns a new object every time); encoding does not use the call
 * stack, so any depth up to it works in every runtime.
 */
export const MAX_KEY_DEPTH = 10_000;

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

/** Paths longer than this many segments are shown with their middle left out. */
const PATH_SHOWN = 24;

/** Formats a path such as `key.users[3].callback`. */
function formatPath(path: PathSegment[]): string {
  let out = "key";
  for (let i = 0; i < path.length; i++) {
    if (path.length > PATH_SHOWN && i === PATH_SHOWN / 2) {
      const skipped = path.length - PATH_SHOWN;
      out += `…(${skipped} more)…`;
      i += skipped - 1;
      continue;
    }
    const segment = path[i];
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

/** "a Point", "an Item", or "an instance of an anonymous class". */
function describeInstance(className: string): string {
  if (!className) return "an instance of an anonymous class";
  return /^[AEIOU]/.test(className) ? `an ${className}` : `a ${className}`;
}

/** A thrown value in a few words, for a message (the value itself becomes the cause). */
function describeThrown(thrown: unknown): string {
  let text: string;
  try {
    text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  } catch {
    text = "an unprintable value";
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The TypeErrors this module throws, which pass through its catch-all unwrapped. */
const keyErrors = new WeakSet<object>();

/** What a container's generator yields to ask the driver to encode `#pending` in place. */
const DESCEND: { readonly request: "descend" } = { request: "descend" };
/** What a container's generator yields to get the complete encoding of `#pending` back. */
const CAPTURE: { readonly request: "capture" } = { request: "capture" };

/**
 * A generator of one value's encoding: chunks for the consumer, or requests
 * to the driver ({@linkcode KeyEncoder.chunks}), which answers a `CAPTURE`
 * with the bytes by `next(bytes)`.
 */
type Steps = Generator<Uint8Array | typeof DESCEND | typeof CAPTURE, void, Uint8Array | undefined>;

/** A nested value being encoded on its own: where it started, its chunks, the output set aside. */
interface Capture {
  depth: number;
  chunks: Uint8Array[];
  buffer: Uint8Array;
  pos: number;
}

const STATE_HOOKS = 'a keyState() method (or [Symbol.for("bucketcache.keyState")]())';

/**
 * Writes the canonical encoding of one value as a sequence of chunks. One
 * instance encodes one top-level value; `sortKeys` orders object keys, Map
 * entries and Set members by their encoded bytes.
 *
 * Nesting costs no call stack: each container is a generator that hands its
 * children to a driver loop ({@linkcode KeyEncoder.chunks}) instead of
 * delegating to them, so the depth a key may have is the documented
 * {@linkcode MAX_KEY_DEPTH}, the same in every runtime and at any stack depth
 * of the caller.
 */
export class KeyEncoder {
  readonly #sortKeys: boolean;
  #buffer: Uint8Array = new Uint8Array(256);
  #pos = 0;
  /** The value a DESCEND or CAPTURE request is about. */
  #pending: unknown = undefined;
  /** Objects currently being encoded (the ancestors): a repeat is a cycle. */
  readonly #ancestors = new Set<object>();
  /**
   * Where in the value the encoder is, for error messages: numbers are array
   * indexes, strings property names, objects labels (`{ label }`) such as a
   * Map entry. Formatted only when an error is thrown.
   */
  readonly #path: PathSegment[] = [];

  /**
   * Creates an encoder of one value.
   *
   * @param sortKeys order object keys, Map entries and Set members by their encoded bytes
   */
  constructor(sortKeys: boolean) {
    this.#sortKeys = sortKeys;
  }

  /** An encoder ready for reuse by {@linkcode KeyEncoder.encode}, with its buffer. */
  static #idle: KeyEncoder | undefined;

  /**
   * Encodes `value` completely into one byte array.
   *
   * @throws {TypeError} where the key rules cannot key a value, naming where in it
   */
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
      // path; anything else (or anything it cannot finish, a throwing getter
      // included) starts over on the generator path, which writes the same
      // bytes and reports errors with their place.
      let done: boolean;
      try {
        done = encoder.#primitive(value) || encoder.#plain(value, 0);
      } catch {
        done = false;
      }
      if (done) return encoder.#buffer.slice(0, encoder.#pos);
      encoder.#pos = 0;
      const chunks: Uint8Array[] = [];
      for (const chunk of encoder.#run(value)) chunks.push(chunk);
      chunks.push(encoder.#buffer.slice(0, encoder.#pos));
      return chunks.length === 1 ? chunks[0] : KeyEncoder.#concat(chunks);
    } finally {
      encoder.#pos = 0;
      encoder.#pending = undefined;
      encoder.#path.length = 0;
      encoder.#ancestors.clear();
      KeyEncoder.#idle = encoder;
    }
  }

  /**
   * Yields the encoding of `value` in chunks of at most {@linkcode CHUNK_SIZE} bytes.
   *
   * @throws {TypeError} (from `next()`) where the key rules cannot key a value, naming where in it
   */
  *chunks(value: unknown): Generator<Uint8Array, void, undefined> {
    yield* this.#run(value);
    if (this.#pos > 0) yield this.#take();
  }

  /**
   * The driver: runs the generators of `root` and of every nested value from
   * an explicit stack (the innermost last), passing chunks on, and for a
   * CAPTURE collecting the nested value's chunks into one array that it hands
   * back. Anything user code throws on the way (a getter, a Proxy trap, …)
   * becomes a TypeError naming the place, with the original as `cause`.
   */
  *#run(root: unknown): Generator<Uint8Array, void, undefined> {
    /** The generators of the values being encoded, innermost last. */
    const stack: Steps[] = [];
    /** The value of each generator: an object stays an ancestor until its generator ends. */
    const owners: unknown[] = [];
    /** Open captures, innermost last: where each started, its chunks, the output set aside. */
    const captures: Capture[] = [];
    let input: Uint8Array | undefined;
    try {
      const first = this.#open(root);
      if (first === undefined) return;
      stack.push(first);
      owners.push(root);
      while (stack.length > 0) {
        const step = stack[stack.length - 1].next(input);
        input = undefined;
        if (step.done) {
          stack.pop();
          const owner = owners.pop();
          if (typeof owner === "object" && owner !== null) this.#ancestors.delete(owner);
          if (captures.length > 0 && captures[captures.length - 1].depth === stack.length) {
            input = this.#endCapture(captures.pop()!);
          }
          continue;
        }
        const out = step.value;
        if (out === DESCEND || out === CAPTURE) {
          const value = this.#pending;
          if (out === CAPTURE) {
            captures.push({
              depth: stack.length,
              chunks: [],
              buffer: this.#buffer,
              pos: this.#pos,
            });
            this.#buffer = new Uint8Array(256);
            this.#pos = 0;
          }
          const opened = this.#open(value);
          if (opened !== undefined) {
            stack.push(opened);
            owners.push(value);
          } else if (out === CAPTURE) {
            input = this.#endCapture(captures.pop()!);
          }
        } else if (captures.length > 0) {
          captures[captures.length - 1].chunks.push(out as Uint8Array);
        } else {
          yield out as Uint8Array;
        }
      }
    } catch (error) {
      if (keyErrors.has(error as object)) throw error;
      this.#fail(
        `a value that threw while it was read (${describeThrown(error)})`,
        "key on plain data instead",
        error,
      );
    }
  }

  /** Ends a capture: its bytes in one array, and the output set aside restored. */
  #endCapture(capture: Capture): Uint8Array {
    capture.chunks.push(this.#buffer.subarray(0, this.#pos));
    this.#buffer = capture.buffer;
    this.#pos = capture.pos;
    // A single chunk is a view of the capture's own buffer, now out of use.
    return capture.chunks.length === 1 ? capture.chunks[0] : KeyEncoder.#concat(capture.chunks);
  }

  /**
   * Starts encoding `value`: writes it at once if it is a primitive that
   * fits, else returns the generator that writes it (an object becomes an
   * ancestor until that generator ends).
   */
  #open(value: unknown): Steps | undefined {
    if (this.#primitive(value)) return undefined;
    if (typeof value === "object" && value !== null) return this.#object(value);
    return this.#leaf(value);
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
  *#bytes(bytes: Uint8Array): Steps {
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
  *#string(text: string): Steps {
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

  /**
   * Throws a TypeError: what failed, where in the value, and what to do;
   * `cause` is the error user code threw, if that was the failure.
   */
  #fail(what: string, fix: string, cause?: unknown): never {
    const message = `Cannot make a key from ${what} at ${formatPath(this.#path)}: ${fix}`;
    const error = arguments.length > 2 ? new TypeError(message, { cause }) : new TypeError(message);
    keyErrors.add(error);
    throw error;
  }

  /** Reads `value[key]`; a getter (or Proxy) that throws fails naming the property. */
  #read(value: object, key: string | number): unknown {
    try {
      return (value as Record<string | number, unknown>)[key];
    } catch (error) {
      this.#path.push(key);
      this.#fail(
        `a getter that threw (${describeThrown(error)})`,
        "make it return the value, or leave the property out of the key " +
          "(with memoize, use the `key` or `ignore` option)",
        error,
      );
    }
  }

  /**
   * Encodes `value` where the encoder is, as a nested value: written at once
   * if it is a primitive that fits, else handed to the driver.
   */
  *#nested(value: unknown): Steps {
    if (this.#primitive(value)) return;
    this.#pending = value;
    yield DESCEND;
  }

  /** The complete encoding of `value`, with this encoder's path and ancestors. */
  *#materialise(value: unknown): Generator<typeof CAPTURE, Uint8Array, Uint8Array | undefined> {
    this.#pending = value;
    return (yield CAPTURE) as Uint8Array;
  }

  /** A value that is not an object and did not fit as a primitive. */
  *#leaf(value: unknown): Steps {
    switch (typeof value) {
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

  *#bigint(value: bigint): Steps {
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

  /**
   * Checks an object and makes it an ancestor, then returns the generator of
   * its kind: the keyState hook first, then arrays, plain objects, Maps, Sets
   * and everything else.
   */
  #object(value: object): Steps {
    if (this.#ancestors.has(value)) {
      this.#fail(
        "a circular structure (the value contains itself)",
        'give the object a [Symbol.for("bucketcache.keyState")]() method that returns acyclic state',
      );
    }
    if (this.#ancestors.size >= MAX_KEY_DEPTH) {
      this.#fail(
        `a value nested more than ${MAX_KEY_DEPTH} levels deep`,
        `keys may nest at most ${MAX_KEY_DEPTH} objects, arrays, Maps, Sets and instances ` +
          "(a getter, toJSON() or keyState() that returns a new object every time nests without " +
          "end); key on a flatter value",
      );
    }
    this.#ancestors.add(value);
    const keyState = (value as { [KEY_STATE]?: unknown })[KEY_STATE];
    if (typeof keyState === "function") {
      return this.#instance(value, keyState, '[Symbol.for("bucketcache.keyState")]()');
    }
    if (Array.isArray(value)) return this.#array(value);
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      return this.#properties(value, Object.keys(value), undefined);
    }
    if (value instanceof Map) return this.#map(value);
    if (value instanceof Set) return this.#set(value);
    return this.#other(value, proto);
  }

  /** Objects that are not arrays, plain objects, Maps or Sets. */
  #other(value: object, proto: object): Steps {
    if (ArrayBuffer.isView(value)) return this.#view_(value);
    if (value instanceof Date) return this.#date(value);
    if (value instanceof RegExp) return this.#regexp(value);
    const shared = typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer;
    if (value instanceof ArrayBuffer || shared) return this.#arrayBuffer(value, shared);
    if (
      value instanceof Number || value instanceof String || value instanceof Boolean ||
      value instanceof BigInt
    ) {
      return this.#boxed(value);
    }
    if (isNativeConstructor((proto as { constructor?: unknown }).constructor)) {
      this.#fail(
        describeType(value),
        "it has no comparable value (WeakMap, WeakSet, WeakRef, Promise, Error, iterators and other " +
          "built-ins are opaque); key on the data it holds instead",
      );
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return this.#instance(value, toJSON, "toJSON()", "");
    // Own enumerable properties are the state, unless there are none (or the
    // only one is a keyState function): then a keyState() method is, and
    // without one the instance would key as its class name alone, every
    // instance the same.
    const keys = Object.keys(value);
    if (keys.length === 0 || (keys.length === 1 && keys[0] === "keyState")) {
      const keyState = (value as { keyState?: unknown }).keyState;
      if (typeof keyState === "function") return this.#instance(value, keyState, "keyState()");
      if (keys.length === 0 && !this.#hasSymbolProperties(value)) {
        const name = this.#className(value);
        this.#fail(
          `${describeInstance(name)} with no own enumerable properties`,
          "its state (private #fields, closures) is invisible to the key, so every " +
            `${name || "such"} instance would share one key; give the class ${STATE_HOOKS} ` +
            "that returns the state to key on (null if it has none), or leave the instance out of " +
            "the key (with memoize, use the `key` or `ignore` option)",
        );
      }
    }
    return this.#properties(value, keys, this.#className(value));
  }

  *#date(value: Date): Steps {
    const tagged = this.#tag(Tag.date);
    if (tagged) yield tagged;
    this.#float64(value.getTime());
  }

  *#regexp(value: RegExp): Steps {
    const tagged = this.#tag(Tag.regexp);
    if (tagged) yield tagged;
    yield* this.#string(value.source);
    yield* this.#string(value.flags);
  }

  *#arrayBuffer(value: ArrayBufferLike, shared: boolean): Steps {
    const tagged = this.#tag(shared ? Tag.sharedArrayBuffer : Tag.arrayBuffer);
    if (tagged) yield tagged;
    this.#varint(value.byteLength);
    yield* this.#bytes(new Uint8Array(value));
  }

  *#boxed(value: { valueOf(): unknown }): Steps {
    const tagged = this.#tag(Tag.boxed);
    if (tagged) yield tagged;
    yield* this.#nested(value.valueOf());
  }

  /** The name of the class of `value`, "" if it has none. */
  #className(value: object): string {
    const constructor =
      (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
        ?.constructor;
    return typeof constructor?.name === "string" ? constructor.name : "";
  }

  /** Whether `value` has an own enumerable symbol-keyed property. */
  #hasSymbolProperties(value: object): boolean {
    return Object.getOwnPropertySymbols(value).some((s) =>
      Object.prototype.propertyIsEnumerable.call(value, s)
    );
  }

  /**
   * A class instance keyed by a method (keyState or toJSON, called with
   * `args`): tag, class name, then what the method returns.
   */
  *#instance(value: object, method: unknown, methodName: string, ...args: unknown[]): Steps {
    const name = this.#className(value);
    const tagged = this.#tag(Tag.instance);
    if (tagged) yield tagged;
    yield* this.#string(name);
    let state: unknown;
    try {
      state = (method as (...args: unknown[]) => unknown).apply(value, args);
    } catch (error) {
      this.#fail(
        `${describeInstance(name)} whose ${methodName} threw (${describeThrown(error)})`,
        `make ${methodName} return the state to key on`,
        error,
      );
    }
    this.#path.push({ label: `${name || "instance"} state` });
    yield* this.#nested(state);
    this.#path.pop();
  }

  *#array(value: unknown[]): Steps {
    const tagged = this.#tag(Tag.array);
    if (tagged) yield tagged;
    this.#varint(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) {
        const tagged = this.#tag(Tag.hole);
        if (tagged) yield tagged;
        continue;
      }
      const item = this.#read(value, i);
      if (this.#primitive(item)) continue;
      this.#path.push(i);
      this.#pending = item;
      yield DESCEND;
      this.#path.pop();
    }
  }

  /**
   * A plain object (`className` undefined), or a class instance keyed by its
   * properties (tag, class name, then a plain object): own enumerable
   * string-keyed properties `keys`, count, then (name, value) pairs.
   */
  *#properties(value: object, keys: string[], className: string | undefined): Steps {
    if (className !== undefined) {
      const tagged = this.#tag(Tag.instance);
      if (tagged) yield tagged;
      yield* this.#string(className);
    }
    const tagged = this.#tag(Tag.object);
    if (tagged) yield tagged;
    if (this.#hasSymbolProperties(value)) {
      this.#fail(
        "an object with symbol-keyed properties",
        "symbols have no stable value; use string keys",
      );
    }
    if (this.#sortKeys && keys.length > 1) keys = sortByEncodedBytes(keys);
    const full = this.#room(10);
    if (full) yield full;
    this.#varint(keys.length);
    for (const key of keys) {
      if (key.length * 3 < 0x80 && this.#ensure(2 + key.length * 3)) this.#shortString(key);
      else yield* this.#string(key);
      const item = this.#read(value, key);
      if (this.#primitive(item)) continue;
      this.#path.push(key);
      this.#pending = item;
      yield DESCEND;
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

  *#map(value: Map<unknown, unknown>): Steps {
    const tagged = this.#tag(Tag.map);
    if (tagged) yield tagged;
    this.#varint(value.size);
    if (!this.#sortKeys || value.size < 2) {
      let index = 0;
      for (const [key, item] of value) {
        this.#path.push({ label: `Map entry ${index} key` });
        yield* this.#nested(key);
        this.#path.pop();
        this.#path.push({ label: `Map entry ${index++} value` });
        yield* this.#nested(item);
        this.#path.pop();
      }
      return;
    }
    // Entries sort by their key's bytes; equal key bytes (distinct but equal
    // objects) sort by their value's bytes. Sorting is stable, so this is the
    // order of one sort by (key bytes, value bytes).
    const entries: { key: Uint8Array; value: unknown; valueBytes?: Uint8Array; index: number }[] =
      [];
    let index = 0;
    for (const [key, item] of value) {
      this.#path.push({ label: `Map entry ${index} key` });
      entries.push({ key: yield* this.#materialise(key), value: item, index: index++ });
      this.#path.pop();
    }
    entries.sort((a, b) => compareBytes(a.key, b.key));
    for (let start = 0; start < entries.length;) {
      let end = start + 1;
      while (end < entries.length && compareBytes(entries[start].key, entries[end].key) === 0) {
        end++;
      }
      if (end - start > 1) {
        const tied = entries.slice(start, end);
        for (const entry of tied) {
          this.#path.push({ label: `Map entry ${entry.index} value` });
          entry.valueBytes = yield* this.#materialise(entry.value);
          this.#path.pop();
        }
        tied.sort((a, b) => compareBytes(a.valueBytes!, b.valueBytes!));
        for (let i = 0; i < tied.length; i++) entries[start + i] = tied[i];
      }
      start = end;
    }
    for (const entry of entries) {
      yield* this.#bytes(entry.key);
      if (entry.valueBytes) yield* this.#bytes(entry.valueBytes);
      else {
        this.#path.push({ label: `Map entry ${entry.index} value` });
        yield* this.#nested(entry.value);
        this.#path.pop();
      }
    }
  }

  *#set(value: Set<unknown>): Steps {
    const tagged = this.#tag(Tag.set);
    if (tagged) yield tagged;
    this.#varint(value.size);
    if (!this.#sortKeys || value.size < 2) {
      let index = 0;
      for (const member of value) {
        this.#path.push({ label: `Set member ${index++}` });
        yield* this.#nested(member);
        this.#path.pop();
      }
      return;
    }
    const members: Uint8Array[] = [];
    let index = 0;
    for (const member of value) {
      this.#path.push({ label: `Set member ${index++}` });
      members.push(yield* this.#materialise(member));
      this.#path.pop();
    }
    members.sort(compareBytes);
    for (const member of members) yield* this.#bytes(member);
  }

  *#view_(value: ArrayBufferView): Steps {
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
