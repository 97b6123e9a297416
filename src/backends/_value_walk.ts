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
//
// Given MessagePack rules, the same walk instead checks what standard
// MessagePack (msgpackr without extensions) brings back: anything that would
// come back different is a TypeError unless the rules are lossy, and what it
// cannot encode or decode at all (cycles, bigints beyond 64 bits, object keys
// of maps decoded as objects) is a TypeError always.
//
// Most values have nothing to report, so inspectValue first walks without
// bookkeeping (FastWalk: no path, no set of objects seen, no warnings) and
// runs the full walk, which names places, only where that walk cannot decide
// (what would be an error or a warning, a cycle, a deep or shared-heavy
// value). Both decide the same for every value (tests/value_walk_fast.test.ts).
//
// Given registered classes (a backend's `classes` config), the walk also
// reports instances of them (needsRewrite): the rewrite then replaces each
// with a marker that names its class (see _classes.ts). Instances of other
// classes are stored as plain objects, and the first of each class in the
// process logs a warning. Values without class instances never reach that
// code: it sits where the walk has already found an object that is neither
// plain, an array nor a built-in.

import { alreadyWarned, warnUnregistered } from "./_classes.ts";

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

// A function's source text never changes: remembered per function, so class
// instances do not cost a toString and a regex each.
const nativeFunctions = new WeakMap<object, boolean>();

function isNative(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  let native = nativeFunctions.get(fn);
  if (native === undefined) {
    native = /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
    nativeFunctions.set(fn, native);
  }
  return native;
}

/** "a Map", "an Int16Array": a class name with its article. */
function aName(name: string): string {
  return `${/^[AEIO]/.test(name) ? "an" : "a"} ${name}`;
}

/** The range msgpackr encodes bigints in: int64 and uint64. */
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const dateToJSON = Date.prototype.toJSON;

/** What inspectValue's MessagePack mode needs to know of a MessagePackBackend's config. */
export interface MessagePackRules {
  /** Accept what would come back converted (`lossy: true`) instead of refusing it. */
  lossy: boolean;
  /** `mapsAsObjects: false`: maps decode as Maps, so Maps come back as they were. */
  mapsAsMaps: boolean;
  /** `mapAsEmptyObject`: Maps are written as `{}`, as asked. */
  emptyMaps: boolean;
  /** `setAsEmptyObject`: Sets are written as `{}`, as asked. */
  emptySets: boolean;
  /** `largeBigIntToFloat` or `largeBigIntToString`: bigints beyond 64 bits are converted, as asked. */
  largeBigInts: boolean;
  /** `allowArraysInMapKeys`: arrays of primitives may be keys of maps decoded as objects. */
  arrayMapKeys: boolean;
}

/** What {@linkcode inspectValue} found. */
export interface Inspection {
  /**
   * The value needs {@linkcode rewriteValue} before msgpackr's
   * structured-clone mode; in MessagePack mode, it holds instances of
   * registered classes (for {@linkcode rewriteClasses}).
   */
  needsRewrite: boolean;
}

/** Objects deeper than this are also tracked in a Set, so cycles are found in linear time. */
const DEEP = 64;

/**
 * Walks `value`, throwing a TypeError for what `backendName` cannot store.
 *
 * Without `msgpack` (structured-clone mode), shared and circular references
 * are fine and each object is walked once. With it, the walk follows what
 * standard MessagePack does: shared objects are walked (and written) at each
 * place, cycles are a TypeError, and so is anything that would not come back
 * as it was stored, unless `msgpack.lossy`.
 *
 * @param value the value to check
 * @param backendName named in error messages
 * @param msgpack the MessagePack mode's rules, from the backend's config
 * @param classes the backend's registered classes: prototype → stable name
 * @returns whether the value needs rewriting for msgpackr's structured-clone
 * mode (or, in MessagePack mode, holds registered class instances)
 */
export function inspectValue(
  value: unknown,
  backendName: string,
  msgpack?: MessagePackRules,
  classes?: ReadonlyMap<object, string>,
): Inspection {
  const fast = new FastWalk(msgpack, classes);
  try {
    fast.visit(value, 0);
    return { needsRewrite: fast.needsRewrite };
  } catch (error) {
    if (error !== BAIL) throw error;
  }
  return inspectValueFully(value, backendName, msgpack, classes);
}

/**
 * {@linkcode inspectValue} without its fast walk: the full walk alone, which
 * decides the same for every value (tests compare the two).
 */
