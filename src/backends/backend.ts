/**
 * The abstract class of serialisation backends.
 *
 * @module
 */

/** What a backend stores: a value and when it expires. */
export interface Entry<V = unknown> {
  /** The cached value. */
  value: V;
  /** When the entry expires, or `null` if it does not. */
  expirationDate: Date | null;
}

/** Options for a backend; each backend lists the keys it knows in `configKeys`. */
export type BackendConfig = Record<string, unknown>;

/**
 * How values are serialised in entry files. Extend it to store values your
 * own way: set `fileExtension` and `binaryFormat`, implement `dump` and `load`
 * (which throws {@linkcode BackendLoadError} for data it cannot read), and list
 * the config keys you accept in `static configKeys`.
 *
 * What `load` throws decides what happens to the file. A
 * {@linkcode BackendLoadError} means "these bytes cannot be read" (truncated,
 * garbage, another format or version): the bucket logs it, removes the file
 * and reads the entry as missing. Any other error means something else went
 * wrong, such as a hook from the user's config (a JSON reviver) that threw:
 * it must propagate unchanged, so the call rejects with it and the file is
 * kept. So wrap only the decoding of the data in `BackendLoadError`, never the
 * calls into user code (and `dump` throws a `TypeError` naming what it cannot
 * store, before anything is written).
 *
 * The bucket frames what `dump` returns in its own header (format version,
 * expiry, length, checksum), so a backend never needs to store the expiry or
 * detect truncation itself; the built-in backends store the value only and
 * `load` returns `expirationDate: null`.
 *
 * @example A backend that stores strings as plain text
 * ```ts
 * import { Backend, BackendLoadError, Bucket, MemoryFileSystem, type Entry } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * class TextBackend extends Backend {
 *   readonly fileExtension = "txt";
 *   readonly binaryFormat = false;
 *   dump(entry: Entry): string {
 *     if (typeof entry.value !== "string") throw new TypeError("TextBackend stores strings only");
 *     return entry.value;
 *   }
 *   load(data: Uint8Array): Entry {
 *     try {
 *       return { value: new TextDecoder("utf-8", { fatal: true }).decode(data), expirationDate: null };
 *     } catch (cause) {
 *       throw new BackendLoadError("not UTF-8 text", { cause });
 *     }
 *   }
 * }
 * const bucket = new Bucket("/cache", { backend: TextBackend, fs: new MemoryFileSystem() });
 * await bucket.set("greeting", "hello");
 * assert.equal(await bucket.get("greeting"), "hello");
 * ```
 */
export abstract class Backend {
  /** The config keys this backend accepts; others are a `TypeError`. */
  static readonly configKeys: readonly string[] = [];
  /** The config this backend was created with. */
  readonly config: Readonly<BackendConfig>;

  /**
   * Creates a backend, checking `config` against the class's `configKeys`.
   *
   * @param config options for the backend
   * @throws {TypeError} for a config key the backend does not know
   */
  constructor(config: BackendConfig = {}) {
    const known = (new.target as unknown as typeof Backend).configKeys ?? [];
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new TypeError(`${new.target.name} config must be a plain object`);
    }
    for (const key of Object.keys(config)) {
      if (!known.includes(key)) {
        throw new TypeError(
          `Unknown ${new.target.name} config key "${key}": ${
            known.length ? `it accepts ${known.join(", ")}` : "it takes no config"
          }`,
        );
      }
    }
    this.config = Object.freeze({ ...config });
  }

  /** The file name ending, without the dot (`"json"`). */
  abstract readonly fileExtension: string;
  /** Whether `dump` produces bytes (`true`) or text (`false`). */
  abstract readonly binaryFormat: boolean;

  /**
   * The backend's identity in entry names: the same key under two backends
   * is two entries. Defaults to the class name.
   */
  get identity(): string {
    return this.constructor.name;
  }

  /**
   * Serialises an entry completely (nothing is written before it returns).
   *
   * @throws {TypeError} when the value cannot be stored, saying what could not be
   */
  abstract dump(entry: Entry): Uint8Array | string;

  /**
   * Reads back what `dump` produced.
   *
   * @throws {BackendLoadError} when the data cannot be read (the bucket then
   * removes the file as damaged); any other error, such as one from a
   * user-supplied hook, must propagate unchanged (the call rejects, the file
   * stays)
   */
  abstract load(data: Uint8Array): Entry;
}

