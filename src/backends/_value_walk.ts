// Checks a value before a backend serialises it, and rewrites the few things
// msgpackr's structured-clone mode would otherwise lose.
//
// inspectValue() walks the whole value once: it throws a TypeError naming the
// place of anything that cannot be stored (functions, symbols, opaque
// built-ins), and reports whether the value holds one of the rare things that
// need rewriting (-0, array holes, boxed primitives, strings with lone
// surrogates). Only then does rewriteValue() make a copy with those replaced by
// marker objects, which the structured-clone backend encodes as private
// MessagePack extensions that decode straight back to the original.

type Segment = string | number;

function formatPath(path: Segment[]): string {
  let out = "value";
  for (const segment of path) {
    out += typeof segment === "number"
      ? `[${segment}]`
      : /^[A-Za-z_$][\w$]*$/.test(segment)
      ? `.${segment}`
      : segment.startsWith("<")
      ? segment
      : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Error classes structured clone supports (others clone as plain Errors). */
const CLONEABLE_NATIVE = new Set<unknown>([
  Date,
  RegExp,
  ArrayBuffer,
  DataView,
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
]);

function isNative(fn: unknown): boolean {
  return typeof fn === "function" &&
    /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}

/** What {@linkcode inspectValue} found. */
export interface Inspection {
  /** The value needs {@linkcode rewriteValue} before msgpackr's structured-clone mode. */
  needsRewrite: boolean;
  /**
   * The first thing plain MessagePack cannot hold faithfully (a boxed
   * primitive, a lone surrogate, an own `__proto__` property), with where it is.
   */
  unfaithful?: string;
}

/**
 * Walks `value`, throwing a TypeError for what `backendName` cannot store.
 *
 * @param value the value to check
 * @param backendName named in error messages
 * @returns whether the value needs rewriting for msgpackr
 */
export function inspectValue(value: unknown, backendName: string): Inspection {
  const seen = new Set<object>();
  const path: Segment[] = [];
  const result: Inspection = { needsRewrite: false };
  const note = (what: string) => {
    result.needsRewrite = true;
    result.unfaithful ??= `${what} at ${formatPath(path)}`;
  };
  const fail = (what: string, fix: string): never => {
    throw new TypeError(`${backendName} cannot store ${what} at ${formatPath(path)}: ${fix}`);
  };
  const visit = (item: unknown): void => {
    switch (typeof item) {
      case "number":
        if (item === 0 && 1 / item < 0) result.needsRewrite = true;
        return;
      case "string":
        if (!item.isWellFormed()) note("a string with a lone surrogate");
        return;
      case "boolean":
      case "undefined":
      case "bigint":
        return;
      case "function":
        fail(
          `a function${item.name ? ` (${item.name})` : ""}`,
          "functions cannot be serialised; store data, not behaviour",
        );
        break;
      case "symbol":
        fail("a symbol", "symbols cannot be serialised; use a string");
        break;
    }
    if (item === null) return;
    const object = item as object;
    if (seen.has(object)) return; // shared or circular: both are kept
    seen.add(object);
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        if (!(i in object)) {
          result.needsRewrite = true;
          continue;
        }
        path.push(i);
        visit(object[i]);
        path.pop();
      }
      return;
    }
    if (ArrayBuffer.isView(object)) return;
    if (object instanceof Map) {
      let index = 0;
      for (const [key, entry] of object) {
        path.push(`<Map entry ${index} key>`);
        visit(key);
        path.pop();
        path.push(`<Map entry ${index++} value>`);
        visit(entry);
        path.pop();
      }
      return;
    }
    if (object instanceof Set) {
      let index = 0;
      for (const member of object) {
        path.push(`<Set member ${index++}>`);
        visit(member);
        path.pop();
      }
      return;
    }
    if (
      object instanceof Number || object instanceof String || object instanceof Boolean ||
      object instanceof BigInt
    ) {
      note("a boxed primitive");
      return;
    }
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const constructor = (proto as { constructor?: unknown }).constructor;
      if (
        object instanceof Error || CLONEABLE_NATIVE.has(constructor) ||
        object instanceof ArrayBuffer
      ) return;
      if (isNative(constructor)) {
        fail(
          `a ${(constructor as { name: string }).name}`,
          "it cannot be serialised (WeakMap, WeakSet, WeakRef, Promise and other built-ins are not data)",
        );
      }
      // A class instance: stored as a plain object of its own enumerable
      // properties, as structuredClone does.
    }
    for (const key of Object.keys(object)) {
      path.push(key);
      if (!key.isWellFormed()) note("a property name with a lone surrogate");
      if (key === "__proto__") note("an own property named __proto__");
      visit((object as Record<string, unknown>)[key]);
      path.pop();
    }
  };
  visit(value);
  return result;
}

