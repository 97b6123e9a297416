// Everything a bucket does, behind the documented facade in bucket.ts. Where a
// key becomes a file name: locate() and fileName(); where that name becomes a
// path (the shard directory): entryPath(). Where bytes hit the disk:
// writeFile() (through the FileSystem adapter's atomic write).

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FileSystem } from "./fs/types.ts";
import { defaultFileSystem } from "./fs/detect.ts";
import { isTemporaryName } from "./fs/_temp.ts";
import { type Backend, resolveBackend } from "./backends/backend.ts";
import { StructuredCloneBackend } from "./backends/structured_clone.ts";
import type { KeyMaker } from "./keys/keymaker.ts";
import { DefaultKeyMaker } from "./keys/keymaker.ts";
import { hashKeyBytes, hashKeyChunks, hashPrefix } from "./keys/hash.ts";
import { type DurationLike, isDurationPart, parseLifetime } from "./lifetime.ts";
import type { BucketOptions, PrunedFilesInfo, PruneProgress, SetOptions } from "./bucket.ts";
import type { SyncResult } from "./deferred.ts";
import {
  DEFAULT_MEMORY_LIMITS,
  type MemoryEntry,
  MemoryLayer,
  type MemoryLimits,
} from "./_memory_layer.ts";
import {
  checkPayload,
  encodeEntryFile,
  type EntryHeader,
  HEADER_SIZE,
  parseHeader,
} from "./_entry_file.ts";
import { fileLogger, keyForLog, keysLogger } from "./log.ts";
import { Budget, type BudgetLimits, type EvictionResult, TOUCH_INTERVAL_MS } from "./_budget.ts";
import { isSmallPrimitive, RECENT_CALLS_MAX } from "./_recent_calls.ts";
import { entryFiles, SHARDS } from "./_shards.ts";

