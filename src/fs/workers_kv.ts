/**
 * A storage adapter on a Cloudflare Workers KV namespace binding, for
 * buckets in Workers: `new Bucket("/cache", { fs: new WorkersKVFileSystem(env.CACHE) })`.
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
  KeyedQueue,
  matchesSeen,
  pathParts,
  randomHex16,
  sizeFits,
} from "./_portable.ts";

/** One key of a {@linkcode WorkersKVNamespace} listing. */
export interface WorkersKVListKey {
  /** The key. */
  name: string;
  /** When it expires, in seconds since the epoch. */
  expiration?: number;
  /** Its metadata. */
  metadata?: unknown;
}

/**
 * The part of a Workers KV namespace binding (`KVNamespace`) the adapter
 * uses; the binding a Worker gets in `env` has all of it.
 */
export interface WorkersKVNamespace {
  /** Reads a value as a stream; `null` when the key does not exist. */
  get(key: string, options: { type: "stream" }): Promise<ReadableStream<Uint8Array> | null>;
  /** Reads a value with its metadata. */
  getWithMetadata(
    key: string,
    options: { type: "stream" },
  ): Promise<{ value: ReadableStream<Uint8Array> | null; metadata: unknown }>;
  /** Writes a value (replacing the old one as a whole). */
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: { expiration?: number; metadata?: unknown },
  ): Promise<void>;
  /** Deletes a key (a missing one is fine). */
  delete(key: string): Promise<void>;
  /** Lists keys by prefix, a page at a time (`cursor` for the next). */
  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<{
    keys: WorkersKVListKey[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** Options of {@linkcode WorkersKVFileSystem}. */
export interface WorkersKVFileSystemOptions {
  /**
   * Prepended to every path to make the KV key (`"myapp:"` stores
   * `/cache/ab/ab12….sclone` under `myapp:/cache/ab/ab12….sclone`), so
   * several applications can share a namespace. It must not contain `/`.
   * Default: `"bucketcache:"`.
   */
  prefix?: string;
  /**
   * How often a write that KV refused for its rate limit (one write per
   * second per key: `429 Too Many Requests`) is tried again. Default: 2.
   */
  retries?: number;
  /** The pause before the first retry, doubled for each next one, in ms. Default: 1000. */
  retryDelayMs?: number;
}

/** Workers KV's largest value. */
export const WORKERS_KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
/** Workers KV's longest key, in UTF-8 bytes. */
export const WORKERS_KV_MAX_KEY_BYTES = 512;
/** Workers KV's shortest expiry: 60 seconds from now. */
export const WORKERS_KV_MIN_TTL_SECONDS = 60;

/**
 * The turns writes and removals of a key take in this isolate, shared by
 * every adapter in it (a Worker often makes one per request).
 */
const isolateQueue = new KeyedQueue();

/** Added to KV's minimum expiry, for clocks of the Worker and KV that differ a little. */
const TTL_MARGIN_SECONDS = 2;
/** Keys per list page (KV's maximum). */
const LIST_PAGE = 1000;
/** The recency sidecar of a file's key: `//` never occurs in a file's key. */
const SIDECAR_SUFFIX = "//mtime";

/** The metadata stored with each file. */
interface FileMetadata {
  /** Size in bytes. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** The write that stored the value (16 hex), which a touch sidecar names. */
  write: string;
  /** The KV expiration of the value (seconds since the epoch), for the sidecar's. */
  expiration?: number;
}

const isFileMetadata = (value: unknown): value is FileMetadata =>
  typeof value === "object" && value !== null &&
  typeof (value as FileMetadata).size === "number" &&
  typeof (value as FileMetadata).mtimeMs === "number" &&
  typeof (value as FileMetadata).write === "string";

const encoder = new TextEncoder();

/**
 * A KV `expiration` (seconds since the epoch) no earlier than KV accepts:
 * 60 s from now, plus a margin for clocks that differ a little.
 */
const kvExpiration = (seconds: number): number =>
  Math.max(
    seconds,
    Math.floor(Date.now() / 1000) + WORKERS_KV_MIN_TTL_SECONDS + TTL_MARGIN_SECONDS,
  );

/** Whether an error is KV's rate limit (one write per second per key). */
const isRateLimited = (error: unknown): boolean =>
  /\b429\b|too many requests/i.test(String((error as Error | null)?.message ?? error));

/** Reads at most `length` bytes of a stream (all without `length`), then lets it go. */
async function readStream(
  stream: ReadableStream<Uint8Array>,
  length = Infinity,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < length) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.byteLength;
    }
  } finally {
    if (total >= length) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const out = new Uint8Array(Math.min(total, length));
  let at = 0;
  for (const part of parts) {
    const piece = part.subarray(0, out.byteLength - at);
    out.set(piece, at);
    at += piece.byteLength;
    if (at === out.byteLength) break;
  }
  return out;
}