const EXTENSION = /^[A-Za-z0-9_-]{1,16}$/;

// The Bucket option `classes`, added to the config of the backend class.
function withClasses(backend: unknown, config: unknown, classes: unknown): unknown {
  if (backend instanceof Backend) {
    throw new TypeError(
      "classes goes with a backend class or the default backend; a backend instance was given: " +
        `pass classes to its constructor instead (new ${backend.constructor.name}({ classes: [...] }))`,
    );
  }
  if (typeof backend === "function" && !(backend.prototype instanceof Backend)) return config;
  const name = typeof backend === "function" ? backend.name : "StructuredCloneBackend";
  const keys = typeof backend === "function"
    ? (backend as unknown as typeof Backend).configKeys ?? []
    : ["classes"];
  if (!keys.includes("classes")) {
    throw new TypeError(
      `${name} cannot restore class instances, so it takes no classes: use the default ` +
        "StructuredCloneBackend or MessagePackBackend",
    );
  }
  if (config === undefined) return { classes };
  if (typeof config !== "object" || config === null || Array.isArray(config)) return config;
  if ("classes" in config) {
    throw new TypeError("Give classes once: either the Bucket option classes or config.classes");
  }
  return { ...config, classes };
}

/**
 * Resolves the `backend` and `config` options of a bucket into one checked
 * backend instance.
 *
 * @param backend a Backend subclass, an instance of one, or undefined for the default
 * @param config options for a backend class
 * @param fallback creates the default backend
 * @param classes the Bucket option `classes`: passed to the backend class as
 * `config.classes`, for backends whose `configKeys` include `"classes"`
 * @returns the backend instance
 */
export function resolveBackend(
  backend: unknown,
  config: unknown,
  fallback: (config?: BackendConfig) => Backend,
  classes?: unknown,
): Backend {
  if (classes !== undefined) config = withClasses(backend, config, classes);
  let instance: Backend;
  if (backend === undefined) {
    instance = fallback(config as BackendConfig | undefined);
  } else if (typeof backend === "function") {
    if (!(backend.prototype instanceof Backend)) {
      throw new TypeError(
        `backend must be a Backend subclass or an instance of one; ${
          backend.name || "this function"
        } does not extend Backend`,
      );
    }
    instance = new (backend as new (config?: BackendConfig) => Backend)(
      config as BackendConfig | undefined,
    );
  } else if (backend instanceof Backend) {
    if (config !== undefined) {
      throw new TypeError(
        "config goes with a backend class (backend: JSONBackend, config: {...}); " +
          "a backend instance was given: pass the config to its constructor instead",
      );
    }
    instance = backend;
  } else {
    throw new TypeError(
      `backend must be a Backend subclass or an instance of one, got ${
        backend === null ? "null" : typeof backend
      }`,
    );
  }
  const name = instance.constructor.name;
  if (typeof instance.fileExtension !== "string" || !EXTENSION.test(instance.fileExtension)) {
    throw new TypeError(
      `${name} must define fileExtension: 1 to 16 letters, digits, "_" or "-" without the dot, such as "json"`,
    );
  }
  if (typeof instance.binaryFormat !== "boolean") {
    throw new TypeError(
      `${name} must define binaryFormat as true (dump returns bytes) or false (text)`,
    );
  }
  for (const method of ["dump", "load"] as const) {
    if (typeof instance[method] !== "function") {
      throw new TypeError(`${name} must implement ${method}()`);
    }
  }
  if (typeof instance.identity !== "string" || instance.identity === "") {
    throw new TypeError(`${name} must have a non-empty identity string`);
  }
  return instance;
}
