/**
 * A storage adapter on Deno KV (`Deno.openKv()`): local SQLite in the Deno
 * CLI, distributed on Deno Deploy.
 *
 * @module
 */

import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./types.ts";
import {
  delay,
  isTemporaryName,
  matchesSeen,
  pathParts,
  randomHex16,
  sizeFits,
  toBytes,
} from "./_portable.ts";

/** A Deno KV key part, as {@linkcode DenoKvLike} uses them. */
export type DenoKvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;
/** A Deno KV key. */
export type DenoKvKey = readonly DenoKvKeyPart[];

/** What a Deno KV read returns (`Deno.KvEntryMaybe`). */
export interface DenoKvEntryMaybe {
  /** The key read. */
  readonly key: DenoKvKey;
  /** The value, or `null` when there is none. */
  readonly value: unknown;
  /** The version of the value, or `null` when there is none. */
  readonly versionstamp: string | null;
}

/** The part of a Deno KV atomic operation (`Deno.AtomicOperation`) the adapter uses. */
export interface DenoKvAtomicOperation {
  /** Fails the commit unless each key still has the given versionstamp (`null`: absent). */
  check(...checks: { key: DenoKvKey; versionstamp: string | null }[]): DenoKvAtomicOperation;
  /** Sets a key, optionally expiring after `expireIn` ms. */
  set(key: DenoKvKey, value: unknown, options?: { expireIn?: number }): DenoKvAtomicOperation;
  /** Deletes a key. */
  delete(key: DenoKvKey): DenoKvAtomicOperation;
  /** Commits: `ok` is `false` when a check failed. */
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/**
 * The part of `Deno.Kv` the adapter uses: a `Deno.Kv` from `Deno.openKv()`
 * has all of it (so does any implementation of the same API).
 */
export interface DenoKvLike {
  /** Reads one key. */
  get(key: DenoKvKey): Promise<DenoKvEntryMaybe>;
  /** Reads the keys of a prefix (from `start`), in key order. */
  list(
    selector: { prefix: DenoKvKey; start?: DenoKvKey },
    options?: { batchSize?: number; limit?: number },
  ): AsyncIterable<DenoKvEntryMaybe>;
  /** Starts an atomic operation. */
  atomic(): DenoKvAtomicOperation;
}

/** Options of {@linkcode DenoKvFileSystem}. */
export interface DenoKvFileSystemOptions {
  /**
   * The key prefix under which files are kept, so several applications can
   * share a database. Default: `["bucketcache"]`.
   */
  prefix?: DenoKvKey;
}

/** One file's record, under `[...prefix, "f", ...path parts]`. */
interface Manifest {
  /** Format of this record. */
  v: 1;
  /** The write that made it: its chunks are `[...prefix, "c", id, i]`. */
  id: string;
  size: number;
  mtimeMs: number;
  /** How many chunks hold the bytes; 0 when they are in `data`. */
  chunks: number;
  /** When the entry expires (ms since the epoch), or `null`. */
  expiresAt: number | null;
  /** The bytes of a small file, kept in the record itself. */
  data?: Uint8Array;
  /** A write still putting its chunks in place (listed as a temporary file). */
  pending?: boolean;
}

/** Deno KV's value limit is 64 KiB: chunks stay a little under it. */
const CHUNK_BYTES = 63 * 1024;
/** Files up to this size live in their record (one read). */
const INLINE_BYTES = 60 * 1024;
/** An atomic operation carries at most 800 KiB: this many chunks go in one. */
const CHUNKS_PER_OPERATION = 10;
/** Old chunks deleted in the commit itself, up to this many (1000 mutations at most). */
const DELETES_IN_COMMIT = 200;
/** Deletes per operation when chunks are removed afterwards. */
const DELETES_PER_OPERATION = 500;
/** How often a read retries when a write replaced the file under it. */
const READ_ATTEMPTS = 50;
/** How often a write, removal or touch retries when another one committed first. */
const COMMIT_ATTEMPTS = 1000;

/** How often a call that found the SQLite database locked (another process writing) is retried. */
const LOCKED_ATTEMPTS = 200;

/** Whether an error is SQLite's "database is locked" (another process holds the write lock). */
const isLocked = (error: unknown): boolean =>
  error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);

