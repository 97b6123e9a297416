// The store: the one state of a bucket, shared by every view of it (the
// bucket itself, `deferredWrite(bucket)`, memoised functions). Where a key
// becomes a file name: locate() and fileName(); where that name becomes a
// path: entryPath() (format/layout.ts); where bytes reach the storage:
// writeEntry() (through the adapter's atomic write) and readEntry().
//
// Ordering rules, per key (memKey):
// - writes and deletes of a key run one after another (serialize()), in the
//   order they were called, so disk and memory agree on the last one;
// - a set, delete or unload supersedes a read in flight: its result does not
//   land in memory, and a read never lands on top of a pending entry;
// - a deferred sync writes an entry only while it is still that key's
//   current pending value (sync.ts).

import type { FileSystem } from "../fs/types.ts";
import type { Backend } from "../backends/backend.ts";
import { BackendLoadError } from "../errors.ts";
import type { KeyMaker } from "../keys/keymaker.ts";
import { hashKeyBytes, hashKeyChunks, hashPrefix } from "../keys/hash.ts";
import { parseLifetime } from "../lifetime.ts";
import type { SetOptions } from "../options.ts";
import type { BucketStats, BucketUsage, EvictionResult } from "../results.ts";
import { fileLogger, keyForLog, keysLogger } from "../log.ts";
import {
  checkPayload,
  compressedHead,
  compressPayload,
  decompressPayload,
  encodeEntryParts,
  type EntryExtras,
  type EntryMeta,
  isProblem,
  MAX_EXPIRES_AT,
  MAX_HEADER_SIZE,
  parseHeader,
  payloadInflated,
  readMeta,
  splitEntry,
  usableUntil,
} from "../format/entry.ts";
import { BUILT_IN_EXTENSIONS, entryPath } from "../format/layout.ts";
import { BucketDirectory } from "../format/directory.ts";
import { walkBucket } from "../format/walk.ts";
import type { Located } from "./located.ts";
import { byteLength, type FileBytes, joined } from "../fs/_parts.ts";
import { byteValueParts, byteValueView } from "../backends/_byte_values.ts";
import type { AtomicWriteOptions } from "../fs/types.ts";
import { type MemoryEntry, MemoryLayer } from "./memory.ts";
import { isSmallPrimitive, RECENT_CALLS_MAX } from "./recent.ts";
import { Budget, type BudgetLimits, TOUCH_INTERVAL_MS } from "./budget.ts";
import { deletableByAge, readsAsExpired, servableStale } from "./expiry.ts";
import { isReadOnlyError, Remover } from "./remove.ts";
import type { StoreConfig } from "./read_options.ts";
import type { Flight } from "./flight.ts";
import { readTags, TagBook } from "./tags.ts";

/** What a write records beside the value (entry format version 2 when any is given). */
export interface WriteDetails {
  /** Milliseconds after expiry during which the entry may be served stale (and is kept). */
  staleWindow?: number;
  /** The memoised function's name. */
  fn?: string;
  /** Its `version`, as text. */
  version?: string;
  /** Tags, for invalidateTags. */
  tags?: readonly string[];
}

const encoder = new TextEncoder();

/**
 * Payloads of this many bytes and more are written as two parts (header,
 * then payload) where the adapter can (`writeFileAtomicParts`), instead of
 * being copied behind the header first; smaller ones are framed into one
 * buffer, which costs less than a second write call.
 */
const WRITE_PARTS_FROM = 256 * 1024;

/** An adapter that writes a file's parts one after the other, atomically as a whole. */
interface PartsWriter {
  writeFileAtomicParts(
    path: string,
    parts: readonly Uint8Array[],
    options?: AtomicWriteOptions,
  ): Promise<void>;
}
/** With onStorageError "memory": how long the storage is left alone after it refused a write. */
export const STORAGE_RETRY_MS = 30_000;
const REFUSALS = new Set(["ENOSPC", "EDQUOT", "ENOENT"]);

/** Whether an error says the storage refuses writes or is full. */
function isStorageRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return isReadOnlyError(error) || (typeof code === "string" && REFUSALS.has(code));
}