export function inspectValueFully(
  value: unknown,
  backendName: string,
  msgpack?: MessagePackRules,
  classes?: ReadonlyMap<object, string>,
): Inspection {
  const walk = new Walk(backendName, msgpack, classes);
  walk.visit(value);
  return { needsRewrite: walk.needsRewrite };
}

/** What FastWalk throws where it cannot decide: the full walk then runs. */
const BAIL = Symbol("bail");

/**
 * Property names known to be neither `__proto__` nor with a lone surrogate
 * (true of a string forever): most values repeat a few names many times.
 */
const GOOD_KEYS = new Set<string>();
const GOOD_KEYS_MAX = 4096;

/** Objects FastWalk visits in structured-clone mode before leaving shared references to the full walk. */
const FAST_BUDGET = 1 << 22;

// The walk without its bookkeeping, for values with nothing to report: no
// path (it is only needed for messages), no set of the objects seen (only
// needed for shared and circular references), no warnings. It decides what
// the full walk would for the same value where it can: needsRewrite for what
// structured-clone mode rewrites, nothing at all for what a lossy MessagePack
// backend converts. Everything else makes it give up (BAIL) and inspectValue
// run the full walk from the start, which then throws or warns with the
// place: a TypeError, -0 or another conversion refused in MessagePack mode,
// an unregistered class not warned about yet, anything deeper than DEEP (a
// cycle makes the walk that deep) and, in structured-clone mode, more than
// FAST_BUDGET objects (shared references are walked at each place here).
class FastWalk {
  readonly msgpack: MessagePackRules | undefined;
  readonly classes: ReadonlyMap<object, string> | undefined;
  needsRewrite = false;
  objects = 0;
  /** Object.prototype has no enumerable properties (for…in on plain objects then sees own keys only). */
  plainKeys = true;

  constructor(
    msgpack: MessagePackRules | undefined,
    classes: ReadonlyMap<object, string> | undefined,
  ) {
    this.msgpack = msgpack;
    this.classes = classes;
    for (const _ in Object.prototype) this.plainKeys = false;
  }

  // Walk.unfaithful, where it would not throw.
  unfaithful(): void {
    if (this.msgpack === undefined) this.needsRewrite = true;
    else if (!this.msgpack.lossy) throw BAIL;
  }

  visit(item: unknown, depth: number): void {
    switch (typeof item) {
      case "number":
        if (item === 0 && 1 / item < 0) this.unfaithful();
        return;
      case "string":
        if (!item.isWellFormed()) this.unfaithful();
        return;
      case "boolean":
      case "undefined":
        return;
      case "bigint":
        if (
          this.msgpack !== undefined && !this.msgpack.largeBigInts &&
          (item < INT64_MIN || item > UINT64_MAX)
        ) throw BAIL;
        return;
      case "object":
        if (item !== null) this.object(item, depth);
        return;
      default:
        throw BAIL; // functions, symbols
    }
  }