/**
 * A {@linkcode FileSystem} on a Cloudflare Workers KV namespace: give it the
 * binding of your Worker (`env.CACHE`), and buckets in every isolate and
 * location share entries.
 *
 * - **One KV key per file**, `prefix + path`, with metadata `{ size,
 *   mtimeMs, write }` for `stat` and budgets. A write is one `put`: KV
 *   replaces a value as a whole, so a reader gets the old or the new value.
 * - **Expiry**: an entry with an expiry (`expiresAt`) gets KV's own
 *   `expiration`, rounded up to whole seconds and to KV's minimum of 60 s
 *   from now (plus 2 s for clock differences): KV deletes it by itself a
 *   little after the bucket already reads it as expired.
 * - **Listing** is KV's `list` by prefix, page by page with the cursor.
 *   Paths are keys (`capabilities.directories` is `false`): `mkdir` does
 *   nothing and writes need no parent.
 * - **touch** writes the time to a small sidecar key (`<key>//mtime`, which
 *   names the write it belongs to and expires with it) instead of rewriting
 *   the value, so it never races a writer of the value nor uses up its
 *   write rate; `stat` reads both.
 * - **removeIfUnchanged** cannot be atomic: KV has no compare-and-delete.
 *   It reads, compares, reads the metadata again and deletes when the value
 *   is still the one compared. Within one isolate, writes and removals of a
 *   key take turns, so there it is race-free; across isolates and locations
 *   a write landing between the last read and the delete is lost (the bucket
 *   then computes or fetches that value again: a miss, never a wrong value).
 * - **KV's limits** are checked before anything is sent: values up to
 *   25 MiB, keys up to 512 bytes (a `RangeError` otherwise). A write refused
 *   for KV's rate limit of one write per second per key is retried
 *   (`retries`, `retryDelayMs`).
 * - **Consistency** is KV's: eventual. A write is visible at once in the
 *   location that made it and usually within 60 s elsewhere; reads
 *   (including of a missing key) and listings may be that stale. Concurrent
 *   writes of one key: the last one wins.
 *
 * @example A memoised call in a Worker
 * ```ts
 * import { Bucket } from "@bucketcache/bucketcache";
 * import { WorkersKVFileSystem, type WorkersKVNamespace } from "@bucketcache/bucketcache/workers-kv";
 *
 * // The Worker's fetch handler, with a KV namespace bound as CACHE (kv_namespaces in
 * // wrangler.toml); the module exports it: `export default { fetch }`.
 * async function fetch(request: Request, env: { CACHE: WorkersKVNamespace }): Promise<Response> {
 *   const bucket = new Bucket("/pages", { fs: new WorkersKVFileSystem(env.CACHE), hours: 1 });
 *   const render = bucket.memoize(async (path: string) => `<h1>${path}</h1>`, { name: "render" });
 *   return new Response(await render(new URL(request.url).pathname));
 * }
 * void fetch; // runs in Workers only
 * ```
 */