/** What a bucket did in this process: see `Bucket.stats()`. */
export interface BucketStats {
  /** Reads that found a live entry (in memory or in its file). */
  hits: number;
  /** Reads that found none. */
  misses: number;
  /** Entry files written. */
  writes: number;
  /** Bytes of entry files written. */
  bytesWritten: number;
  /** Entries deleted by `delete`. */
  deletes: number;
  /** Entries evicted to keep within `maxSize` / `maxEntries`. */
  evictions: number;
  /** Expired entry files removed (on reading, pruning or evicting). */
  expired: number;
  /** Damaged entry files removed. */
  damaged: number;
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

/** Temporary files older than this are orphans of interrupted writes: pruning removes them. */
export const ORPHAN_TEMP_AGE_MS = 15 * 60 * 1000;
/** Writes a deferred sync runs at once. */
export const SYNC_PARALLELISM = 8;
/**
 * The file in a bucket directory that says entries live in shard
 * subdirectories (layout 2). Directories without it may hold entries of
 * layout 1, all in the directory itself; those are still read, and pruning
 * moves them into their shards.
 */
export const LAYOUT_FILE = ".bucketcache-layout";
const LAYOUT_TEXT = "bucketcache layout 2: entries in 256 subdirectories 00-ff, by hash\n";
export { SHARDS } from "./_shards.ts";

const OPTION_NAMES = new Set([
  "backend",
  "config",
  "keymaker",
  "lifetime",
  "memory",
  "fs",
  "maxSize",
  "maxEntries",
]);
const encoder = new TextEncoder();

/** A key located: its memory key, and its file hash once computed. */
export interface Located {
  memKey: string;
  /** The key value, for logs. */
  key: unknown;
  bytes?: Uint8Array;
  hash?: string;
}

interface Load {
  promise: Promise<MemoryEntry | undefined>;
  superseded: boolean;
}

/** Shared between a bucket and a deferred view of it (deferredWrite). */
export interface SharedState {
  memory: MemoryLayer;
  budget?: Budget;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

function checkFileSystem(fs: unknown): FileSystem {
  const methods = ["readFile", "readPrefix", "writeFileAtomic", "remove", "list", "stat", "mkdir"];
  if (typeof fs !== "object" || fs === null) {
    throw new TypeError("fs must be a FileSystem adapter object");
  }
  for (const method of methods) {
    if (typeof (fs as Record<string, unknown>)[method] !== "function") {
      throw new TypeError(`fs must implement the FileSystem interface: ${method}() is missing`);
    }
  }
  return fs as FileSystem;
}

function readMemoryOption(memory: unknown): MemoryLimits {
  if (memory === undefined || memory === true) return { ...DEFAULT_MEMORY_LIMITS };
  if (memory === false) return { maxEntries: 0, maxBytes: 0 };
  if (typeof memory !== "object" || memory === null || Array.isArray(memory)) {
    throw new TypeError("memory must be true, false or { maxEntries, maxBytes }");
  }
  const limits = { ...DEFAULT_MEMORY_LIMITS };
  for (const [name, value] of Object.entries(memory)) {
    if (name !== "maxEntries" && name !== "maxBytes") {
      throw new TypeError(`Unknown memory option "${name}": use maxEntries or maxBytes`);
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`memory.${name} must be a whole number ≥ 0, got ${String(value)}`);
    }
    limits[name] = value;
  }
  return limits;
}

function readPath(path: unknown): string {
  if (path instanceof URL) {
    if (path.protocol !== "file:") {
      throw new TypeError(`path must be a file: URL, got ${path.protocol} URL`);
    }
    return fileURLToPath(path);
  }
  if (typeof path !== "string") {
    throw new TypeError(`path must be a string or a file: URL, got ${typeof path}`);
  }
  if (path === "") throw new TypeError('path must not be empty: name a directory such as "cache"');
  return resolve(path);
}

/** The state and logic of one bucket. */
export class BucketCore {
  readonly path: string;
  readonly backend: Backend;
  readonly keymaker: KeyMaker;
  readonly fs: FileSystem;
  readonly memory: MemoryLayer;
  readonly deferred: boolean;
  readonly options: BucketOptions;
  #lifetime: number | null;
  readonly #prefix: Uint8Array;
  readonly #extension: string;
  readonly #namePattern: RegExp;
  readonly #loads = new Map<string, Load>();
  readonly #writes = new Map<string, Promise<unknown>>();
  /** Whether layout-1 entries may exist in the directory itself; undefined until known. */
  #legacy: boolean | undefined;
  #layoutCheck: Promise<void> | undefined;
  /** Whether this bucket must write the layout file with its next entry. */
  #layoutFileNeeded = false;
  /** Located keys of recently used small primitive keys. */
  readonly #recentKeys = new Map<unknown, Located>();
  /** Shard directories this bucket has made sure exist. */
  readonly #shardsMade = new Set<string>();
  /** Counters for stats(). */
  readonly stats: BucketStats = {
    hits: 0,
    misses: 0,
    writes: 0,
    bytesWritten: 0,
    deletes: 0,
    evictions: 0,
    expired: 0,
    damaged: 0,
  };
  /** The size budget, when maxSize or maxEntries is set. */
  readonly budget: Budget | undefined;