  // The loops below take numbers, strings, booleans and objects themselves
  // (visit does the same for them): most of a large value is these.
  object(item: object, depth: number): void {
    if (depth === DEEP) throw BAIL;
    if (this.msgpack === undefined && ++this.objects > FAST_BUDGET) throw BAIL;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) {
        const element = item[i];
        switch (typeof element) {
          case "number":
            if (element === 0 && 1 / element < 0) this.unfaithful();
            break;
          case "string":
            if (!element.isWellFormed()) this.unfaithful();
            break;
          case "boolean":
            break;
          case "object":
            if (element !== null) this.object(element, depth + 1);
            break;
          default:
            if (element === undefined && !(i in item)) this.unfaithful(); // a hole
            else this.visit(element, depth + 1);
        }
      }
      return;
    }
    const proto = Object.getPrototypeOf(item);
    if (proto === null || (proto === Object.prototype && this.plainKeys)) {
      // for…in visits the own enumerable string keys here, as Object.keys
      // would, without making an array of them.
      for (const key in item) this.property(item, key, depth);
    } else if (proto === Object.prototype || this.special(item, proto, depth)) {
      for (const key of Object.keys(item)) this.property(item, key, depth);
    }
  }

  property(object: object, key: string, depth: number): void {
    if (!GOOD_KEYS.has(key)) {
      if (key === "__proto__" || !key.isWellFormed()) this.unfaithful();
      else if (GOOD_KEYS.size < GOOD_KEYS_MAX && key.length <= 64) GOOD_KEYS.add(key);
    }
    const value = (object as Record<string, unknown>)[key];
    switch (typeof value) {
      case "number":
        if (value === 0 && 1 / value < 0) this.unfaithful();
        break;
      case "string":
        if (!value.isWellFormed()) this.unfaithful();
        break;
      case "boolean":
        break;
      case "object":
        if (value !== null) this.object(value, depth + 1);
        break;
      default:
        this.visit(value, depth + 1);
    }
  }

  // Walk.walkSpecial where it would neither throw nor warn: true for an
  // object whose own properties are walked (a class instance).
  special(object: object, proto: object, depth: number): boolean {
    const msgpack = this.msgpack;
    if (ArrayBuffer.isView(object)) {
      if (msgpack !== undefined && !(object instanceof Uint8Array)) this.unfaithful();
      return false;
    }
    if (object instanceof Map) {
      if (msgpack !== undefined) throw BAIL;
      for (const [key, entry] of object) {
        this.visit(key, depth + 1);
        this.visit(entry, depth + 1);
      }
      return false;
    }
    if (object instanceof Set) {
      if (msgpack !== undefined) throw BAIL;
      for (const member of object) this.visit(member, depth + 1);
      return false;
    }
    if (
      object instanceof Number || object instanceof String || object instanceof Boolean ||
      object instanceof BigInt
    ) {
      this.unfaithful();
      return false;
    }
    const constructor = (proto as { constructor?: unknown }).constructor;
    if (msgpack !== undefined) {
      if (object instanceof Date && proto === Date.prototype) return false;
      if (
        object instanceof Error || object instanceof RegExp || object instanceof ArrayBuffer ||
        object instanceof Date
      ) throw BAIL;
    }
    if (
      object instanceof Error || CLONEABLE_NATIVE.has(constructor) ||
      object instanceof ArrayBuffer
    ) return false;
    if (isNative(constructor)) throw BAIL;
    if (this.classes !== undefined && this.classes.has(proto)) {
      this.needsRewrite = true;
      return true;
    }
    if (msgpack !== undefined && typeof (object as { toJSON?: unknown }).toJSON === "function") {
      throw BAIL;
    }
    if (!alreadyWarned(proto)) throw BAIL;
    return true;
  }
}

// One walk's state. A class rather than closures: nothing is allocated per
// call but this object, which keeps the walk cheap in every engine.
class Walk {
  readonly backendName: string;
  readonly msgpack: MessagePackRules | undefined;
  /** Registered classes: prototype → stable name. */
  readonly classes: ReadonlyMap<object, string> | undefined;
  /** Structured-clone mode: every object walked (each is walked once). */
  readonly seen: Set<object> | undefined;
  /** MessagePack mode: the objects from the root to the one being walked. */
  readonly stack: object[] = [];
  /** MessagePack mode: those of them deeper than DEEP (a cycle makes the walk that deep). */
  deep: Set<object> | undefined = undefined;
  /** Where the walk is, for messages. */
  readonly path: Segment[] = [];
  needsRewrite = false;

  constructor(
    backendName: string,
    msgpack: MessagePackRules | undefined,
    classes: ReadonlyMap<object, string> | undefined,
  ) {
    this.backendName = backendName;
    this.msgpack = msgpack;
    this.classes = classes;
    this.seen = msgpack === undefined ? new Set() : undefined;
  }

  fail(what: string, fix: string): never {
    throw new TypeError(
      `${this.backendName} cannot store ${what} at ${formatPath(this.path)}: ${fix}`,
    );
  }

  // Something that comes back different: in structured-clone mode it is
  // rewritten; in MessagePack mode it is refused unless lossy.
  unfaithful(what: string, becomes: string): void {
    if (this.msgpack === undefined) {
      this.needsRewrite = true;
    } else if (!this.msgpack.lossy) {
      throw new TypeError(
        `${this.backendName} cannot store ${what} at ${
          formatPath(this.path)
        } faithfully in standard MessagePack (${becomes}); ` +
          "convert it first, pass lossy: true in config to accept the conversion, " +
          "or use StructuredCloneBackend",
      );
    }
  }