export class WorkersKVFileSystem implements FileSystem {
  /** `"workers-kv"`. */
  readonly name: string = "workers-kv";
  /** `{ directories: false }`: paths are keys. */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: false });
  /** The key prefix. */
  readonly prefix: string;
  readonly #kv: WorkersKVNamespace;
  readonly #retries: number;
  readonly #retryDelayMs: number;

  /**
   * Creates the adapter over a KV namespace binding.
   *
   * @param namespace the binding (`env.MY_KV`), or anything with its API
   * @param options `{ prefix, retries, retryDelayMs }`
   * @throws {TypeError} for something that is not a KV namespace, unknown
   *   options or a prefix containing `/`
   */
  constructor(namespace: WorkersKVNamespace, options?: WorkersKVFileSystemOptions) {
    const candidate = namespace as Partial<WorkersKVNamespace> | null;
    for (const method of ["get", "getWithMetadata", "put", "delete", "list"] as const) {
      if (typeof candidate?.[method] !== "function") {
        throw new TypeError(
          "WorkersKVFileSystem needs a Workers KV namespace binding, such as env.CACHE " +
            "(kv_namespaces in wrangler.toml)",
        );
      }
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== "prefix" && key !== "retries" && key !== "retryDelayMs") {
        throw new TypeError(
          `Unknown WorkersKVFileSystem option "${key}": use prefix, retries or retryDelayMs`,
        );
      }
    }
    const prefix = options?.prefix ?? "bucketcache:";
    if (typeof prefix !== "string" || prefix.includes("/")) {
      throw new TypeError(
        `prefix must be a string without "/" (a key is split into prefix and path at its ` +
          `first "/"), got ${JSON.stringify(prefix)}`,
      );
    }
    const retries = options?.retries ?? 2;
    const retryDelayMs = options?.retryDelayMs ?? 1000;
    if (!Number.isInteger(retries) || retries < 0) {
      throw new RangeError(`retries must be a whole number ≥ 0, got ${retries}`);
    }
    if (typeof retryDelayMs !== "number" || !(retryDelayMs >= 0)) {
      throw new RangeError(`retryDelayMs must be a number ≥ 0, got ${retryDelayMs}`);
    }
    this.#kv = namespace;
    this.prefix = prefix;
    this.#retries = retries;
    this.#retryDelayMs = retryDelayMs;
  }

  /** The KV key of a path (normalised: `"/a//b/"` is `"/a/b"`). */
  #key(path: string): string {
    return `${this.prefix}/${pathParts(path, "WorkersKVFileSystem").join("/")}`;
  }

  /** The key of a file to write, checked against KV's key limit (with its sidecar). */
  #writableKey(path: string): string {
    const key = this.#key(path);
    const bytes = encoder.encode(key + SIDECAR_SUFFIX).byteLength;
    if (bytes > WORKERS_KV_MAX_KEY_BYTES) {
      throw new RangeError(
        `Cannot store ${path} in Workers KV: its key would be ${bytes} bytes, over KV's limit of ` +
          `${WORKERS_KV_MAX_KEY_BYTES}; use a shorter prefix or path`,
      );
    }
    return key;
  }

  /** Runs a write, again after KV's rate limit refused it (429). */
  async #withRetries(write: () => Promise<void>): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isRateLimited(error) || attempt >= this.#retries) throw error;
        await delay(this.#retryDelayMs * 2 ** attempt);
      }
    }
  }

  /** Reads a whole file; `null` when it does not exist. */
  async readFile(path: string): Promise<Uint8Array | null> {
    const stream = await this.#kv.get(this.#key(path), { type: "stream" });
    return stream === null ? null : await readStream(stream);
  }

  /** Reads at most `length` bytes from the start of a file (the rest is not fetched). */
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    const stream = await this.#kv.get(this.#key(path), { type: "stream" });
    if (stream === null) return null;
    if (length <= 0) {
      await stream.cancel().catch(() => {});
      return new Uint8Array();
    }
    return await readStream(stream, length);
  }

  /** The metadata of a file without its value; `null` when missing. */
  async #metadata(key: string): Promise<FileMetadata | null> {
    const { value, metadata } = await this.#kv.getWithMetadata(key, { type: "stream" });
    if (value === null) return null;
    if (isFileMetadata(metadata)) {
      await value.cancel().catch(() => {});
      return metadata;
    }
    // Written by something else: measure it.
    const size = (await readStream(value)).byteLength;
    return { size, mtimeMs: 0, write: "" };
  }

  /**
   * Replaces a file with one `put`, with `{ size, mtimeMs, write }` as
   * metadata and, for `expiresAt`, KV's `expiration` (at least 60 s from
   * now, KV's minimum). `fsync` is ignored (a `put` is KV's to keep).
   *
   * @throws {RangeError} for a value over 25 MiB or a key over 512 bytes,
   *   before anything is sent
   */
  writeFileAtomic(path: string, data: Uint8Array, options?: AtomicWriteOptions): Promise<void> {
    let key: string;
    try {
      key = this.#writableKey(path);
      if (data.byteLength > WORKERS_KV_MAX_VALUE_BYTES) {
        throw new RangeError(
          `Cannot write ${path}: the value of ${data.byteLength} bytes is too large for ` +
            `Workers KV, whose limit is ${WORKERS_KV_MAX_VALUE_BYTES} bytes (25 MiB); store ` +
            `smaller values`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const expiresAt = options?.expiresAt;
    return isolateQueue.run(key, () =>
      this.#withRetries(() => {
        const expiration = expiresAt === undefined || expiresAt === null
          ? undefined
          : kvExpiration(Math.ceil(expiresAt / 1000));
        const metadata: FileMetadata = {
          size: data.byteLength,
          mtimeMs: Date.now(),
          write: randomHex16(),
          ...(expiration === undefined ? {} : { expiration }),
        };
        return this.#kv.put(
          key,
          data,
          expiration === undefined ? { metadata } : { metadata, expiration },
        );
      }));
  }

  /** Removes a file (and its touch sidecar); `false` when it did not exist. */
  remove(path: string): Promise<boolean> {
    let key: string;
    try {
      key = this.#key(path);
    } catch (error) {
      return Promise.reject(error);
    }
    return isolateQueue.run(key, async () => {
      if (await this.#metadata(key) === null) return false;
      await this.#kv.delete(key);
      await this.#kv.delete(key + SIDECAR_SUFFIX);
      return true;
    });
  }

  /**
   * Removes a file only if it holds exactly `seen` (with `prefixOnly`,
   * starts with it). Best effort across isolates (KV has no
   * compare-and-delete): read, compare, check the write is still the one
   * compared, delete. Race-free within this isolate.
   */
  removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    let key: string;
    try {
      key = this.#key(path);
    } catch (error) {
      return Promise.reject(error);
    }
    const prefixOnly = options?.prefixOnly === true;
    return isolateQueue.run(key, async () => {
      const { value, metadata } = await this.#kv.getWithMetadata(key, { type: "stream" });
      if (value === null) return false;
      const judged = isFileMetadata(metadata) ? metadata : undefined;
      if (judged !== undefined && !sizeFits(judged.size, seen.byteLength, prefixOnly)) {
        await value.cancel().catch(() => {});
        return false;
      }
      const content = await readStream(value, prefixOnly ? seen.byteLength : Infinity);
      if (judged === undefined && !prefixOnly && content.byteLength !== seen.byteLength) {
        return false;
      }
      if (!matchesSeen(content, seen, true)) return false;
      if (judged !== undefined && (await this.#metadata(key))?.write !== judged.write) {
        return false; // replaced meanwhile (by another isolate)
      }
      await this.#kv.delete(key);
      await this.#kv.delete(key + SIDECAR_SUFFIX);
      return true;
    });
  }

  /**
   * Lists the files directly in `dir` (with `recursive`, at every depth, as
   * relative paths), with KV's `list` by prefix and its cursor. KV's listing
   * is eventually consistent: a key written or deleted in the last minute
   * may be missing or still listed.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    const key = this.#key(dir);
    const base = key.endsWith("/") ? key : `${key}/`;
    const recursive = options?.recursive === true;
    const hideTemporary = !options?.includeTemporary;
    let cursor: string | undefined;
    do {
      const page = await this.#kv.list(
        cursor === undefined
          ? { prefix: base, limit: LIST_PAGE }
          : { prefix: base, limit: LIST_PAGE, cursor },
      );
      for (const { name: found } of page.keys) {
        const name = found.slice(base.length);
        if (name === "" || name.includes("//")) continue; // sidecars
        if (!recursive && name.includes("/")) continue;
        if (hideTemporary && isTemporaryName(name)) continue;
        yield name;
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Size and modification time (the metadata's, or the time a `touch` of
   * this write set); `null` when the file does not exist.
   */
  async stat(path: string): Promise<FileStat | null> {
    const key = this.#key(path);
    const [metadata, touched] = await Promise.all([
      this.#metadata(key),
      this.#kv.get(key + SIDECAR_SUFFIX, { type: "stream" }).then((stream) =>
        stream === null ? null : readStream(stream)
      ),
    ]);
    if (metadata === null) return null;
    let mtimeMs = metadata.mtimeMs;
    if (touched !== null) {
      try {
        const record = JSON.parse(new TextDecoder().decode(touched));
        if (record?.write === metadata.write && typeof record?.mtimeMs === "number") {
          mtimeMs = record.mtimeMs;
        }
      } catch {
        // A damaged sidecar: the metadata's time stands.
      }
    }
    return { size: metadata.size, mtimeMs };
  }

  /** Paths are keys in KV: nothing to create. */
  mkdir(_path: string): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Sets a file's modification time, in a sidecar key that names the write
   * it belongs to (the value is not rewritten); `false` when the file does
   * not exist. The sidecar expires with the file.
   */
  touch(path: string, mtimeMs: number): Promise<boolean> {
    let key: string;
    try {
      key = this.#writableKey(path);
    } catch (error) {
      return Promise.reject(error);
    }
    return isolateQueue.run(key, async () => {
      const metadata = await this.#metadata(key);
      if (metadata === null) return false;
      const record = JSON.stringify({ write: metadata.write, mtimeMs });
      const expiration = metadata.expiration === undefined
        ? undefined
        : kvExpiration(metadata.expiration);
      await this.#withRetries(() =>
        this.#kv.put(
          key + SIDECAR_SUFFIX,
          record,
          expiration === undefined ? undefined : { expiration },
        )
      );
      return true;
    });
  }
}
