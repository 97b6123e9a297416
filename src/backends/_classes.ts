// Registered classes: what StructuredCloneBackend and MessagePackBackend need
// to store instances of a user's classes under a stable name and to bring
// them back as instances of that class.
//
// A registered instance is written as its class's name and a copy of its own
// enumerable properties. It is read back as Object.create(Class.prototype)
// with those properties defined on it: the constructor never runs. A name
// the reading backend has not registered reads as a plain object of the
// properties, never as an instance of another class.

import { fileLogger } from "../log.ts";

/** A class a backend may register: any class (its constructor is never called). */
export type RegisteredClass = abstract new (...args: never[]) => object;

/**
 * The key of the static property that gives a class its stable name in
 * entry files, in place of `Class.name` (which minifiers and renames change):
 * `static [CLASS_NAME] = "geo.Point"`. It is `Symbol.for("bucketcache.class")`,
 * so JavaScript classes can name themselves without importing the library
 * (TypeScript needs this constant, typed as a unique symbol, for a static
 * field; `static get [Symbol.for("bucketcache.class")]()` works too).
 *
 * @example
 * ```ts
 * import { Bucket, CLASS_NAME, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class Point {
 *   static [CLASS_NAME] = "geo.Point";
 *   x = 0;
 *   y = 0;
 * }
 * const bucket = new Bucket("/cache", { classes: [Point], fs: new MemoryFileSystem() });
 * await bucket.set("p", new Point());
 * await bucket.unloadKey("p");
 * assert.ok((await bucket.get("p")) instanceof Point);
 * ```
 */
export const CLASS_NAME: unique symbol = Symbol.for("bucketcache.class");

/** A backend's registered classes, both ways. */
export interface ClassRegistry {
  /** A registered class's prototype → its stable name. */
  readonly names: ReadonlyMap<object, string>;
  /** A stable name → the registered class's prototype. */
  readonly prototypes: ReadonlyMap<string, object>;
}

function isNativeFunction(fn: unknown): boolean {
  return typeof fn === "function" &&
    /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}

/**
 * Checks a `classes` option and builds the registry; `undefined` when there
 * is nothing to register.
 *
 * @param classes the option's value
 * @param owner named in error messages ("StructuredCloneBackend config classes")
 * @throws {TypeError} for what is not a class, an anonymous class without the
 * static name, a built-in or a subclass of one, or two classes with one name
 */
export function readClasses(classes: unknown, owner: string): ClassRegistry | undefined {
  if (classes === undefined) return undefined;
  if (!Array.isArray(classes)) {
    throw new TypeError(`${owner} must be an array of classes, such as [Point]`);
  }
  const names = new Map<object, string>();
  const prototypes = new Map<string, object>();
  const owners = new Map<string, RegisteredClass>();
  for (const [index, item] of classes.entries()) {
    const where = `${owner}[${index}]`;
    const prototype = typeof item === "function" ? (item as { prototype?: unknown }).prototype : 0;
    if (typeof prototype !== "object" || prototype === null) {
      throw new TypeError(
        `${where} must be a class, got ${item === null ? "null" : typeof item}${
          typeof item === "function" ? " without a prototype (an arrow function?)" : ""
        }`,
      );
    }
    const label = (item as { name?: string }).name || "an anonymous class";
    for (
      let proto: object | null = prototype;
      proto !== null;
      proto = Object.getPrototypeOf(proto)
    ) {
      const constructor: unknown = Object.hasOwn(proto, "constructor")
        ? (proto as { constructor: unknown }).constructor
        : undefined;
      if (constructor !== Object && isNativeFunction(constructor)) {
        throw new TypeError(
          `${where}: ${label} ${
            proto === prototype
              ? "is"
              : `extends ${(constructor as { name: string }).name}, which is`
          } a built-in type; classes registers your own classes (built-in types the backend ` +
            "stores are restored without it)",
        );
      }
    }
    let name: unknown = (item as { name?: string }).name;
    if (Object.hasOwn(item, CLASS_NAME)) {
      name = (item as unknown as Record<symbol, unknown>)[CLASS_NAME];
      if (typeof name !== "string" || name === "") {
        throw new TypeError(
          `${where}: ${label}'s static [CLASS_NAME] (Symbol.for("bucketcache.class")) must be a non-empty string, got ${
            typeof name === "string" ? '""' : typeof name
          }`,
        );
      }
    } else if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `${where} is an anonymous class: give it a name, or a stable one with ` +
          'static [CLASS_NAME] = "Name"',
      );
    }
    const existing = owners.get(name as string);
    if (existing === item) continue; // listed twice: one registration
    if (existing !== undefined) {
      throw new TypeError(
        `${owner}: two classes are named "${name}"; files name classes by name, so give one ` +
          'another with static [CLASS_NAME] = "OtherName"',
      );
    }
    owners.set(name as string, item as RegisteredClass);
    names.set(prototype, name as string);
    prototypes.set(name as string, prototype);
  }
  return names.size === 0 ? undefined : { names, prototypes };
}

// One warning per class (prototype) and per unknown name, for the process.
const warnedClasses = new WeakSet<object>();
const warnedNames = new Set<string>();

/** Whether the unregistered class of `prototype` has been warned about. */
export function alreadyWarned(prototype: object): boolean {
  return warnedClasses.has(prototype);
}

/**
 * Logs, once per class for the process, that an instance of an unregistered
 * class is stored as a plain object.
 */