  visit(item: unknown): void {
    switch (typeof item) {
      case "number":
        if (item === 0 && 1 / item < 0) this.unfaithful("-0", "it comes back as 0");
        return;
      case "string":
        if (!item.isWellFormed()) {
          this.unfaithful(
            "a string with a lone surrogate",
            "it comes back with U+FFFD in its place",
          );
        }
        return;
      case "boolean":
      case "undefined":
        return;
      case "bigint":
        if (this.msgpack !== undefined) this.checkBigInt(item);
        return;
      case "function":
        this.fail(
          `a function${item.name ? ` (${item.name})` : ""}`,
          "functions cannot be serialised; store data, not behaviour",
        );
        break;
      case "symbol":
        this.fail("a symbol", "symbols cannot be serialised; use a string");
        break;
    }
    if (item === null) return;
    const object = item as object;
    const { seen, stack, path } = this;
    if (seen !== undefined) {
      if (seen.has(object)) return; // shared or circular: both are kept
      seen.add(object);
    } else {
      if (stack.length >= DEEP) this.enterDeep(object);
      stack.push(object);
    }
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        path.push(i);
        if (i in object) this.visit(object[i]);
        else this.unfaithful("an array hole", "MessagePack arrays have no holes");
        path.pop();
      }
    } else {
      const proto = Object.getPrototypeOf(object);
      if (proto === Object.prototype || proto === null || !this.walkSpecial(object, proto)) {
        for (const key of Object.keys(object)) {
          path.push(key);
          if (!key.isWellFormed()) {
            this.unfaithful(
              "a property name with a lone surrogate",
              "it comes back with U+FFFD in its place",
            );
          }
          if (key === "__proto__") {
            this.unfaithful("an own property named __proto__", "msgpackr decodes it as __proto_");
          }
          this.visit((object as Record<string, unknown>)[key]);
          path.pop();
        }
      }
    }
    if (seen === undefined) {
      stack.pop();
      this.deep?.delete(object);
    }
  }

  // MessagePack mode: a bigint msgpackr cannot write.
  checkBigInt(item: bigint): void {
    if (this.msgpack!.largeBigInts || (item >= INT64_MIN && item <= UINT64_MAX)) return;
    this.fail(
      "a bigint outside the 64-bit range",
      "MessagePack integers have at most 64 bits; set largeBigIntToString or " +
        "largeBigIntToFloat in config, or use StructuredCloneBackend",
    );
  }

  // MessagePack mode, deeper than DEEP: tracks the objects there, so that a
  // cycle is found.
  enterDeep(object: object): void {
    this.deep ??= new Set();
    if (this.deep.has(object)) this.failCycle(object);
    this.deep.add(object);
  }

  // MessagePack mode: a cycle. Reports the shortest path that comes back to
  // an object already on it.
  failCycle(object: object): never {
    const chain = [...this.stack, object];
    const first = new Map<object, number>();
    for (let depth = 0; depth < chain.length; depth++) {
      const back = first.get(chain[depth]);
      if (back !== undefined) {
        throw new TypeError(
          `${this.backendName} cannot store a circular reference at ${
            formatPath(this.path.slice(0, depth))
          } (back to ${formatPath(this.path.slice(0, back))}): MessagePack has no references; ` +
            "break the cycle or use StructuredCloneBackend",
        );
      }
      first.set(chain[depth], depth);
    }
    throw new Error("unreachable: no object repeats on the path");
  }

  // MessagePack mode, maps decoded as objects: a key msgpackr cannot decode.
  checkMapKey(key: unknown): void {
    if (typeof key !== "object" || key === null) return;
    if (
      this.msgpack!.arrayMapKeys && Array.isArray(key) &&
      key.flat().every((item) =>
        typeof item === "string" || typeof item === "number" || typeof item === "boolean" ||
        typeof item === "bigint"
      )
    ) return;
    this.fail(
      "a Map key that is an object",
      "MessagePack maps decode as plain objects here, whose keys are strings; " +
        "set mapsAsObjects: false to decode Maps, or use StructuredCloneBackend",
    );
  }

  // An object that is neither an array nor plain: checks it and walks what it
  // holds. Returns false for a class instance, whose own properties the
  // caller walks (it is stored as a plain object of them, as structuredClone
  // does, or, for a registered class, as an instance of it).
  walkSpecial(object: object, proto: object): boolean {
    const { msgpack, path } = this;
    if (ArrayBuffer.isView(object)) {
      if (msgpack !== undefined && !(object instanceof Uint8Array)) {
        this.unfaithful(
          aName(object.constructor.name),
          "it comes back as a Uint8Array of its bytes",
        );
      }
      return true;
    }
    if (object instanceof Map) {
      let keys = false;
      if (msgpack !== undefined) {
        if (msgpack.emptyMaps) return true; // written as {}, as configured
        if (!msgpack.mapsAsMaps) {
          this.unfaithful("a Map", "it comes back as a plain object");
          keys = true;
        } else if (proto !== Map.prototype) {
          this.unfaithful(aName(object.constructor.name), "msgpackr writes it as an empty map");
          return true;
        }
      }
      let index = 0;
      for (const [key, entry] of object) {
        path.push(`<Map entry ${index} key>`);
        if (keys) this.checkMapKey(key);
        this.visit(key);
        path.pop();
        path.push(`<Map entry ${index++} value>`);
        this.visit(entry);
        path.pop();
      }
      return true;
    }
    if (object instanceof Set) {
      if (msgpack !== undefined) {
        if (msgpack.emptySets) return true; // written as {}, as configured
        this.unfaithful(aName(object.constructor.name), "it comes back as an array");
      }
      let index = 0;
      for (const member of object) {
        path.push(`<Set member ${index++}>`);
        this.visit(member);
        path.pop();
      }
      return true;
    }
    if (
      object instanceof Number || object instanceof String || object instanceof Boolean ||
      object instanceof BigInt
    ) {
      this.unfaithful("a boxed primitive", "it comes back as a plain object");
      return true;
    }
    const constructor = (proto as { constructor?: unknown }).constructor;
    if (msgpack !== undefined) {
      if (object instanceof Error) {
        this.unfaithful(
          aName(object.constructor.name),
          "it comes back as an array [name, message, cause]",
        );
        path.push("cause");
        this.visit(object.cause);
        path.pop();
        return true;
      }
      if (object instanceof RegExp) {
        this.unfaithful("a RegExp", "it comes back as an array [source, flags]");
        return true;
      }
      if (object instanceof ArrayBuffer) {
        this.unfaithful("an ArrayBuffer", "it comes back as a Uint8Array");
        return true;
      }
      if (object instanceof Date) {
        if (proto !== Date.prototype && (object as Date).toJSON !== dateToJSON) {
          this.unfaithful(
            `${aName(object.constructor.name)} with its own toJSON`,
            "msgpackr writes what toJSON returns",
          );
        }
        return true;
      }
    }
    if (
      object instanceof Error || CLONEABLE_NATIVE.has(constructor) ||
      object instanceof ArrayBuffer
    ) return true;
    if (isNative(constructor)) {
      this.fail(
        `a ${(constructor as { name: string }).name}`,
        "it cannot be serialised (WeakMap, WeakSet, WeakRef, Promise and other built-ins are not data)",
      );
    }
    if (this.classes !== undefined && this.classes.has(proto)) {
      this.needsRewrite = true; // written as an instance of its class
      return false;
    }
    const viaToJSON = typeof (object as { toJSON?: unknown }).toJSON === "function";
    if (msgpack !== undefined && viaToJSON) {
      this.unfaithful(
        `${aName((constructor as { name?: string })?.name || "object")} with a toJSON method`,
        "msgpackr writes what toJSON returns",
      );
      return true;
    }
    if (!alreadyWarned(proto)) {
      warnUnregistered(this.backendName, proto, formatPath(this.path), viaToJSON);
    }
    return false;
  }
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
 * StructuredCloneBackend's markers for instances of registered classes, all
 * one MessagePack extension: each writes what {@linkcode ClassToken.encode}
 * returns.
 */