/** -0, which msgpackr would write as 0. */
export class NegativeZeroMarker {}

/** A string with lone surrogates, kept as its UTF-16 code units. */
export class WtfStringMarker {
  /** The string's UTF-16 code units. */
  units: Uint16Array;
  constructor(text: string) {
    this.units = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) this.units[i] = text.charCodeAt(i);
  }
}

/** `Object(1)`, `Object("s")`, `Object(true)`, `Object(1n)`. */
export class BoxedMarker {
  /** The primitive inside. */
  value: unknown;
  constructor(value: unknown) {
    this.value = value;
  }
}

/** An array with holes: its length and the entries that exist. */
export class SparseArrayMarker {
  /** The array's length. */
  length: number;
  /** `[index, value]` for each element present. */
  entries: [number, unknown][];
  constructor(length: number, entries: [number, unknown][]) {
    this.length = length;
    this.entries = entries;
  }
}

/** An object with a property name that has lone surrogates. */
export class OddKeyedObjectMarker {
  /** `[name, value]` pairs in order; names may be {@linkcode WtfStringMarker}s. */
  entries: [unknown, unknown][];
  constructor(entries: [unknown, unknown][]) {
    this.entries = entries;
  }
}

/**
 * Copies `value` with -0, holes, boxed primitives and lone-surrogate strings
 * replaced by markers; shared and circular references are kept.
 */
export function rewriteValue(value: unknown): unknown {
  const copies = new Map<object, unknown>();
  const rewrite = (item: unknown): unknown => {
    if (typeof item === "number") {
      return item === 0 && 1 / item < 0 ? new NegativeZeroMarker() : item;
    }
    if (typeof item === "string") return item.isWellFormed() ? item : new WtfStringMarker(item);
    if (typeof item !== "object" || item === null) return item;
    const done = copies.get(item);
    if (done !== undefined) return done;
    if (Array.isArray(item)) {
      let dense = true;
      for (let i = 0; i < item.length && dense; i++) dense = i in item;
      if (!dense) {
        const marker = new SparseArrayMarker(item.length, []);
        copies.set(item, marker);
        for (const key of Object.keys(item)) {
          const index = Number(key);
          if (Number.isInteger(index)) marker.entries.push([index, rewrite(item[index])]);
        }
        return marker;
      }
      const copy: unknown[] = [];
      copies.set(item, copy);
      for (const element of item) copy.push(rewrite(element));
      return copy;
    }
    if (item instanceof Map) {
      const copy = new Map();
      copies.set(item, copy);
      for (const [key, entry] of item) copy.set(rewrite(key), rewrite(entry));
      return copy;
    }
    if (item instanceof Set) {
      const copy = new Set();
      copies.set(item, copy);
      for (const member of item) copy.add(rewrite(member));
      return copy;
    }
    if (
      item instanceof Number || item instanceof String || item instanceof Boolean ||
      item instanceof BigInt
    ) {
      const marker = new BoxedMarker(rewrite(item.valueOf()));
      copies.set(item, marker);
      return marker;
    }
    if (
      ArrayBuffer.isView(item) || item instanceof Date || item instanceof RegExp ||
      item instanceof ArrayBuffer || item instanceof Error
    ) {
      return item;
    }
    const keys = Object.keys(item);
    // Decoders assign properties, so an own "__proto__" would set the
    // prototype instead: such objects, and names with lone surrogates, go
    // through a marker that defines each property.
    if (keys.some((key) => key === "__proto__" || !key.isWellFormed())) {
      const marker = new OddKeyedObjectMarker([]);
      copies.set(item, marker);
      for (const key of keys) {
        marker.entries.push([rewrite(key), rewrite((item as Record<string, unknown>)[key])]);
      }
      return marker;
    }
    const copy: Record<string, unknown> = {};
    copies.set(item, copy);
    for (const key of keys) copy[key] = rewrite((item as Record<string, unknown>)[key]);
    return copy;
  };
  return rewrite(value);
}

/** msgpackr decodes the reserved byte 0xc1 to a marker object instead of failing. */
export function isReservedByte(value: unknown): boolean {
  return typeof value === "object" && value !== null && value.constructor?.name === "C1Type";
}

/**
 * A plain Uint8Array view of the same bytes. msgpackr returns, and decodes
 * binary as, slices of its input; where `Buffer` exists that may be a Buffer.
 * Plain arrays in and out keep values identical in every runtime.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