/** Runs `call`, again after a short pause while the database is locked by another process. */
async function unlocked<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isLocked(error) || attempt >= LOCKED_ATTEMPTS) throw error;
      await delay(Math.min(100, 2 ** Math.min(attempt, 7)) * (0.5 + Math.random()));
    }
  }
}

/** Whether two keys are the same. */
const sameKey = (a: DenoKvKey, b: DenoKvKey): boolean =>
  a.length === b.length && a.every((part, i) => {
    const other = b[i];
    if (part instanceof Uint8Array && other instanceof Uint8Array) {
      return part.length === other.length && part.every((byte, j) => byte === other[j]);
    }
    return part === other;
  });

const isManifest = (value: unknown): value is Manifest =>
  typeof value === "object" && value !== null && (value as Manifest).v === 1 &&
  typeof (value as Manifest).id === "string" && typeof (value as Manifest).size === "number";

/** Milliseconds until `expiresAt`, for `expireIn` (at least 1); `undefined` for no expiry. */
const expireIn = (expiresAt: number | null): { expireIn: number } | undefined =>
  expiresAt === null ? undefined : { expireIn: Math.max(1, Math.ceil(expiresAt - Date.now())) };

/**
 * A {@linkcode FileSystem} on Deno KV: a `Deno.Kv` from `Deno.openKv()`,
 * local SQLite in the Deno CLI, a distributed database on Deno Deploy.
 *
 * - **One record per file** under `[...prefix, "f", ...path parts]`
 *   (`/cache/ab/x.sclone` is `["bucketcache", "f", "cache", "ab", "x.sclone"]`),
 *   holding the size, modification time, expiry and, for files up to 60 KiB,
 *   the bytes. Larger files are split into chunks of 63 KiB (Deno KV takes
 *   values up to 64 KiB) under `[...prefix, "c", writeId, i]`, named by the
 *   write that made them, so two writes never share a chunk.
 * - **Atomic replace**: a file of up to 630 KiB is written — chunks, record,
 *   and the removal of the previous chunks — in one atomic operation, checked
 *   against the versionstamp of the record it replaces (a concurrent write
 *   makes it retry). A larger one (an atomic operation carries at most
 *   800 KiB) first puts its chunks in place under a pending record, listed as
 *   a temporary file `.<name>.<write id>.tmp`, then commits the record in
 *   one checked operation; its chunks are invisible until then. Readers read
 *   the record, then the chunks of its write id; if those are gone (a newer
 *   write removed them), they read the record again: they see the old or the
 *   new file, never a mix.
 * - **Expiry**: entries with an expiry get `expireIn` on their record and
 *   chunks, so Deno KV deletes them by itself (eventually: a read may still
 *   see an expired record for a while, and the bucket's own expiry check
 *   rules either way).
 * - **removeIfUnchanged** compares the bytes and deletes in an atomic
 *   operation checked against the record's versionstamp: race-free against
 *   writers in any process or isolate. `touch` rewrites the record's time
 *   the same way, and `createExclusive` commits checked against the key
 *   being absent (memoize's `lock` then holds across processes).
 * - **Listing** is a prefix scan of the records (a non-recursive one skips
 *   over subdirectories); paths are keys (`capabilities.directories` is
 *   `false`): `mkdir` does nothing and writes need no parent.
 * - Chunks left by an interrupted write are removed when pruning removes its
 *   temporary file; chunks a replace or removal retired are swept by any
 *   listing that includes temporary files (as pruning does).
 * - Keys are limited to 2 KiB by Deno KV: a longer path is its `TypeError`.
 *
 * In the Deno CLI, `Deno.openKv` is still unstable in Deno 2.9: run with
 * `--unstable-kv` (or `"unstable": ["kv"]` in deno.json). Deno Deploy has it.
 *
 * @example A bucket on Deno KV
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import { DenoKvFileSystem, type DenoKvLike } from "@bucketcache/bucketcache/deno-kv";
 * import assert from "node:assert/strict";
 *
 * // Deno.openKv needs --unstable-kv in the Deno CLI; without it this does nothing.
 * type OpenKv = (path?: string) => Promise<DenoKvLike & { close(): void }>;
 * const openKv = (Deno as unknown as { openKv?: OpenKv }).openKv;
 * if (openKv !== undefined) {
 *   const kv = await openKv(":memory:");
 *   const bucket = new Bucket("/reports", { fs: new DenoKvFileSystem(kv), hours: 1 });
 *   await bucket.set("report", { rows: 3 });
 *   assert.deepEqual(await new Bucket("/reports", { fs: new DenoKvFileSystem(kv) }).get("report"), {
 *     rows: 3,
 *   });
 *   kv.close();
 * }
 * ```
 */