export abstract class ClassToken {
  /** What the extension writes. */
  abstract encode(): unknown;
}

/**
 * An instance of a registered class: `[name, properties]`, or, when the
 * value references the instance again, `[ClassHead, properties]`, so that
 * the decoder creates the instance before it reads properties that may
 * point back to it.
 */
export class ClassMarker extends ClassToken {
  /** The class's stable name. */
  readonly name: string;
  /** A plain copy of the instance's own enumerable properties (or an {@linkcode OddKeyedObjectMarker}). */
  properties: unknown = undefined;
  /** Set when the value references the instance more than once. */
  id: number | undefined = undefined;
  constructor(name: string) {
    super();
    this.name = name;
  }
  encode(): unknown {
    return [this.id === undefined ? this.name : new ClassHead(this.name, this.id), this.properties];
  }
}

/** `[name, id]`: creates an instance that later {@linkcode ClassRef}s point to. */
export class ClassHead extends ClassToken {
  /** The class's stable name. */
  readonly name: string;
  /** The instance's number among those referenced again. */
  readonly id: number;
  constructor(name: string, id: number) {
    super();
    this.name = name;
    this.id = id;
  }
  encode(): unknown {
    return [this.name, this.id];
  }
}

/** `id`: another reference to an instance already written (shared or circular). */
export class ClassRef extends ClassToken {
  /** The instance's number. */
  readonly id: number;
  constructor(id: number) {
    super();
    this.id = id;
  }
  encode(): unknown {
    return this.id;
  }
}