  constructor(
    path: unknown,
    options: BucketOptions | undefined,
    deferred: boolean,
    shared?: SharedState,
  ) {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError("Bucket options must be an object such as { hours: 1 }");
    }
    const given = options ?? {};
    const shortcuts: Partial<Record<keyof DurationLike, number>> = {};
    for (const [name, value] of Object.entries(given)) {
      if (isDurationPart(name)) shortcuts[name] = value as number;
      else if (!OPTION_NAMES.has(name)) {
        throw new TypeError(
          `Unknown Bucket option "${name}": use backend, config, keymaker, lifetime, memory, fs, maxSize, maxEntries, ` +
            "or a lifetime shortcut (weeks, days, hours, minutes, seconds, milliseconds, microseconds)",
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
    this.#lifetime = hasShortcut
      ? parseLifetime(shortcuts, "lifetime")
      : parseLifetime(given.lifetime, "lifetime");
    this.path = readPath(path);
    this.backend = resolveBackend(
      given.backend,
      given.config,
      (config) => new StructuredCloneBackend(config),
    );
    const keymaker = given.keymaker ?? new DefaultKeyMaker();
    if (typeof (keymaker as KeyMaker | null)?.makeKey !== "function") {
      throw new TypeError("keymaker must be a KeyMaker: an object with a makeKey(value) method");
    }
    this.keymaker = keymaker;
    this.fs = given.fs === undefined ? defaultFileSystem() : checkFileSystem(given.fs);
    this.memory = shared?.memory ?? new MemoryLayer(readMemoryOption(given.memory));
    this.deferred = deferred;
    this.options = given;
    this.#prefix = hashPrefix(this.backend.identity);
    this.#extension = `.${this.backend.fileExtension}`;
    this.#namePattern = new RegExp(
      `^[0-9a-f]{64}\\.${this.backend.fileExtension.replace(/[-]/g, "\\-")}$`,
    );
    const limits: BudgetLimits = {
      maxSize: readLimit(given.maxSize, "maxSize"),
      maxEntries: readLimit(given.maxEntries, "maxEntries"),
    };
    if (limits.maxSize !== Infinity || limits.maxEntries !== Infinity) {
      if (typeof this.fs.touch !== "function") {
        throw new TypeError(
          `maxSize and maxEntries need an fs adapter with touch() to track recency; ${this.fs.name} has none`,
        );
      }
      this.budget = shared?.budget ?? this.#newBudget(limits);
    } else {
      this.budget = shared?.budget;
    }
  }

  /** Runs an eviction pass now, against the bucket's budget or `limits`. */
  async evict(limits?: BudgetLimits): Promise<EvictionResult> {
    const budget = this.budget;
    if (budget !== undefined) {
      await budget.flush();
      return await budget.evict(limits);
    }
    if (limits === undefined) {
      throw new TypeError("This bucket has no maxSize or maxEntries: pass the limits to evict");
    }
    return await this.#newBudget(limits).evict();
  }

  /** A budget over this bucket's directory. */
  #newBudget(limits: BudgetLimits): Budget {
    return new Budget(limits, {
      fs: this.fs,
      path: this.path,
      isExpired: (header, now, path) => this.isExpired(header, now, path),
      removeIfUnchanged: (path, seen, headerOnly) =>
        this.#removeIfUnchanged(path, seen, headerOnly),
      counted: (event, n) => {
        this.stats[event] += n;
      },
    });
  }

  /** Entries and bytes of this backend's entry files on disk (streams every shard). */
  async usage(): Promise<{ entries: number; bytes: number }> {
    const usage = { entries: 0, bytes: 0 };
    for await (const entry of entryFiles(this.fs, this.path)) {
      if (entry.extension !== this.backend.fileExtension) continue;
      const stat = await this.fs.stat(entry.path);
      if (stat === null) continue;
      usage.entries++;
      usage.bytes += stat.size;
    }
    return usage;
  }

  /** Counts a hit, and marks the entry used for the budget (memory hits: at most once a minute). */
  #hit(entry: MemoryEntry, now: number): void {
    this.stats.hits++;
    const budget = this.budget;
    if (budget !== undefined && now - (entry.touchedAt ?? 0) > TOUCH_INTERVAL_MS) {
      entry.touchedAt = now;
      if (entry.fileName !== undefined && !entry.pending) {
        budget.noteUse(this.entryPath(entry.fileName), now, false);
      }
    }
  }

  get lifetime(): number | null {
    return this.#lifetime;
  }

  set lifetime(value: unknown) {
    this.#lifetime = parseLifetime(value, "lifetime");
  }

  // --- keys ---------------------------------------------------------------