interface Load {
  promise: Promise<MemoryEntry | undefined>;
  superseded: boolean;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** The state and logic of one bucket. */
export class Store {
  readonly path: string;
  readonly backend: Backend;
  readonly keymaker: KeyMaker;
  readonly fs: FileSystem;
  readonly memory: MemoryLayer;
  readonly directory: BucketDirectory;
  readonly remover: Remover;
  /** Tag generations (tags.ts). */
  readonly tags: TagBook;
  /** How far clocks may differ (ms): see expiry.ts. */
  readonly clockTolerance: number;
  /** Whether callers get a copy of each value (memory: { clone: true }). */
  readonly clones: boolean;
  /** Never write, remove or touch (the readOnly option). */
  readonly readOnly: boolean;
  /** What a refused write does (the onStorageError option). */
  readonly onStorageError: "reject" | "memory";
  /** With onStorageError "memory": until when the storage is left alone after it refused a write. */
  #storageDownUntil = 0;
  #warnedStorageDown = false;
  /** The backends whose entry files count as the library's here: the built-ins and this one. */
  readonly extensions: ReadonlySet<string>;
  #lifetime: number | null;
  readonly #prefix: Uint8Array;
  readonly #extension: string;
  readonly #loads = new Map<string, Load>();
  readonly #writes = new Map<string, Promise<unknown>>();
  /** Located keys of recently used small primitive keys. */
  readonly #recentKeys = new Map<unknown, Located>();
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
  /** Computations in flight, by memory key (compute.ts): one per key in this process. */
  readonly flights: Map<string, Flight> = new Map();

  constructor(config: StoreConfig) {
    this.path = config.path;
    this.backend = config.backend;
    this.keymaker = config.keymaker;
    this.fs = config.fs;
    this.#lifetime = config.lifetime;
    this.clockTolerance = config.clockTolerance;
    this.readOnly = config.readOnly;
    this.onStorageError = config.onStorageError;
    this.#compress = config.compress;
    this.memory = new MemoryLayer(config.memory);
    this.clones = config.memory.clone;
    this.#prefix = hashPrefix(this.backend.identity);
    this.#extension = `.${this.backend.fileExtension}`;
    this.extensions = new Set([...BUILT_IN_EXTENSIONS, this.backend.fileExtension]);
    this.directory = new BucketDirectory(this.fs, this.path, this.backend.fileExtension);
    this.remover = new Remover(this.fs, this.readOnly);
    this.tags = new TagBook(this.fs, this.path);
    this.budget = config.limits === undefined ? undefined : this.newBudget(config.limits);
  }

  get lifetime(): number | null {
    return this.#lifetime;
  }

  set lifetime(value: unknown) {
    this.#lifetime = parseLifetime(value, "lifetime");
  }

  /**
   * What a caller gets for a value held in memory: the value itself, or
   * with memory: { clone: true } a structured clone, so a caller that
   * mutates it changes nothing for later callers.
   */
  out<T>(value: T): T {
    if (!this.clones) return value;
    // Registered classes must come back as instances: copy through the
    // backend then, as a file read would (structuredClone drops prototypes).
    const classes = (this.backend.config as { classes?: readonly unknown[] }).classes;
    if (classes === undefined || classes.length === 0) return structuredClone(value);
    const dumped = this.backend.dump({ value, expirationDate: null });
    const bytes = typeof dumped === "string" ? encoder.encode(dumped) : dumped;
    return this.backend.load(bytes).value as T;
  }

  /** Throws the read-only error for an operation that would write. */
  refuseIfReadOnly(operation: string): void {
    if (this.readOnly) {
      throw new TypeError(
        `This bucket is read-only (readOnly: true): ${operation} would write to ${this.path}. ` +
          "Create the bucket without readOnly to change the cache",
      );
    }
  }