/**
 * MessagePackBackend's marker for an instance of a registered class: a
 * MessagePack extension whose payload is the MessagePack array
 * `[name, properties]`, encoded by the backend's own encoder before the
 * value is (so no encoding runs inside another).
 */
export class MessagePackClassMarker {
  /** The extension's payload. */
  readonly payload: Uint8Array;
  constructor(payload: Uint8Array) {
    this.payload = payload;
  }
}

/**
 * Copies `value` with -0, holes, boxed primitives and lone-surrogate strings
 * replaced by markers, and instances of registered `classes` by
 * {@linkcode ClassMarker}s; shared and circular references are kept.
 */
export function rewriteValue(value: unknown, classes?: ReadonlyMap<object, string>): unknown {
  const copies = new Map<object, unknown>();
  let shared = 0;
  const rewrite = (item: unknown): unknown => {
    if (typeof item === "number") {
      return item === 0 && 1 / item < 0 ? new NegativeZeroMarker() : item;
    }
    if (typeof item === "string") return item.isWellFormed() ? item : new WtfStringMarker(item);
    if (typeof item !== "object" || item === null) return item;
    const done = copies.get(item);
    if (done !== undefined) {
      if (!(done instanceof ClassMarker)) return done;
      done.id ??= shared++;
      return new ClassRef(done.id);
    }
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
    if (classes !== undefined) {
      const name = classes.get(Object.getPrototypeOf(item));
      if (name !== undefined) {
        const marker = new ClassMarker(name);
        copies.set(item, marker); // references from inside become ClassRefs
        marker.properties = copyObject(item, false);
        return marker;
      }
    }
    return copyObject(item, true);
  };
  // A plain copy of an object's own enumerable properties, registered as
  // the copy of `item` when `register`.
  const copyObject = (item: object, register: boolean): unknown => {
    const keys = Object.keys(item);
    // Decoders assign properties, so an own "__proto__" would set the
    // prototype instead: such objects, and names with lone surrogates, go
    // through a marker that defines each property.
    if (keys.some((key) => key === "__proto__" || !key.isWellFormed())) {
      const marker = new OddKeyedObjectMarker([]);
      if (register) copies.set(item, marker);
      for (const key of keys) {
        marker.entries.push([rewrite(key), rewrite((item as Record<string, unknown>)[key])]);
      }
      return marker;
    }
    const copy: Record<string, unknown> = {};
    if (register) copies.set(item, copy);
    for (const key of keys) copy[key] = rewrite((item as Record<string, unknown>)[key]);
    return copy;
  };
  return rewrite(value);
}

/**
 * MessagePack mode: copies `value` with instances of registered `classes`
 * replaced by {@linkcode MessagePackClassMarker}s, innermost first, each
 * holding its payload as `encoder` writes it. Only plain objects, arrays,
 * `Map`s and `Set`s are copied (the walk has refused cycles); everything
 * else is kept as it is, so msgpackr writes the same bytes for it as without
 * the rewrite.
 */
export function rewriteClasses(
  value: unknown,
  classes: ReadonlyMap<object, string>,
  encoder: (data: unknown) => Uint8Array,
): unknown {
  const copyObject = (item: object): Record<string, unknown> => {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(item)) {
      const entry = rewrite((item as Record<string, unknown>)[key]);
      if (key === "__proto__") {
        Object.defineProperty(copy, key, {
          value: entry,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else copy[key] = entry;
    }
    return copy;
  };
  const rewrite = (item: unknown): unknown => {
    if (typeof item !== "object" || item === null) return item;
    const proto = Object.getPrototypeOf(item);
    if (proto === Object.prototype || proto === null) return copyObject(item);
    if (proto === Array.prototype) {
      const array = item as unknown[];
      const copy = new Array(array.length);
      for (let i = 0; i < array.length; i++) if (i in array) copy[i] = rewrite(array[i]);
      return copy;
    }
    if (proto === Map.prototype) {
      const copy = new Map();
      for (const [key, entry] of item as Map<unknown, unknown>) {
        copy.set(rewrite(key), rewrite(entry));
      }
      return copy;
    }
    if (proto === Set.prototype) {
      const copy = new Set();
      for (const member of item as Set<unknown>) copy.add(rewrite(member));
      return copy;
    }
    const name = classes.get(proto);
    if (name === undefined) return item;
    return new MessagePackClassMarker(encoder([name, copyObject(item)]));
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