export function warnUnregistered(
  backendName: string,
  prototype: object,
  where: string,
  viaToJSON: boolean,
): void {
  if (warnedClasses.has(prototype)) return;
  warnedClasses.add(prototype);
  const constructor = (prototype as { constructor?: { name?: unknown } }).constructor;
  const name = typeof constructor?.name === "string" && constructor.name !== ""
    ? constructor.name
    : undefined;
  fileLogger.warn(
    "{backend} stores {what} at {where} as {how}: it comes back as {result}, not as an instance " +
      "of its class. To get instances back, register the class: {register}; logged once per class",
    {
      backend: backendName,
      what: name ? `an instance of ${name}` : "an object with a custom prototype",
      where,
      how: viaToJSON ? "what its toJSON() returns" : "a plain object of its own properties",
      result: viaToJSON ? "that value" : "a plain object",
      register: `new Bucket(dir, { classes: [${name ?? "TheClass"}] })`,
      className: name,
    },
  );
}

function warnUnknownName(name: string): void {
  if (warnedNames.has(name)) return;
  warnedNames.add(name);
  fileLogger.warn(
    "An entry holds an instance of a class stored as {name}, which this bucket has not " +
      "registered: it reads as a plain object of its properties. Register the class " +
      "({register}) to get instances back; logged once per name",
    {
      name: JSON.stringify(name),
      register: "new Bucket(dir, { classes: [TheClass] })",
      className: name,
    },
  );
}

// What the loads of both backends decode with: set around each unpack, in
// one object that is reused (a load allocates nothing for it); a nested load
// (only a log sink could start one) saves and restores the outer one's.
interface ReadState {
  /** A load is in progress. */
  active: boolean;
  prototypes: ReadonlyMap<string, object> | undefined;
  /** The bytes being decoded (MessagePackBackend reads class payloads in place). */
  source: Uint8Array | undefined;
  /** StructuredCloneBackend: instances referenced again, by id. */
  instances: object[] | undefined;
  /** StructuredCloneBackend: heads read whose properties have not been yet. */
  openHeads: number;
}

const state: ReadState = {
  active: false,
  prototypes: undefined,
  source: undefined,
  instances: undefined,
  openHeads: 0,
};

/**
 * Starts a load: classes named in the data resolve through `registry`.
 *
 * @returns what to pass to {@linkcode endRead}
 */
export function beginRead(
  registry: ClassRegistry | undefined,
  source: Uint8Array,
): ReadState | undefined {
  const saved = state.active ? { ...state } : undefined;
  state.active = true;
  state.prototypes = registry?.prototypes;
  state.source = source;
  state.instances = undefined;
  state.openHeads = 0;
  return saved;
}

/** Ends a load started by {@linkcode beginRead}. */
export function endRead(saved: ReadState | undefined): void {
  if (saved !== undefined) {
    Object.assign(state, saved);
    return;
  }
  state.active = false;
  state.prototypes = undefined;
  state.source = undefined;
  state.instances = undefined;
  state.openHeads = 0;
}

/**
 * Throws if the data held a class instance's head without its properties
 * (only damaged data does).
 */
export function checkRead(): void {
  if (state.openHeads !== 0) {
    throw new Error("a class instance's head without its properties");
  }
}

/** The bytes of the load in progress. */
export function readSource(): Uint8Array | undefined {
  return state.source;
}

/** A new instance of the class registered as `name`, or a plain object. */
export function createInstance(name: string): object {
  const prototype = state.prototypes?.get(name);
  if (prototype !== undefined) return Object.create(prototype);
  warnUnknownName(name);
  return {};
}

/** What a decoded head is until its instance's properties are read: only the decoder makes one. */
export class DecodedHead {
  /** The instance, without its properties yet. */
  readonly instance: object;
  constructor(instance: object) {
    this.instance = instance;
  }
}

/**
 * Creates the instance of a class instance the data references again, before
 * its properties are read (which may reference it), and registers it as `id`.
 */
export function readHead(name: unknown, id: unknown): DecodedHead {
  if (typeof name !== "string") throw new Error("a class instance's class name must be a string");
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new Error(`class instance id ${String(id)} is not a valid id`);
  }
  const instance = createInstance(name);
  (state.instances ??= [])[id] = instance;
  state.openHeads++;
  return new DecodedHead(instance);
}

/** The instance of a head, whose properties are read now. */
export function closeHead(head: DecodedHead): object {
  state.openHeads--;
  return head.instance;
}

/** The instance an earlier part of the data registered as `id`. */
export function recallInstance(id: number): object {
  const instance = state.instances?.[id];
  if (instance === undefined) throw new Error(`reference to class instance ${id}, not yet read`);
  return instance;
}

/**
 * Gives `instance` `properties`' own properties as writable, enumerable,
 * configurable data properties (as class fields are): assigned where no
 * prototype has the name (the same, and faster), defined where one does, so
 * setters of the class do not run and an own `__proto__` stays a property.
 */
export function restoreProperties(instance: object, properties: unknown): object {
  const target = instance as Record<string, unknown>;
  if (properties instanceof Map) {
    for (const [key, value] of properties) {
      if (typeof key !== "string") {
        throw new Error("a class instance's property names must be strings");
      }
      if (key in target) define(target, key, value);
      else target[key] = value;
    }
  } else if (typeof properties === "object" && properties !== null && !Array.isArray(properties)) {
    const source = properties as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      if (key in target) define(target, key, source[key]);
      else target[key] = source[key];
    }
  } else {
    throw new Error("a class instance's properties must be a map");
  }
  return instance;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
