// Reading and checking a bucket's options: everything the constructor
// validates before it does anything, with errors that say what to change.

import { fileURLToPath, resolve } from "../fs/path.ts";
import type { BucketOptions } from "../options.ts";
import type { FileSystem } from "../fs/types.ts";
import { defaultFileSystem } from "../fs/detect.ts";
import { type Backend, resolveBackend } from "../backends/backend.ts";
import { StructuredCloneBackend } from "../backends/structured_clone.ts";
import { DefaultKeyMaker, type KeyMaker } from "../keys/keymaker.ts";
import { type DurationLike, isDurationPart, parseLifetime } from "../lifetime.ts";
import { DEFAULT_MEMORY_LIMITS, type MemoryLimits } from "./memory.ts";
import type { BudgetLimits } from "./budget.ts";

/** The default of the `clockTolerance` option: one minute. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 60_000;

/** A bucket's options, checked and resolved. */
export interface StoreConfig {
  path: string;
  backend: Backend;
  keymaker: KeyMaker;
  fs: FileSystem;
  lifetime: number | null;
  memory: MemoryLimits & { clone: boolean };
  limits: BudgetLimits | undefined;
  clockTolerance: number;
  readOnly: boolean;
  onStorageError: "reject" | "memory";
  /** What to compress with, and from what payload size; undefined: nothing is compressed. */
  compress?: { codec: "gzip" | "deflate"; minBytes: number };
}

const OPTION_NAMES = new Set([
  "backend",
  "compress",
  "config",
  "keymaker",
  "lifetime",
  "memory",
  "fs",
  "maxSize",
  "maxEntries",
  "clockTolerance",
  "readOnly",
  "onStorageError",
  "classes",
]);

/** Reads the `compress` option. */
export function readCompress(
  value: unknown,
): { codec: "gzip" | "deflate"; minBytes: number } | undefined {
  if (value === undefined || value === false) return undefined;
  const codecs = ["gzip", "deflate"];
  if (typeof value === "string" && codecs.includes(value)) {
    return { codec: value as "gzip" | "deflate", minBytes: 1024 };
  }
  if (typeof value === "object" && value !== null) {
    const { codec, minBytes = 1024, ...rest } = value as { codec?: unknown; minBytes?: unknown };
    const extra = Object.keys(rest);
    if (extra.length > 0) {
      throw new TypeError(`Unknown compress option "${extra[0]}": use codec and minBytes`);
    }
    if (typeof codec !== "string" || !codecs.includes(codec)) {
      throw new TypeError(`compress.codec must be "gzip" or "deflate", got ${String(codec)}`);
    }
    if (typeof minBytes !== "number" || !Number.isInteger(minBytes) || minBytes < 0) {
      throw new RangeError(
        `compress.minBytes must be a whole number of bytes ≥ 0, got ${String(minBytes)}`,
      );
    }
    return { codec: codec as "gzip" | "deflate", minBytes };
  }
  throw new TypeError(
    `compress must be "gzip", "deflate" or { codec, minBytes }, got ${JSON.stringify(value)}`,
  );
}