  /**
   * With onStorageError "memory", whether a storage error is one to live
   * with (the storage refuses writes, or is full): logs once, and leaves the
   * storage alone for a while.
   */
  #tolerate(error: unknown): boolean {
    if (this.onStorageError !== "memory" || !isStorageRefusal(error)) return false;
    this.#storageDownUntil = Date.now() + STORAGE_RETRY_MS;
    if (!this.#warnedStorageDown) {
      this.#warnedStorageDown = true;
      fileLogger.warn(
        "The storage of {path} refused a write ({error}); the bucket keeps working from memory " +
          '(onStorageError: "memory") and tries the storage again every 30 s; logged once',
        () => ({ path: this.path, error }),
      );
    }
    return true;
  }

  /** Whether writes skip the storage now (onStorageError "memory" after a refusal). */
  get #storageDown(): boolean {
    return this.#storageDownUntil > Date.now();
  }

  /** A budget over this bucket's directory (`oneOff`: for one pass, keeping no usage file). */
  newBudget(limits: BudgetLimits, oneOff = false): Budget {
    return new Budget(limits, {
      fs: this.fs,
      path: this.path,
      extensions: this.extensions,
      clockTolerance: this.clockTolerance,
      remover: this.remover,
      counted: (event, n) => {
        this.stats[event] += n;
      },
    }, !oneOff);
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
    return await this.newBudget(limits, true).evict();
  }

  /** Entries and bytes of this backend's entry files (one walk over the directory). */
  async usage(): Promise<BucketUsage> {
    const usage = { entries: 0, bytes: 0 };
    const extensions = new Set([this.backend.fileExtension]);
    for await (const found of walkBucket(this.fs, this.path, { extensions })) {
      usage.entries++;
      usage.bytes += found.stat.size;
    }
    return usage;
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

  /** The path of an entry file, in its shard. */
  entryPath(fileName: string): string {
    return entryPath(this.path, fileName);
  }

  // --- expiry ---------------------------------------------------------------

  /** Whether an entry reads as missing now (its date, or a shortened bucket lifetime). */
  isExpired(
    entry: { expiresAt: number | null; own: boolean },
    now: number,
    file?: string,
  ): boolean {
    return readsAsExpired(entry, now, this.#lifetime, this.clockTolerance, file);
  }

  // --- reading ----------------------------------------------------------------

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
    // A tagged entry whose tags this process has not checked lately takes the slow path.
    if (hit.meta?.tags !== undefined && this.tags.validNow(hit.meta.tags) !== true) {
      return undefined;
    }
    this.#hit(hit, now);
    return hit;
  }

  /**
   * As `lookup`, for a key already located. With `allowStale`, an expired
   * entry whose stale window is still open is returned too (the caller
   * tells it by `isExpired`).
   */
  async lookupLocated(located: Located, allowStale = false): Promise<MemoryEntry | undefined> {
    const memKey = located.memKey;
    const hit = this.memory.get(memKey);
    if (
      hit !== undefined && hit.meta?.tags !== undefined && !await this.tags.valid(hit.meta.tags)
    ) {
      // Invalidated by a tag: the file may hold something newer.
      if (this.memory.peek(memKey) === hit && !hit.pending) this.memory.delete(memKey);
    } else if (hit !== undefined) {
      const now = Date.now();
      if (!this.isExpired(hit, now, hit.fileName)) {
        this.#hit(hit, now);
        return hit;
      }
      if (hit.pending) {
        // An expired pending entry still supersedes an older file: the key
        // reads as missing until something newer is set.
        if (allowStale && servableStale(hit, now)) return hit;
        this.stats.misses++;
        await this.serialize(memKey, async () => {
          if (this.memory.peek(memKey) !== hit) return;
          this.memory.delete(memKey);
          await this.removeEntryFiles(hit.fileName!);
        });
        return undefined;
      }
      // The file judges itself: it may hold something newer.
      if (this.memory.peek(memKey) === hit && !servableStale(hit, now)) this.memory.delete(memKey);
    }
    const loaded = await this.#load(located);
    if (loaded !== undefined) {
      const now = Date.now();
      if (!this.isExpired(loaded, now, loaded.fileName)) {
        this.stats.hits++;
        return loaded;
      }
      if (allowStale && servableStale(loaded, now)) return loaded;
    }
    this.stats.misses++;
    return undefined;
  }

  /**
   * Reads a key's file (sharing a read in flight), without counting a hit
   * or a miss: what a waiter for a lock polls. Expired entries read as missing.
   */
  async peekFile(located: Located): Promise<MemoryEntry | undefined> {
    const loaded = await this.#load(located);
    return loaded !== undefined && !this.isExpired(loaded, Date.now()) ? loaded : undefined;
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
    const fileName = this.fileName(located);
    const shardPath = this.entryPath(fileName);
    // The shard path comes first in every layout: a file found there needs
    // no layout check (a fresh process's first read reads one file, not the
    // layout file too); the layout decides only where else to look.
    let paths = [shardPath];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      fileLogger.info("Attempt load from file: {path}", () => ({
        path,
        key: keyForLog(located.key),
        backend: this.backend.identity,
      }));
      let file: Uint8Array | null;
      try {
        file = await this.fs.readFile(path);
      } catch (error) {
        if (this.onStorageError === "memory" && isStorageRefusal(error)) return undefined;
        throw error;
      }
      if (file === null) {
        if (i === 0) {
          const checking = this.directory.check();
          if (checking !== undefined) await checking;
          paths = this.directory.paths(fileName, shardPath);
        }
        continue;
      }
      return await this.#decode(located, load, fileName, path, file);
    }
    return undefined;
  }

  /** Checks and decodes a file read for a key; damaged files are removed, foreign ones left. */
  async #decode(
    located: Located,
    load: Load,
    fileName: string,
    path: string,
    file: Uint8Array,
  ): Promise<MemoryEntry | undefined> {
    const header = parseHeader(file);
    if (isProblem(header)) {
      if (header.damaged) return await this.#discardDamaged(path, header.reason, file);
      fileLogger.warn("Leaving {path} alone: {reason}", () => ({ path, reason: header.reason }));
      return undefined;
    }
    const payload = checkPayload(fileName, file, header);
    if (typeof payload === "string") return await this.#discardDamaged(path, payload, file);
    const now = Date.now();
    if (this.isExpired(header, now, path) && !servableStale(header, now)) {
      if (
        deletableByAge(header, now, this.clockTolerance) &&
        await this.remover.removeJudged(path, file, false)
      ) {
        this.#removed(file.length, "expired");
      }
      return undefined;
    }
    let stored = payload;
    if (header.codec !== undefined && !payloadInflated()) {
      try {
        stored = await decompressPayload(header.codec, payload);
      } catch (error) {
        return await this.#discardDamaged(
          path,
          `its ${header.codec} payload does not decompress: ${(error as Error)?.message}`,
          file,
        );
      }
    }
    // A large Uint8Array value is a view on the bytes just read (ours alone).
    let value: unknown = byteValueView(this.backend, stored);
    try {
      if (value === undefined) value = this.backend.load(stored).value;
    } catch (error) {
      // Only the backend's word that the data cannot be read makes the file
      // damaged; any other error (a bug, a reviver's) rejects the call.
      if (!(error instanceof BackendLoadError)) throw error;
      return await this.#discardDamaged(
        path,
        `${this.backend.identity} could not load it: ${error.message}`,
        file,
      );
    }
    const meta = readMeta(file, header);
    if (meta?.tags !== undefined && !await this.tags.valid(meta.tags)) return undefined;
    const entry: MemoryEntry = {
      value,
      expiresAt: header.expiresAt,
      own: header.own,
      staleUntil: header.staleUntil,
      meta,
      size: file.length,
      pending: false,
      fileName,
      touchedAt: now,
    };
    await this.budget?.noteUse(path, now, true);
    if (!load.superseded && this.memory.peek(located.memKey)?.pending !== true) {
      this.memory.set(located.memKey, entry);
    }
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
      if (await this.remover.removeJudged(path, seen, false)) {
        this.#removed(seen.length, "damaged");
      }
    } catch (error) {
      fileLogger.warn(
        "Could not remove damaged entry file {path}: {error}",
        () => ({ path, error }),
      );
    }
    return undefined;
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
  dumpEntry(
    fileName: string,
    value: unknown,
    expiresAt: number | null,
    own: boolean,
    extras?: EntryExtras,
  ): Uint8Array {
    return joined(this.dumpEntryParts(fileName, value, expiresAt, own, extras));
  }

  /**
   * {@linkcode dumpEntry} as the file's parts: the header (and metadata),
   * then the backend's payload as it returned it (not copied). A large
   * `Uint8Array` value is not encoded at all: its framing, then the value
   * itself (backends/_byte_values.ts).
   */
  dumpEntryParts(
    fileName: string,
    value: unknown,
    expiresAt: number | null,
    own: boolean,
    extras?: EntryExtras,
  ): [head: Uint8Array, ...payload: Uint8Array[]] {
    const bytes = byteValueParts(this.backend, value);
    if (bytes !== undefined) return encodeEntryParts(fileName, bytes, expiresAt, own, extras);
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
    return encodeEntryParts(fileName, dumped, expiresAt, own, extras);
  }

  /** Reads `set` options into the lifetime to use, whether the entry owns it, and its tags. */
  readSetOptions(
    options: SetOptions | undefined,
  ): { lifetime: number | null; own: boolean; tags?: string[] } {
    if (options === undefined) return { lifetime: this.#lifetime, own: false };
    if (typeof options !== "object" || options === null) {
      throw new TypeError("set options must be an object such as { lifetime: 1000 }");
    }
    for (const name of Object.keys(options)) {
      if (name !== "lifetime" && name !== "tags") {
        throw new TypeError(`Unknown set option "${name}": use lifetime or tags`);
      }
    }
    const tags = readTags(options.tags, "set");
    if (!("lifetime" in options)) return { lifetime: this.#lifetime, own: false, tags };
    return { lifetime: parseLifetime(options.lifetime, "set lifetime"), own: true, tags };
  }

  /**
   * Stores a value under a key: on disk and in memory, or — `deferred` —
   * pending in memory until a sync.
   */
  async set(
    key: unknown,
    value: unknown,
    options: SetOptions | undefined,
    deferred: boolean,
  ): Promise<MemoryEntry> {
    const { lifetime, own, tags } = this.readSetOptions(options);
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    const details = tags === undefined ? undefined : { tags };
    return await this.setLocated(located, key, value, deferred, lifetime, own, details);
  }

  /** As `set`, for a key already located, with the lifetime resolved. */
  async setLocated(
    located: Located,
    key: unknown,
    value: unknown,
    deferred: boolean,
    lifetime: number | null = this.#lifetime,
    own = false,
    details?: WriteDetails,
  ): Promise<MemoryEntry> {
    this.refuseIfReadOnly("set");
    // Whole milliseconds, as the header holds them: memory and file agree.
    const expiresAt = lifetime === null ? null : Math.ceil(Date.now() + lifetime);
    if (expiresAt !== null && expiresAt > MAX_EXPIRES_AT) {
      throw new RangeError(
        `A lifetime of ${lifetime} ms puts the expiry past the year 275760, the last date an ` +
          'entry can hold: use a shorter lifetime, or 0 / null for "never expires"',
      );
    }
    const fileName = this.fileName(located);
    const extra = await this.#extras(expiresAt, details);
    const parts = this.dumpEntryParts(fileName, value, expiresAt, own, extra);
    // A large payload is written after its header without a framed copy.
    const file = byteLength(parts) - parts[0].byteLength >= WRITE_PARTS_FROM
      ? parts
      : joined(parts);
    const entry: MemoryEntry = {
      value,
      expiresAt,
      own,
      staleUntil: extra?.staleUntil ?? null,
      meta: extra?.meta,
      size: byteLength(file),
      pending: deferred,
      fileName,
      key,
    };
    const memKey = located.memKey;
    this.#supersede(memKey);
    if (deferred) {
      entry.file = joined(file);
      this.memory.set(memKey, entry);
      return entry;
    }
    await this.serialize(memKey, async () => {
      this.#supersede(memKey);
      if (!this.#storageDown) {
        try {
          await this.writeEntry(fileName, file, usableUntil(entry), this.memory.peek(memKey)?.size);
        } catch (error) {
          if (!this.#tolerate(error)) throw error;
        }
      }
      this.memory.set(memKey, entry);
    });
    return entry;
  }

  /** The version-2 parts of an entry: its stale window's end and its metadata (tag generations read). */
  async #extras(
    expiresAt: number | null,
    details: WriteDetails | undefined,
  ): Promise<EntryExtras | undefined> {
    if (details === undefined) return undefined;
    const window = details.staleWindow ?? 0;
    const meta: EntryMeta = {};
    if (details.fn !== undefined) meta.fn = details.fn;
    if (details.version !== undefined) meta.version = details.version;
    if (details.tags !== undefined && details.tags.length > 0) {
      meta.tags = await this.tags.generations(details.tags);
    }
    const staleUntil = expiresAt !== null && window > 0 ? expiresAt + window : null;
    if (staleUntil === null && Object.keys(meta).length === 0) return undefined;
    return { staleUntil, meta: Object.keys(meta).length === 0 ? undefined : meta };
  }

  /**
   * Atomically writes an entry file into its shard, creating the directories
   * on first use. `dropAt` is when the entry is of no use to anyone (its
   * expiry, or the end of its stale window): stores that drop keys by
   * themselves (Redis) drop it then, `clockTolerance` later. In a layout-1
   * directory it then removes the entry's old file, which would otherwise
   * resurface once this one is deleted.
   */
  async writeEntry(
    fileName: string,
    file: FileBytes,
    dropAt: number | null,
    replaced?: number,
  ): Promise<void> {
    if (this.#compress !== undefined) file = await this.#compressed(fileName, file);
    const expiresAt = dropAt === null ? null : dropAt + this.clockTolerance;
    await this.directory.check();
    const path = this.entryPath(fileName);
    await this.directory.makeShard(fileName);
    const fs = this.fs as FileSystem & Partial<PartsWriter>;
    // Parts go to writeFileAtomicParts only where the adapter has it and its
    // writeFileAtomic is its class's own (not replaced on the instance).
    const write = () =>
      !(file instanceof Uint8Array) && typeof fs.writeFileAtomicParts === "function" &&
        !Object.hasOwn(fs, "writeFileAtomic")
        ? fs.writeFileAtomicParts(path, file, { expiresAt })
        : fs.writeFileAtomic(path, joined(file), { expiresAt });
    try {
      await write();
    } catch (error) {
      // Someone removed the directory meanwhile (a clear, by hand).
      if ((error as { code?: string })?.code !== "ENOENT") throw error;
      await this.directory.makeShard(fileName, true);
      await write();
    }
    await this.directory.writeLayoutFileIfNeeded();
    if (this.directory.legacy) {
      await this.#removeOwn(this.directory.paths(fileName, path)[1]);
    }
    this.stats.writes++;
    const length = byteLength(file);
    this.stats.bytesWritten += length;
    this.budget?.noteWrite(length, replaced);
  }

  /** The `compress` option: codec and the smallest payload compressed. */
  readonly #compress: { codec: "gzip" | "deflate"; minBytes: number } | undefined;

  /**
   * An entry file with its payload compressed (format version 3), or as it
   * is when the payload is under `minBytes` or compression does not pay (the
   * result would not be under 90% of the payload).
   */
  async #compressed(fileName: string, file: FileBytes): Promise<FileBytes> {
    const parts = splitEntry(file);
    if (parts === undefined) return file;
    const [head, payload] = parts;
    if (payload.byteLength < this.#compress!.minBytes || payload.byteLength === 0) return file;
    // A large payload is judged by its first 64 KiB first: random bytes and
    // media are skipped without compressing all of them.
    const sample = 64 * 1024;
    if (payload.byteLength >= 4 * sample) {
      const probe = await compressPayload(this.#compress!.codec, payload.subarray(0, sample));
      if (probe.byteLength >= sample * 0.9) return file;
    }
    const stored = await compressPayload(this.#compress!.codec, payload);
    if (stored.byteLength >= payload.byteLength * 0.9) return file;
    const compressedParts = [compressedHead(fileName, head, stored, this.#compress!.codec), stored];
    return stored.byteLength >= WRITE_PARTS_FROM ? compressedParts : joined(compressedParts);
  }

  /** Runs writes and deletes of one key one after another, so disk and memory agree on the last. */
  serialize<T>(memKey: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#writes.get(memKey);
    const next = previous === undefined ? task() : previous.then(task, task);
    const tail = next.catch(() => {});
    this.#writes.set(memKey, tail);
    tail.then(() => {
      if (this.#writes.get(memKey) === tail) this.#writes.delete(memKey);
    });
    return next;
  }

  /**
   * Removes a file of ours at `path` (its header is the library's), unless
   * it changed since its first bytes were read. Resolves whether it did.
   */
  async #removeOwn(path: string): Promise<{ removed: boolean; live: boolean }> {
    const prefix = await this.fs.readPrefix(path, MAX_HEADER_SIZE);
    if (prefix === null) return { removed: false, live: false };
    const header = parseHeader(prefix);
    if (isProblem(header) && !header.damaged) return { removed: false, live: false };
    const live = !isProblem(header) && !this.isExpired(header, Date.now());
    return { removed: await this.fs.removeIfUnchanged(path, prefix, { prefixOnly: true }), live };
  }

  /** Removes an entry's file in its shard, and its layout-1 file where one may exist. */
  async removeEntryFiles(fileName: string): Promise<{ removed: boolean; live: boolean }> {
    await this.directory.check();
    let removed = false;
    let live = false;
    for (const path of this.directory.paths(fileName, this.entryPath(fileName))) {
      const result = await this.#removeOwn(path);
      removed ||= result.removed;
      live ||= result.live && result.removed;
    }
    return { removed, live };
  }

  /** Removes a key from memory and storage; resolves whether a live entry was removed. */
  async delete(key: unknown): Promise<boolean> {
    this.refuseIfReadOnly("delete");
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    const memKey = located.memKey;
    this.#supersede(memKey);
    const fileName = this.fileName(located);
    return await this.serialize(memKey, async () => {
      this.#supersede(memKey);
      const held = this.memory.delete(memKey);
      const heldLive = held !== undefined && !this.isExpired(held, Date.now());
      const { removed, live } = await this.removeEntryFiles(fileName);
      const deleted = (heldLive && (removed || held.pending)) || live;
      if (deleted) this.stats.deletes++;
      if (removed) this.budget?.noteRemove(held?.size ?? 0);
      return deleted;
    });
  }

  /** Drops the in-memory copy of a key; a pending entry is written first, never lost. */
  async unload(key: unknown): Promise<void> {
    let located = this.locate(key);
    if (located instanceof Promise) located = await located;
    const memKey = located.memKey;
    this.#supersede(memKey);
    if (this.memory.peek(memKey)?.pending) {
      await this.serialize(memKey, () => this.writePending(memKey));
    }
    const held = this.memory.peek(memKey);
    if (held !== undefined && !held.pending) this.memory.delete(memKey);
  }

  /**
   * Writes a key's pending entry if it still is one (run inside
   * `serialize`). Resolves the bytes written, `0` when there was nothing to
   * write, or `-1` when the entry had expired and was dropped.
   */
  async writePending(memKey: string, now = Date.now()): Promise<number> {
    const entry = this.memory.peek(memKey);
    if (entry === undefined || !entry.pending || entry.file === undefined) return 0;
    if (this.isExpired(entry, now)) {
      this.memory.delete(memKey);
      // Nothing older may resurface in place of the expired value.
      await this.removeEntryFiles(entry.fileName!);
      return -1;
    }
    const file = entry.file;
    await this.writeEntry(entry.fileName!, file, usableUntil(entry));
    // A deferred set during the write keeps its own pending state.
    if (this.memory.peek(memKey) === entry) {
      entry.pending = false;
      entry.file = undefined;
    }
    return file.length;
  }
}