export class DenoKvFileSystem implements FileSystem {
  /** `"deno-kv"`. */
  readonly name: string = "deno-kv";
  /** `{ directories: false }`: paths are keys. */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: false });
  /** The key prefix. */
  readonly prefix: DenoKvKey;
  readonly #kv: DenoKvLike;

  /**
   * Creates the adapter over an open database.
   *
   * @param kv a `Deno.Kv` (from `Deno.openKv()`), or anything with its API
   * @param options `{ prefix }`
   * @throws {TypeError} for something that is not a Deno KV database, or bad options
   */
  constructor(kv: DenoKvLike, options?: DenoKvFileSystemOptions) {
    const candidate = kv as Partial<DenoKvLike> | null;
    if (
      typeof candidate?.get !== "function" || typeof candidate?.list !== "function" ||
      typeof candidate?.atomic !== "function"
    ) {
      throw new TypeError(
        "DenoKvFileSystem needs an open Deno KV database, such as `await Deno.openKv()` " +
          "(in the Deno CLI run with --unstable-kv)",
      );
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== "prefix") {
        throw new TypeError(`Unknown DenoKvFileSystem option "${key}": the only option is prefix`);
      }
    }
    const prefix = options?.prefix ?? ["bucketcache"];
    if (!Array.isArray(prefix)) {
      throw new TypeError(
        `prefix must be a Deno KV key (an array such as ["myapp", "cache"]), got ${typeof prefix}`,
      );
    }
    this.#kv = kv;
    this.prefix = Object.freeze([...prefix]);
  }

  #fileKey(path: string): DenoKvKey {
    return [...this.prefix, "f", ...pathParts(path, "DenoKvFileSystem")];
  }

  #chunkKey(id: string, index: number): DenoKvKey {
    return [...this.prefix, "c", id, index];
  }

  #garbageKey(id: string): DenoKvKey {
    return [...this.prefix, "g", id];
  }

  /**
   * Lists a prefix (from `start`); when another process holds the database
   * locked, it waits and goes on after the last key it yielded.
   */
  async *#scan(
    selector: { prefix: DenoKvKey; start?: DenoKvKey },
    options?: { batchSize?: number; limit?: number },
  ): AsyncGenerator<DenoKvEntryMaybe> {
    let last: DenoKvKey | undefined;
    for (let attempt = 1;; attempt++) {
      try {
        const from = last === undefined ? selector : { prefix: selector.prefix, start: last };
        const limit = last === undefined ? options : { batchSize: options?.batchSize };
        for await (const entry of this.#kv.list(from, limit)) {
          if (last !== undefined && sameKey(entry.key, last)) continue;
          last = entry.key;
          yield entry;
        }
        return;
      } catch (error) {
        if (!isLocked(error) || attempt >= LOCKED_ATTEMPTS) throw error;
        await delay(Math.min(100, 2 ** Math.min(attempt, 7)));
      }
    }
  }

  async #manifest(key: DenoKvKey): Promise<{ manifest: Manifest; versionstamp: string } | null> {
    const entry = await unlocked(() => this.#kv.get(key));
    if (entry.versionstamp === null || !isManifest(entry.value)) return null;
    return { manifest: entry.value, versionstamp: entry.versionstamp };
  }

  /**
   * The first `length` bytes (all without `length`) of the file a record
   * describes; `null` when its chunks are gone (a newer write or a removal
   * retired them, or they expired).
   */
  async #bytes(manifest: Manifest, length = manifest.size): Promise<Uint8Array | null> {
    const wanted = Math.max(0, Math.min(length, manifest.size));
    if (manifest.chunks === 0) {
      const data = manifest.data === undefined ? new Uint8Array() : toBytes(manifest.data);
      return data.byteLength === manifest.size ? data.subarray(0, wanted) : null;
    }
    const count = Math.min(manifest.chunks, Math.ceil(wanted / CHUNK_BYTES));
    const out = new Uint8Array(wanted);
    let at = 0;
    let index = 0;
    if (count > 0) {
      const chunks = this.#scan(
        { prefix: [...this.prefix, "c", manifest.id] },
        { limit: count, batchSize: Math.min(count, 200) },
      );
      for await (const entry of chunks) {
        if (index === count) break;
        if (entry.key[entry.key.length - 1] !== index || !(entry.value instanceof Uint8Array)) {
          return null;
        }
        const chunk = entry.value.subarray(0, wanted - at);
        out.set(chunk, at);
        at += chunk.byteLength;
        index++;
      }
    }
    return index === count && at === wanted ? out : null;
  }

  /** Reads a file (its first `length` bytes), retrying when a write replaced it meanwhile. */
  async #read(path: string, length?: number): Promise<Uint8Array | null> {
    const key = this.#fileKey(path);
    let previous: string | undefined;
    for (let attempt = 1;; attempt++) {
      const found = await this.#manifest(key);
      if (found === null) return null;
      const bytes = await this.#bytes(found.manifest, length);
      if (bytes !== null) return bytes;
      if (found.manifest.pending) return null;
      const { expiresAt } = found.manifest;
      if (found.versionstamp === previous || attempt >= READ_ATTEMPTS) {
        // The record stayed while its chunks went: only an expiry does that.
        if (expiresAt !== null && expiresAt <= Date.now() + 1000) return null;
        throw new Error(
          `DenoKvFileSystem: the chunks of ${path} (write ${found.manifest.id}) are missing; ` +
            `the record is kept, remove the file to recover`,
        );
      }
      previous = found.versionstamp;
    }
  }

  /** Reads a whole file; `null` when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null> {
    return this.#read(path);
  }

  /** Reads at most `length` bytes from the start of a file; `null` when it does not exist. */
  readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    return this.#read(path, length);
  }

  /**
   * Deletes retired chunks in the same operation when they are few (`true`),
   * otherwise records them under a garbage key for {@linkcode #sweep}.
   */
  #retire(operation: DenoKvAtomicOperation, old: Manifest | undefined): boolean {
    if (old === undefined || old.chunks === 0) return true;
    if (old.chunks <= DELETES_IN_COMMIT) {
      for (let i = 0; i < old.chunks; i++) operation.delete(this.#chunkKey(old.id, i));
      return true;
    }
    operation.set(this.#garbageKey(old.id), { chunks: old.chunks });
    return false;
  }

  /** Deletes the chunks of write `id` (`count` of them), then its garbage record. */
  async #deleteChunks(id: string, count: number): Promise<void> {
    for (let from = 0; from < count; from += DELETES_PER_OPERATION) {
      const operation = this.#kv.atomic();
      for (let i = from; i < Math.min(count, from + DELETES_PER_OPERATION); i++) {
        operation.delete(this.#chunkKey(id, i));
      }
      await unlocked(() => operation.commit());
    }
    const done = this.#kv.atomic().delete(this.#garbageKey(id));
    await unlocked(() => done.commit());
  }

  /** Deletes what every garbage record names (chunks a replace or removal retired). */
  async #sweep(): Promise<void> {
    const found: [string, number][] = [];
    for await (const entry of this.#scan({ prefix: [...this.prefix, "g"] })) {
      const id = entry.key[entry.key.length - 1];
      const chunks = (entry.value as { chunks?: unknown } | null)?.chunks;
      if (typeof id === "string" && typeof chunks === "number") found.push([id, chunks]);
    }
    for (const [id, chunks] of found) await this.#deleteChunks(id, chunks);
  }

  /** Commits `build`'s operation, checked against the record of `key`, until it holds. */
  async #commitChecked(
    key: DenoKvKey,
    build: (
      current: { manifest: Manifest; versionstamp: string } | null,
    ) => Promise<{ operation: DenoKvAtomicOperation; after?: () => Promise<void> } | null>,
  ): Promise<boolean> {
    for (let attempt = 1;; attempt++) {
      const current = await this.#manifest(key);
      const built = await build(current);
      if (built === null) return false;
      const operation = built.operation.check({ key, versionstamp: current?.versionstamp ?? null });
      const { ok } = await unlocked(() => operation.commit());
      if (ok) {
        await built.after?.();
        return true;
      }
      if (attempt >= COMMIT_ATTEMPTS) {
        throw new Error(`DenoKvFileSystem: ${COMMIT_ATTEMPTS} conflicting writes in a row`);
      }
      if (attempt > 10) await delay(Math.min(50, attempt));
    }
  }

  /**
   * Replaces a file as one step (see the class notes): readers see the old
   * or the new file. With `expiresAt` the record and chunks get `expireIn`.
   * `fsync` is Deno KV's own (commits are durable).
   */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    await this.#write(path, data, options, false);
  }

  /**
   * Creates a file holding `data` only if nothing is at `path`: the same
   * write, committed in an operation checked against the key being absent,
   * so of several creators in any process exactly one resolves `true`.
   */
  createExclusive(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<boolean> {
    return this.#write(path, data, options, true);
  }

  /** Writes a file; with `exclusive`, only if there is none (`false` then). */
  async #write(
    path: string,
    data: Uint8Array,
    options: AtomicWriteOptions | undefined,
    exclusive: boolean,
  ): Promise<boolean> {
    const key = this.#fileKey(path);
    const expiresAt = options?.expiresAt ?? null;
    const id = randomHex16();
    const bytes = data.slice();
    const chunks = bytes.byteLength <= INLINE_BYTES ? 0 : Math.ceil(bytes.byteLength / CHUNK_BYTES);
    const manifest: Manifest = {
      v: 1,
      id,
      size: bytes.byteLength,
      mtimeMs: Date.now(),
      chunks,
      expiresAt,
      ...(chunks === 0 ? { data: bytes } : {}),
    };
    const chunk = (i: number) => bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    const expiry = expireIn(expiresAt);

    // A large file: chunks first, under a pending record listed as a temporary file.
    let pending: { key: DenoKvKey; versionstamp: string } | undefined;
    if (chunks > CHUNKS_PER_OPERATION) {
      const name = key[key.length - 1] as string;
      const pendingKey = [...key.slice(0, -1), `.${name}.${id}.tmp`];
      for (let from = 0; from < chunks; from += CHUNKS_PER_OPERATION) {
        const operation = this.#kv.atomic();
        for (let i = from; i < Math.min(chunks, from + CHUNKS_PER_OPERATION); i++) {
          operation.set(this.#chunkKey(id, i), chunk(i), expiry);
        }
        if (from === 0) {
          operation.check({ key: pendingKey, versionstamp: null });
          operation.set(pendingKey, { ...manifest, pending: true }, expiry);
        } else {
          operation.check(pending!);
        }
        const result = await unlocked(() => operation.commit());
        if (!result.ok) {
          throw new Error(
            `DenoKvFileSystem: the pending write of ${path} was removed while it was being written`,
          );
        }
        if (from === 0) pending = { key: pendingKey, versionstamp: result.versionstamp! };
      }
    }

    let retired: Manifest | undefined;
    let written: boolean;
    try {
      written = await this.#commitChecked(key, (current) => {
        if (exclusive && current !== null) return Promise.resolve(null);
        const operation = this.#kv.atomic();
        if (pending !== undefined) {
          operation.check(pending).delete(pending.key);
        } else {
          for (let i = 0; i < chunks; i++) operation.set(this.#chunkKey(id, i), chunk(i), expiry);
        }
        operation.set(key, manifest, expiry);
        const old = current?.manifest;
        retired = this.#retire(operation, old) ? undefined : old;
        return Promise.resolve({ operation });
      });
    } catch (error) {
      await this.#dropPending(pending, id, chunks);
      throw error;
    }
    if (!written) await this.#dropPending(pending, id, chunks);
    if (retired !== undefined) await this.#deleteChunks(retired.id, retired.chunks);
    return written;
  }

  /** Removes a staged write that did not commit: its pending record and chunks. */
  async #dropPending(
    pending: { key: DenoKvKey } | undefined,
    id: string,
    chunks: number,
  ): Promise<void> {
    if (pending === undefined) return;
    const cleanUp = this.#kv.atomic().delete(pending.key);
    await unlocked(() => cleanUp.commit()).catch(() => {});
    await this.#deleteChunks(id, chunks).catch(() => {});
  }

  /** Removes a file (and its chunks); `false` when it did not exist. */
  remove(path: string): Promise<boolean> {
    return this.#removeWhen(path, () => Promise.resolve(true));
  }

  /**
   * Removes the record of `path` (and its chunks) when `judge` says so,
   * in an operation checked against the versionstamp `judge` saw.
   */
  async #removeWhen(
    path: string,
    judge: (manifest: Manifest) => Promise<boolean>,
  ): Promise<boolean> {
    const key = this.#fileKey(path);
    let retired: Manifest | undefined;
    const removed = await this.#commitChecked(key, async (current) => {
      if (current === null || !await judge(current.manifest)) return null;
      const operation = this.#kv.atomic().delete(key);
      retired = this.#retire(operation, current.manifest) ? undefined : current.manifest;
      return { operation };
    });
    if (retired !== undefined) await this.#deleteChunks(retired.id, retired.chunks);
    return removed;
  }

  /**
   * Removes a file only if it holds exactly `seen` (with `prefixOnly`,
   * starts with it): the comparison and the deletion are one atomic
   * operation checked against the record's versionstamp, so a value written
   * after the comparison, by any process, is never removed.
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    const prefixOnly = options?.prefixOnly === true;
    return this.#removeWhen(path, async (manifest) => {
      if (manifest.pending || !sizeFits(manifest.size, seen.byteLength, prefixOnly)) return false;
      const content = await this.#bytes(manifest, seen.byteLength);
      // Chunks gone: the record changed under us, and the check will fail.
      return content !== null && matchesSeen(content, seen, true);
    });
  }

  /**
   * Lists the files directly in `dir` (with `recursive`, at every depth, as
   * relative paths), in key order. A listing with `includeTemporary` also
   * deletes the chunks that replaces and removals retired.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    const base = [...this.prefix, "f", ...pathParts(dir, "DenoKvFileSystem")];
    const recursive = options?.recursive === true;
    const includeTemporary = options?.includeTemporary === true;
    let start: DenoKvKey | undefined;
    scan: for (;;) {
      const selector = start === undefined ? { prefix: base } : { prefix: base, start };
      for await (const entry of this.#scan(selector, { batchSize: 500 })) {
        const parts = entry.key.slice(base.length);
        if (parts.length === 0 || parts.some((part) => typeof part !== "string")) continue;
        const rest = parts as string[];
        if (!recursive && rest.length > 1) {
          // Skip the subdirectory: past every key starting with [...base, rest[0]].
          start = [...base, `${rest[0]}\u0000`];
          continue scan;
        }
        const name = rest.join("/");
        if (!includeTemporary && isTemporaryName(name)) continue;
        yield name;
      }
      break;
    }
    if (includeTemporary) await this.#sweep();
  }

  /** Size and modification time; `null` when the file does not exist. */
  async stat(path: string): Promise<FileStat | null> {
    const found = await this.#manifest(this.#fileKey(path));
    return found === null ? null : { size: found.manifest.size, mtimeMs: found.manifest.mtimeMs };
  }

  /** Paths are keys in Deno KV: nothing to create. */
  mkdir(_path: string): Promise<void> {
    return Promise.resolve();
  }

  /** Sets a file's modification time (in its record); `false` when it does not exist. */
  touch(path: string, mtimeMs: number): Promise<boolean> {
    const key = this.#fileKey(path);
    return this.#commitChecked(key, (current) => {
      if (current === null) return Promise.resolve(null);
      const manifest = { ...current.manifest, mtimeMs };
      const operation = this.#kv.atomic().set(key, manifest, expireIn(manifest.expiresAt));
      return Promise.resolve({ operation });
    });
  }
}