  /** Turns a key into its memory key; hashes only keys too long to hold as text. */
  locate(key: unknown): Located | Promise<Located> {
    // Recently used small primitive keys are found without encoding them
    // again (a Map compares them as the encoding would; -0 is left out).
    const recent = Object.is(key, -0) ? undefined : this.#recentKeys.get(key);
    if (recent !== undefined) return recent;
    const located = this.#locate(key);
    if (!(located instanceof Promise) && isSmallPrimitive(key)) {
      if (this.#recentKeys.size >= RECENT_CALLS_MAX) this.#recentKeys.clear();
      this.#recentKeys.set(key, located);
    }
    return located;
  }

  #locate(key: unknown): Located | Promise<Located> {
    const made = this.keymaker.makeKey(key);
    if (made instanceof Uint8Array) {
      // Small keys are held in memory by their bytes and hashed only when a
      // file is needed: a memory hit never hashes.
      if (made.length <= 256) return { memKey: `k${latin1(made)}`, key, bytes: made };
      const hash = this.#hashed(key, hashKeyBytes(this.#prefix, made));
      return { memKey: `h${hash}`, key, hash };
    }
    if (made === null || typeof made !== "object") {
      throw new TypeError(
        "A KeyMaker's makeKey must return a Uint8Array, an iterable or a stream of them",
      );
    }
    return hashKeyChunks(this.#prefix, made).then((digest) => {
      const hash = this.#hashed(key, digest);
      return { memKey: `h${hash}`, key, hash };
    });
  }

  /** Logs a key's hash (debug) and returns it. */
  #hashed(key: unknown, hash: string): string {
    keysLogger.debug("Hashed key {key} to {hash}", () => ({
      key: keyForLog(key),
      hash,
      backend: this.backend.identity,
    }));
    return hash;
  }

  /** The file name of a located key: its SHA-256 name and the backend's extension. */
  fileName(located: Located): string {
    located.hash ??= this.#hashed(located.key, hashKeyBytes(this.#prefix, located.bytes!));
    return located.hash + this.#extension;
  }

  /**
   * The path of an entry file: in the shard directory named by the first two
   * hex digits of its hash, so no directory holds more than 1/256 of the
   * entries. (The checksum covers the bare file name, not the shard.)
   */
  entryPath(fileName: string): string {
    return join(this.path, fileName.slice(0, 2), fileName);
  }

  /** Where layout 1 kept the entry: in the bucket directory itself. */
  #legacyPath(fileName: string): string {
    return join(this.path, fileName);
  }

  /**
   * Finds out once whether the directory may hold layout-1 entries: not if it
   * has the layout file; otherwise it peeks at the first names of the
   * directory itself (shards are directories and are not listed), stopping
   * at the first entry file. No operation lists the whole directory.
   */
  #checkLayout(): Promise<void> | undefined {
    if (this.#legacy !== undefined) return undefined;
    return this.#layoutCheck ??= (async () => {
      if (await this.fs.readPrefix(join(this.path, LAYOUT_FILE), 1) !== null) {
        this.#legacy = false;
        return;
      }
      if (this.fs.noLegacyLayout === true) {
        this.#layoutFileNeeded = true;
        this.#legacy = false;
        return;
      }
      let legacy = false;
      for await (const name of this.fs.list(this.path)) {
        if (this.#namePattern.test(name)) {
          legacy = true;
          break;
        }
      }
      this.#layoutFileNeeded = !legacy;
      this.#legacy = legacy;
    })().finally(() => {
      this.#layoutCheck = undefined;
    });
  }

  /** Removes an entry's file in its shard, and its layout-1 file where one may exist. */
  async #removeEntryFiles(fileName: string): Promise<boolean> {
    const removed = await this.fs.remove(this.entryPath(fileName));
    if (this.#legacy !== true) return removed;
    return await this.fs.remove(this.#legacyPath(fileName)) || removed;
  }

  // --- expiry ---------------------------------------------------------------

  /** Whether an entry is expired now, by its date or by a shortened bucket lifetime. */
  isExpired(
    entry: { expiresAt: number | null; own: boolean },
    now: number,
    file?: string,
  ): boolean {
    if (entry.expiresAt !== null && now > entry.expiresAt) return true;
    const lifetime = this.#lifetime;
    if (
      !entry.own && lifetime !== null &&
      (entry.expiresAt === null || entry.expiresAt > now + lifetime)
    ) {
      fileLogger.warn(
        "Entry {file} expired: the bucket's lifetime ({lifetime} ms) is shorter than when it was written",
        () => ({
          file,
          lifetime,
        }),
      );
      return true;
    }
    return false;
  }

  // --- reading ----------------------------------------------------------------

  /** The live entry for a key, from memory or its file; undefined when missing. */
  async lookup(key: unknown): Promise<MemoryEntry | undefined> {
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    return await this.lookupLocated(located);
  }

  /** The live in-memory entry of a located key, without any I/O (the memoize fast path). */
  memoryHit(located: Located): MemoryEntry | undefined {
    const hit = this.memory.get(located.memKey);
    if (hit === undefined) return undefined;
    const now = Date.now();
    if (this.isExpired(hit, now, hit.fileName)) return undefined;
    this.#hit(hit, now);
    return hit;
  }

  /** As `lookup`, for a key already located. */
  async lookupLocated(located: Located): Promise<MemoryEntry | undefined> {
    const hit = this.memory.get(located.memKey);
    if (hit !== undefined) {
      const now = Date.now();
      if (!this.isExpired(hit, now, hit.fileName)) {
        this.#hit(hit, now);
        return hit;
      }
      this.memory.delete(located.memKey);
      this.stats.misses++;
      // An expired pending entry still supersedes an older file: remove it too.
      await this.#checkLayout();
      if (await this.#removeEntryFiles(this.fileName(located))) this.#removed(hit.size, "expired");
      return undefined;
    }
    const loaded = await this.#load(located);
    if (loaded === undefined) this.stats.misses++;
    else this.stats.hits++;
    return loaded;
  }

  /** Reads a key's file once for all concurrent callers. */
  #load(located: Located): Promise<MemoryEntry | undefined> {
    const running = this.#loads.get(located.memKey);
    if (running !== undefined) return running.promise;
    const load: Load = { superseded: false, promise: undefined! };
    load.promise = this.#readEntry(located, load).finally(() => {
      if (this.#loads.get(located.memKey) === load) this.#loads.delete(located.memKey);
    });
    this.#loads.set(located.memKey, load);
    return load.promise;
  }

  async #readEntry(located: Located, load: Load): Promise<MemoryEntry | undefined> {
    await this.#checkLayout();
    const fileName = this.fileName(located);
    let path = this.entryPath(fileName);
    fileLogger.info("Attempt load from file: {path}", () => ({
      path,
      key: keyForLog(located.key),
      backend: this.backend.identity,
    }));
    let file = await this.fs.readFile(path);
    if (file === null && this.#legacy) {
      path = this.#legacyPath(fileName);
      file = await this.fs.readFile(path);
    }
    if (file === null) return undefined;
    const header = parseHeader(file);
    if (typeof header === "string") return await this.#discardDamaged(path, header, file);
    const payload = checkPayload(fileName, file, header);
    if (typeof payload === "string") return await this.#discardDamaged(path, payload, file);
    if (this.isExpired(header, Date.now(), path)) {
      if (await this.#removeIfUnchanged(path, file)) this.#removed(file.length, "expired");
      return undefined;
    }
    let value: unknown;
    try {
      value = this.backend.load(payload).value;
    } catch (error) {
      return await this.#discardDamaged(
        path,
        `${this.backend.identity} could not load it: ${String(error)}`,
        file,
      );
    }
    const now = Date.now();
    const entry: MemoryEntry = {
      value,
      expiresAt: header.expiresAt,
      own: header.own,
      size: file.length,
      pending: false,
      fileName,
      touchedAt: now,
    };
    await this.budget?.noteUse(path, now, true);
    if (!load.superseded) this.memory.set(located.memKey, entry);
    return entry;
  }

  /** Logs and removes a damaged file (if no one replaced it meanwhile); it reads as missing. */
  async #discardDamaged(path: string, reason: string, seen: Uint8Array): Promise<undefined> {
    fileLogger.warn("Removing damaged entry file {path}: {reason}", () => ({
      path,
      reason,
      backend: this.backend.identity,
    }));
    try {
      if (await this.#removeIfUnchanged(path, seen)) this.#removed(seen.length, "damaged");
    } catch (error) {
      fileLogger.warn(
        "Could not remove damaged entry file {path}: {error}",
        () => ({ path, error }),
      );
    }
    return undefined;
  }

  /**
   * Removes a file only if it still holds what was read (`seen`: the whole
   * file, or with `headerOnly` its header): another process may have replaced
   * it with a fresh entry since, and that must stay.
   */
  async #removeIfUnchanged(path: string, seen: Uint8Array, headerOnly = false): Promise<boolean> {
    // A header read from a file shorter than a header was the whole file.
    const whole = !headerOnly || seen.length < HEADER_SIZE;
    const now = await this.fs.readPrefix(path, seen.length + 1);
    if (now === null || (whole ? now.length !== seen.length : now.length <= seen.length)) {
      return false;
    }
    for (let i = 0; i < seen.length; i++) if (now[i] !== seen[i]) return false;
    return await this.fs.remove(path);
  }

  /** Counts a removed entry file, for stats and the budget. */
  #removed(bytes: number, why: "expired" | "damaged" | "deletes"): void {
    this.stats[why]++;
    this.budget?.noteRemove(bytes);
  }

  /** Makes a concurrent read of this key keep its result out of memory. */
  #supersede(memKey: string): void {
    const load = this.#loads.get(memKey);
    if (load !== undefined) {
      load.superseded = true;
      this.#loads.delete(memKey);
    }
  }

  // --- writing -------------------------------------------------------------------

  /** Serialises a value into a complete entry file; throws TypeError when it cannot be stored. */
  dumpEntry(fileName: string, value: unknown, expiresAt: number | null, own: boolean): Uint8Array {
    let dumped: unknown;
    try {
      dumped = this.backend.dump({
        value,
        expirationDate: expiresAt === null ? null : new Date(expiresAt),
      });
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw new TypeError(
        `${this.backend.identity} could not serialise the value: ${
          (error as Error)?.message ?? String(error)
        }`,
        { cause: error },
      );
    }
    if (typeof dumped === "string") dumped = encoder.encode(dumped);
    if (!(dumped instanceof Uint8Array)) {
      throw new TypeError(`${this.backend.identity}.dump must return a Uint8Array or a string`);
    }
    return encodeEntryFile(fileName, dumped, expiresAt, own);
  }

  /** Stores a value under a key: on disk (or pending, for deferred buckets) and in memory. */
  async set(key: unknown, value: unknown, options?: SetOptions): Promise<MemoryEntry> {
    let own = false;
    let lifetime = this.#lifetime;
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError("set options must be an object such as { lifetime: 1000 }");
      }
      for (const name of Object.keys(options)) {
        if (name !== "lifetime") {
          throw new TypeError(`Unknown set option "${name}": the only option is lifetime`);
        }
      }
      if ("lifetime" in options) {
        own = true;
        lifetime = parseLifetime(options.lifetime, "set lifetime");
      }
    }
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    return await this.setLocated(located, key, value, lifetime, own);
  }

  /** As `set`, for a key already located, with the lifetime resolved. */
  async setLocated(
    located: Located,
    key: unknown,
    value: unknown,
    lifetime: number | null = this.#lifetime,
    own = false,
  ): Promise<MemoryEntry> {
    const expiresAt = lifetime === null ? null : Date.now() + lifetime;
    const fileName = this.fileName(located);
    const file = this.dumpEntry(fileName, value, expiresAt, own);
    const entry: MemoryEntry = {
      value,
      expiresAt,
      own,
      size: file.length,
      pending: this.deferred,
      fileName,
      key,
    };
    const memKey = located.memKey;
    this.#supersede(memKey);
    if (this.deferred) {
      entry.file = file;
      this.memory.set(memKey, entry);
      return entry;
    }
    await this.#serialize(memKey, async () => {
      await this.writeFile(fileName, file, expiresAt, this.memory.peek(memKey)?.size);
      this.memory.set(memKey, entry);
    });
    return entry;
  }

  /**
   * Atomically writes an entry file into its shard, creating the directories
   * on first use. In a layout-1 directory it then removes the entry's old
   * file, which would otherwise resurface once this one is deleted.
   */
  async writeFile(
    fileName: string,
    file: Uint8Array,
    expiresAt: number | null,
    replaced?: number,
  ): Promise<void> {
    await this.#checkLayout();
    const path = this.entryPath(fileName);
    const shard = fileName.slice(0, 2);
    if (!this.#shardsMade.has(shard)) {
      await this.fs.mkdir(join(this.path, shard));
      this.#shardsMade.add(shard);
    }
    try {
      await this.fs.writeFileAtomic(path, file, { expiresAt });
    } catch (error) {
      // Someone removed the directory meanwhile (a clear, by hand).
      if ((error as { code?: string })?.code !== "ENOENT") throw error;
      await this.fs.mkdir(join(this.path, shard));
      await this.fs.writeFileAtomic(path, file, { expiresAt });
    }
    if (this.#layoutFileNeeded) {
      this.#layoutFileNeeded = false;
      await this.fs.writeFileAtomic(join(this.path, LAYOUT_FILE), encoder.encode(LAYOUT_TEXT));
    }
    if (this.#legacy) await this.fs.remove(this.#legacyPath(fileName));
    this.stats.writes++;
    this.stats.bytesWritten += file.length;
    this.budget?.noteWrite(file.length, replaced);
  }

  /** Runs writes of one key one after another, so disk and memory agree on the last one. */
  #serialize<T>(memKey: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#writes.get(memKey);
    const next = previous === undefined ? task() : previous.then(task, task);
    const tail = next.catch(() => {});
    this.#writes.set(memKey, tail);
    tail.then(() => {
      if (this.#writes.get(memKey) === tail) this.#writes.delete(memKey);
    });
    return next;
  }

  async delete(key: unknown): Promise<boolean> {
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    const memKey = located.memKey;
    this.#supersede(memKey);
    await this.#checkLayout();
    const fileName = this.fileName(located);
    return await this.#serialize(memKey, async () => {
      const held = this.memory.delete(memKey);
      let live = held !== undefined && !this.isExpired(held, Date.now());
      const paths = this.#legacy
        ? [this.entryPath(fileName), this.#legacyPath(fileName)]
        : [this.entryPath(fileName)];
      for (const path of paths) {
        if (live) break;
        const prefix = await this.fs.readPrefix(path, HEADER_SIZE);
        if (prefix !== null) {
          const header = parseHeader(prefix);
          live = typeof header !== "string" && !this.isExpired(header, Date.now());
        }
      }
      const removed = await this.#removeEntryFiles(fileName);
      const deleted = live && (removed || held?.pending === true);
      if (deleted) this.stats.deletes++;
      if (removed) this.budget?.noteRemove(held?.size ?? 0);
      return deleted;
    });
  }

  async unload(key: unknown): Promise<void> {
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    this.#supersede(located.memKey);
    this.memory.delete(located.memKey);
  }

  // --- deferred writes ---------------------------------------------------------

  /** Writes pending entries (bounded parallelism); failed ones stay pending. */
  async sync(): Promise<SyncResult> {
    const result: SyncResult = { written: 0, bytes: 0, dropped: 0 };
    const failures: Error[] = [];
    const queue = [...this.memory.pending()];
    const now = Date.now();
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const [memKey, entry] = item;
        if (this.isExpired(entry, now)) {
          if (this.memory.peek(memKey) === entry) this.memory.delete(memKey);
          result.dropped++;
          try {
            // Nothing older may resurface in place of the expired value.
            await this.#checkLayout();
            await this.#removeEntryFiles(entry.fileName!);
          } catch (error) {
            failures.push(
              new Error(
                `Could not remove the superseded file ${entry.fileName}: ${String(error)}`,
                { cause: error },
              ),
            );
          }
          continue;
        }
        const file = entry.file!;
        try {
          await this.#serialize(
            memKey,
            () => this.writeFile(entry.fileName!, file, entry.expiresAt),
          );
          // A newer set during the write keeps its own pending state.
          if (this.memory.peek(memKey) === entry) {
            entry.pending = false;
            entry.file = undefined;
          }
          result.written++;
          result.bytes += file.length;
        } catch (error) {
          const failure = new Error(
            `Could not write the entry for key ${keyForLog(entry.key)} to ${entry.fileName}: ${
              String(error)
            }`,
            { cause: error },
          );
          failures.push(failure);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_PARALLELISM, queue.length) }, worker));
    this.memory.trim();
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `sync wrote ${result.written} entries; ${failures.length} failed and stay pending for the next sync`,
      );
    }
    return result;
  }

  // --- pruning -------------------------------------------------------------------

  /**
   * Removes expired and damaged entry files and orphaned temporary files,
   * streaming the directory and its shards one name at a time and reading
   * only entry headers (a whole file only when its size disagrees with its
   * header). Moves layout-1 entries into their shards.
   *
   * @param onProgress called after each directory
   */
  async prune(onProgress?: (progress: PruneProgress) => void): Promise<PrunedFilesInfo> {
    const info: PrunedFilesInfo = { size: 0, num: 0 };
    const now = Date.now();
    let seen = 0;
    let legacyLeft = 0;
    await this.#checkLayout();
    const directories = ["", ...SHARDS];
    for (const [done, shard] of directories.entries()) {
      const dir = join(this.path, shard);
      for await (const name of this.fs.list(dir, { includeTemporary: true })) {
        const path = join(dir, name);
        if (isTemporaryName(name)) {
          seen++;
          const stat = await this.fs.stat(path);
          if (
            stat !== null && now - stat.mtimeMs > ORPHAN_TEMP_AGE_MS && await this.fs.remove(path)
          ) {
            info.size += stat.size;
            info.num++;
          }
          continue;
        }
        if (!this.#namePattern.test(name) || (shard !== "" && !name.startsWith(shard))) continue;
        seen++;
        const verdict = await this.judge(path, name, now);
        if (verdict.remove) {
          if (await this.#removeIfUnchanged(path, verdict.seen, verdict.headerOnly)) {
            info.size += verdict.size;
            info.num++;
            this.#removed(verdict.size, verdict.reason === undefined ? "expired" : "damaged");
          }
        } else if (shard === "" && verdict.header !== undefined) {
          if (!await this.#migrate(name, path)) legacyLeft++;
        }
      }
      onProgress?.({ directories: done + 1, of: directories.length, files: seen });
    }
    if (this.#legacy && legacyLeft === 0) {
      await this.fs.writeFileAtomic(join(this.path, LAYOUT_FILE), encoder.encode(LAYOUT_TEXT));
      this.#legacy = false;
    }
    return info;
  }

  /**
   * Whether an entry file should go (expired or damaged), from its header, or
   * from one full read when its size disagrees with the header (damaged, or
   * replaced between the two reads). `seen` is what to compare before removing.
   */
  async judge(path: string, name: string, now: number): Promise<{
    remove: boolean;
    reason?: string;
    header?: EntryHeader;
    seen: Uint8Array;
    headerOnly: boolean;
    size: number;
  }> {
    const gone = { remove: false, seen: new Uint8Array(), headerOnly: true, size: 0 };
    const prefix = await this.fs.readPrefix(path, HEADER_SIZE);
    const stat = prefix === null ? null : await this.fs.stat(path);
    if (prefix === null || stat === null) return gone;
    let header = parseHeader(prefix);
    let seen = prefix;
    let headerOnly = true;
    let size = stat.size;
    let reason = typeof header === "string" ? header : undefined;
    if (typeof header !== "string" && stat.size !== HEADER_SIZE + header.length) {
      const file = await this.fs.readFile(path);
      if (file === null) return gone;
      [seen, headerOnly, size] = [file, false, file.length];
      header = parseHeader(file);
      reason = typeof header === "string" ? header : undefined;
      if (typeof header !== "string") {
        const payload = checkPayload(name, file, header);
        if (typeof payload === "string") reason = payload;
      }
    }
    if (reason !== undefined) {
      fileLogger.warn("Removing damaged entry file {path}: {reason}", () => ({
        path,
        reason,
        backend: this.backend.identity,
      }));
      return { remove: true, reason, seen, headerOnly, size };
    }
    const live = header as EntryHeader;
    return { remove: this.isExpired(live, now, path), header: live, seen, headerOnly, size };
  }

  /**
   * Moves a live layout-1 entry into its shard, unless the shard already has
   * a (newer) file for it. Returns whether the old file is gone.
   */
  async #migrate(name: string, path: string): Promise<boolean> {
    const target = this.entryPath(name);
    if (await this.fs.stat(target) === null) {
      const file = await this.fs.readFile(path);
      if (file === null) return true;
      await this.fs.mkdir(join(this.path, name.slice(0, 2)));
      await this.fs.writeFileAtomic(target, file);
      return await this.#removeIfUnchanged(path, file) || await this.fs.stat(path) === null;
    }
    await this.fs.remove(path);
    return true;
  }
}