/** Reads a budget option: a whole number ≥ 1, or undefined (no limit). */
export function readLimit(value: unknown, name: string): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (typeof value !== "number") {
    throw new TypeError(
      `${name} must be a number${
        name === "maxSize" ? " of bytes, such as 1e9" : ""
      }, got ${typeof value}`,
    );
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number ≥ 1, got ${value}`);
  }
  return value;
}

function checkFileSystem(fs: unknown): FileSystem {
  const methods = [
    "readFile",
    "readPrefix",
    "writeFileAtomic",
    "remove",
    "removeIfUnchanged",
    "list",
    "stat",
    "mkdir",
  ];
  if (typeof fs !== "object" || fs === null) {
    throw new TypeError("fs must be a FileSystem adapter object");
  }
  for (const method of methods) {
    if (typeof (fs as Record<string, unknown>)[method] !== "function") {
      throw new TypeError(
        `fs must implement the FileSystem interface: ${method}() is missing` +
          (method === "removeIfUnchanged"
            ? " (added in 0.2: removals must delete only the file that was judged; see FileSystem)"
            : ""),
      );
    }
  }
  return fs as FileSystem;
}

function readMemoryOption(memory: unknown): MemoryLimits & { clone: boolean } {
  if (memory === undefined || memory === true) return { ...DEFAULT_MEMORY_LIMITS, clone: false };
  if (memory === false) return { maxEntries: 0, maxBytes: 0, clone: false };
  if (typeof memory !== "object" || memory === null || Array.isArray(memory)) {
    throw new TypeError("memory must be true, false or { maxEntries, maxBytes, clone }");
  }
  const limits = { ...DEFAULT_MEMORY_LIMITS, clone: false };
  for (const [name, value] of Object.entries(memory)) {
    if (name === "clone") {
      if (typeof value !== "boolean") throw new TypeError("memory.clone must be true or false");
      limits.clone = value;
      continue;
    }
    if (name !== "maxEntries" && name !== "maxBytes") {
      throw new TypeError(`Unknown memory option "${name}": use maxEntries, maxBytes or clone`);
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`memory.${name} must be a whole number ≥ 0, got ${String(value)}`);
    }
    limits[name] = value;
  }
  return limits;
}

function readPath(path: unknown): string {
  let text: string;
  if (path instanceof URL) {
    if (path.protocol !== "file:") {
      throw new TypeError(`path must be a file: URL, got ${path.protocol} URL`);
    }
    text = fileURLToPath(path);
  } else if (typeof path === "string") {
    text = path;
  } else {
    throw new TypeError(`path must be a string or a file: URL, got ${typeof path}`);
  }
  if (text === "") throw new TypeError('path must not be empty: name a directory such as "cache"');
  if (text.includes("\0")) {
    throw new TypeError("path must not contain a NUL character (\\0): no file system accepts it");
  }
  return resolve(text);
}

/** Checks a bucket's path and options; throws a TypeError or RangeError naming what to change. */
export function readBucketOptions(path: unknown, options: BucketOptions | undefined): StoreConfig {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError("Bucket options must be an object such as { hours: 1 }");
  }
  const given = options ?? {};
  const shortcuts: Partial<Record<keyof DurationLike, number>> = {};
  for (const [name, value] of Object.entries(given)) {
    if (isDurationPart(name)) shortcuts[name] = value as number;
    else if (!OPTION_NAMES.has(name)) {
      throw new TypeError(
        `Unknown Bucket option "${name}": use backend, config, keymaker, lifetime, memory, fs, maxSize, ` +
          "maxEntries, clockTolerance, readOnly, onStorageError, compress, classes, or a lifetime shortcut (weeks, days, hours, minutes, seconds, " +
          "milliseconds, microseconds)",
      );
    }
  }
  const hasShortcut = Object.keys(shortcuts).length > 0;
  if (hasShortcut && given.lifetime !== undefined) {
    throw new TypeError(
      `Give the lifetime once: either lifetime or shortcuts such as ${
        Object.keys(shortcuts)[0]
      }, not both`,
    );
  }
  const lifetime = hasShortcut
    ? parseLifetime(shortcuts, "lifetime")
    : parseLifetime(given.lifetime, "lifetime");
  const resolvedPath = readPath(path);
  const backend = resolveBackend(
    given.backend,
    given.config,
    (config) => new StructuredCloneBackend(config),
    given.classes,
  );
  const keymaker = given.keymaker ?? new DefaultKeyMaker();
  if (typeof (keymaker as KeyMaker | null)?.makeKey !== "function") {
    throw new TypeError("keymaker must be a KeyMaker: an object with a makeKey(value) method");
  }
  const fs = given.fs === undefined ? defaultFileSystem() : checkFileSystem(given.fs);
  const memory = readMemoryOption(given.memory);
  const maxSize = readLimit(given.maxSize, "maxSize");
  const maxEntries = readLimit(given.maxEntries, "maxEntries");
  let limits: BudgetLimits | undefined;
  if (maxSize !== Infinity || maxEntries !== Infinity) {
    if (typeof fs.touch !== "function") {
      throw new TypeError(
        `maxSize and maxEntries need an fs adapter with touch() to track recency; ${fs.name} has none`,
      );
    }
    limits = { maxSize, maxEntries };
  }
  const clockTolerance = given.clockTolerance === undefined
    ? DEFAULT_CLOCK_TOLERANCE_MS
    : parseLifetime(given.clockTolerance, "clockTolerance") ?? 0;
  if (given.readOnly !== undefined && typeof given.readOnly !== "boolean") {
    throw new TypeError("readOnly must be true or false");
  }
  const readOnly = given.readOnly === true;
  if (readOnly && limits !== undefined) {
    throw new TypeError(
      "A readOnly bucket cannot keep a budget (maxSize, maxEntries): it never removes anything",
    );
  }
  const onStorageError = given.onStorageError ?? "reject";
  if (onStorageError !== "reject" && onStorageError !== "memory") {
    throw new TypeError(
      `onStorageError must be "reject" (the default: the runtime's error) or "memory" ` +
        `(keep working from the memory layer), got ${JSON.stringify(onStorageError)}`,
    );
  }
  const compress = readCompress(given.compress);
  return {
    readOnly,
    onStorageError,
    ...(compress === undefined ? {} : { compress }),
    path: resolvedPath,
    backend,
    keymaker,
    fs,
    lifetime,
    memory,
    limits,
    clockTolerance,
  };
}
