// A FileSystem on Redis (or Valkey), for buckets shared by several machines.
// Each file is one Redis hash under `prefix + path`: field "d" holds the
// bytes, field "m" the modification time. Every operation is one command
// (a short Lua script where it needs several steps), so each is atomic.
//
// The prefix never contains "/" and every path starts with "/", so a key is
// split unambiguously at its first "/": prefix "app:" with path "/x/cache"
// and prefix "app:/x" with path "/cache" cannot both exist.

import { Buffer } from "node:buffer";
import type {
  AtomicWriteOptions,
  FileStat,
  FileSystem,
  FileSystemCapabilities,
  ListOptions,
  RemoveIfUnchangedOptions,
} from "./types.ts";
import { isTemporaryName } from "./_temp.ts";

/**
 * The one method {@linkcode RedisFileSystem} needs from a client: send a
 * command and resolve to its reply, with bulk strings as bytes (`Uint8Array`
 * or `Buffer`), integers as numbers, arrays as arrays, nil as `null`.
 * node-redis (v4 and later) and ioredis clients are adapted automatically;
 * implement this for any other client.
 */
export interface RedisCommandSender {
  /** Sends `[command, ...arguments]`. */
  sendRedisCommand(args: (string | Uint8Array)[]): Promise<unknown>;
}

/** Options of {@linkcode RedisFileSystem}. */
export interface RedisFileSystemOptions {
  /**
   * Prepended to every path to make the Redis key, so several applications
   * can share a server: `"myapp:"` stores `/cache/ab/ab12….sclone` under
   * `myapp:/cache/ab/ab12….sclone`. Default: `"bucketcache:"`.
   *
   * It must not contain `/` (and paths must start with `/`): a key then
   * splits at its first `/` into prefix and path, so no prefix and path
   * share a key with another prefix and path (`"app:"` + `"/x/cache"` against
   * `"app:/x"` + `"/cache"`). Since 0.2 a prefix with `/` is refused; data
   * stored under one before is not read any more (0.x: a clean break).
   */
  prefix?: string;
  /** Keys asked for per SCAN step when listing. Default: 1000. */
  scanCount?: number;
}

type Send = (args: (string | Uint8Array)[]) => Promise<unknown>;

/** node-redis v5+ maps RESP blob strings (type '$', 36) to Buffer with this. */
const NODE_REDIS_BUFFERS = { returnBuffers: true, typeMapping: { 36: Buffer } };

const toBuffer = (arg: string | Uint8Array): string | Buffer =>
  typeof arg === "string" ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);

/** Adapts node-redis, ioredis or a {@linkcode RedisCommandSender}. */
function senderOf(client: unknown): Send {
  const c = client as Record<string, unknown> | null;
  if (typeof c?.sendRedisCommand === "function") {
    return (args) => (c as unknown as RedisCommandSender).sendRedisCommand(args);
  }
  if (typeof c?.callBuffer === "function") {
    // ioredis: callBuffer(command, ...args) replies with Buffers.
    const callBuffer = c.callBuffer as (...args: unknown[]) => Promise<unknown>;
    return (args) => callBuffer.call(c, ...args.map(toBuffer));
  }
  if (typeof c?.sendCommand === "function") {
    const sendCommand = c.sendCommand as (args: unknown[], options: unknown) => Promise<unknown>;
    return (args) => sendCommand.call(c, args.map(toBuffer), NODE_REDIS_BUFFERS);
  }
  throw new TypeError(
    "RedisFileSystem needs a connected node-redis or ioredis client, or an object with " +
      "sendRedisCommand(args)",
  );
}

const decoder = new TextDecoder();
const text = (reply: unknown): string =>
  typeof reply === "string" ? reply : decoder.decode(reply as Uint8Array);
/** A reply as a plain Uint8Array (a view of a client's Buffer: no copy). */
const bytes = (reply: unknown): Uint8Array =>
  reply instanceof Uint8Array
    ? new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength)
    : new TextEncoder().encode(String(reply));

/** Escapes glob characters for SCAN MATCH. */
const escapeGlob = (value: string) => value.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

const WRITE = `redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'm', ARGV[2])
if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`;
const CREATE = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'm', ARGV[2])
if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`;
const READ_PREFIX = `local v = redis.call('HGET', KEYS[1], 'd')
if not v then return false end
return string.sub(v, 1, tonumber(ARGV[1]))`;
const STAT = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('HSTRLEN', KEYS[1], 'd'), redis.call('HGET', KEYS[1], 'm')}`;
const TOUCH = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'm', ARGV[1])
return 1`;
/** ARGV[1]: the bytes seen; ARGV[2]: '1' to compare only the start. */
const REMOVE_IF_UNCHANGED = `local v = redis.call('HGET', KEYS[1], 'd')
if not v then return 0 end
local seen = ARGV[1]
if ARGV[2] == '1' then
  if #v < #seen or string.sub(v, 1, #seen) ~= seen then return 0 end
elseif v ~= seen then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/** Redis's default proto-max-bulk-len, the largest value one argument can carry. */
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
/** Redis refuses a proto-max-bulk-len below 1 MiB: smaller values need no check. */
const MIN_MAX_BULK = 1024 * 1024;

/** The value of a CONFIG GET reply (`[name, value]`, or a map in RESP3). */
function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return reply.length >= 2 ? text(reply[1]) : undefined;
  if (reply instanceof Map) {
    const value = [...reply.values()][0];
    return value === undefined ? undefined : text(value);
  }
  if (typeof reply === "object" && reply !== null) {
    const value = Object.values(reply)[0];
    return value === undefined ? undefined : text(value);
  }
  return undefined;
}

/**
 * A {@linkcode FileSystem} on Redis or Valkey: point buckets on several
 * machines at one server and they share entries. Give it a connected client
 * you already have — node-redis (v4+) or ioredis, or anything implementing
 * {@linkcode RedisCommandSender} — and a key prefix.
 *
 * - Each file is a Redis hash; writes, reads, removes and stats are single
 *   commands (a writer replaces a value in one step, readers see old or new).
 * - Entries with an expiry get a Redis expiry (PEXPIREAT) too, so Redis
 *   reclaims them even if nobody prunes.
 * - Listing uses SCAN (never KEYS), cost proportional to the server's keys;
 *   a recursive listing is one SCAN pass too.
 * - `removeIfUnchanged` compares and deletes in one script.
 * - Directories are implied by paths (`capabilities.directories` is
 *   `false`): `mkdir` does nothing, writes need no parent, and listing a
 *   directory nobody wrote to is empty.
 * - Keys are `prefix + path`; the prefix may not contain `/` and paths
 *   start with `/`, so no two prefix-and-path pairs share a key.
 * - A value larger than the server's `proto-max-bulk-len` (512 MiB by
 *   default) is refused with a RangeError before it is sent.
 * - A command that fails (server down, timeout) rejects with the client's
 *   error; the bucket passes it on. Configure the client to fail fast rather
 *   than queue while disconnected (node-redis `disableOfflineQueue: true`,
 *   ioredis `enableOfflineQueue: false`) if a cache outage must not stall
 *   callers.
 *
 * @example
 * ```ts ignore
 * import { Bucket } from "@bucketcache/bucketcache";
 * import { RedisFileSystem } from "@bucketcache/bucketcache/redis";
 * import { createClient } from "redis";
 *
 * const client = await createClient({ url: "redis://cache.internal:6379" }).connect();
 * const fs = new RedisFileSystem(client, { prefix: "myapp:" });
 * // The path is only part of the key: use the same one on every machine.
 * const bucket = new Bucket("/reports", { fs, hours: 1 });
 * ```
 */
export class RedisFileSystem implements FileSystem {
  /** `"redis"`. */
  readonly name: string = "redis";
  /**
   * `{ directories: false }`: paths are keys; no bucket of the layout before
   * 0.2 lives in Redis, so none is looked for.
   */
  readonly capabilities: FileSystemCapabilities = Object.freeze({ directories: false });
  /** The key prefix. */
  readonly prefix: string;
  readonly #send: Send;
  readonly #scanCount: number;
  /** The server's proto-max-bulk-len, asked once when a value of 1 MiB or more is written. */
  #maxBulk: Promise<number> | undefined;

  /**
   * Creates the adapter over a connected client.
   *
   * @param client node-redis, ioredis, or a {@linkcode RedisCommandSender}
   * @param options `{ prefix, scanCount }`
   * @throws {TypeError} for a client it cannot use, unknown options or a
   *   prefix containing `/`
   */
  constructor(client: unknown, options?: RedisFileSystemOptions) {
    this.#send = senderOf(client);
    for (const name of Object.keys(options ?? {})) {
      if (name !== "prefix" && name !== "scanCount") {
        throw new TypeError(`Unknown RedisFileSystem option "${name}": use prefix or scanCount`);
      }
    }
    const prefix = options?.prefix ?? "bucketcache:";
    if (typeof prefix !== "string") {
      throw new TypeError(`prefix must be a string such as "myapp:", got ${typeof prefix}`);
    }
    if (prefix.includes("/")) {
      throw new TypeError(
        `prefix must not contain "/" (a key is split into prefix and path at its first "/"), ` +
          `got ${JSON.stringify(prefix)}: use another separator, such as "myapp:v2:"`,
      );
    }
    const scanCount = options?.scanCount ?? 1000;
    if (!Number.isInteger(scanCount) || scanCount < 1) {
      throw new RangeError(`scanCount must be a whole number ≥ 1, got ${scanCount}`);
    }
    this.prefix = prefix;
    this.#scanCount = scanCount;
  }

  #key(path: string): string {
    if (!path.startsWith("/")) {
      throw new TypeError(
        `RedisFileSystem paths must be absolute, starting with "/" (such as "/reports"), ` +
          `got ${JSON.stringify(path)}`,
      );
    }
    return this.prefix + path;
  }

  /** Rejects a value larger than the server accepts, before sending it. */
  async #checkSize(path: string, data: Uint8Array): Promise<void> {
    if (data.byteLength < MIN_MAX_BULK) return;
    this.#maxBulk ??= this.#send(["CONFIG", "GET", "proto-max-bulk-len"]).then(
      (reply) => {
        const value = Number(configValue(reply));
        return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_MAX_BULK;
      },
      // CONFIG is often not allowed (managed services): assume the default.
      () => DEFAULT_MAX_BULK,
    );
    const limit = await this.#maxBulk;
    if (data.byteLength > limit) {
      throw new RangeError(
        `Cannot write ${path}: the value of ${data.byteLength} bytes is too large for Redis, ` +
          `whose limit (proto-max-bulk-len) is ${limit} bytes; store smaller values or raise ` +
          `proto-max-bulk-len on the server`,
      );
    }
  }

  /** Reads a whole file, or `null` when it does not exist. */
  async readFile(path: string): Promise<Uint8Array | null> {
    const reply = await this.#send(["HGET", this.#key(path), "d"]);
    return reply === null || reply === undefined ? null : bytes(reply);
  }

  /** Reads up to `length` bytes from the start of a file (server side), or `null`. */
  async readPrefix(path: string, length: number): Promise<Uint8Array | null> {
    if (length <= 0) return (await this.stat(path)) === null ? null : new Uint8Array();
    const reply = await this.#send(["EVAL", READ_PREFIX, "1", this.#key(path), String(length)]);
    return reply === null || reply === undefined ? null : bytes(reply);
  }

  /**
   * Replaces a file in one command. With `expiresAt` the key also expires
   * then in Redis. `fsync` is Redis's own durability setting (appendfsync).
   *
   * @throws {RangeError} for a value larger than the server's
   *   `proto-max-bulk-len` (512 MiB unless configured; read once with
   *   `CONFIG GET` where allowed), checked before anything is sent
   */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    const key = this.#key(path);
    await this.#checkSize(path, data);
    const expiresAt = options?.expiresAt;
    await this.#send([
      "EVAL",
      WRITE,
      "1",
      key,
      data,
      String(Date.now()),
      expiresAt === undefined || expiresAt === null ? "" : String(Math.ceil(expiresAt)),
    ]);
  }

  /**
   * Creates a file unless one is there, in one script; with `expiresAt` the
   * key also expires then in Redis (a dead lock holder's lease goes by itself).
   */
  async createExclusive(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<boolean> {
    const key = this.#key(path);
    await this.#checkSize(path, data);
    const expiresAt = options?.expiresAt;
    const created = await this.#send([
      "EVAL",
      CREATE,
      "1",
      key,
      data,
      String(Date.now()),
      expiresAt === undefined || expiresAt === null ? "" : String(Math.ceil(expiresAt)),
    ]);
    return Number(created) === 1;
  }

  /** Removes a file; `false` when it was not there. */
  async remove(path: string): Promise<boolean> {
    return Number(await this.#send(["DEL", this.#key(path)])) === 1;
  }

  /**
   * Removes a file if it holds exactly `seen` (or, with `prefixOnly`, starts
   * with it): one script compares and deletes, atomically.
   */
  async removeIfUnchanged(
    path: string,
    seen: Uint8Array,
    options?: RemoveIfUnchangedOptions,
  ): Promise<boolean> {
    const reply = await this.#send([
      "EVAL",
      REMOVE_IF_UNCHANGED,
      "1",
      this.#key(path),
      seen,
      options?.prefixOnly ? "1" : "0",
    ]);
    return Number(reply) === 1;
  }

  /**
   * Lists the files directly in `dir` (with `recursive`, at every depth, as
   * relative paths) with one SCAN pass, streaming. SCAN may report a key
   * twice while the server resizes its tables.
   */
  async *list(dir: string, options?: ListOptions): AsyncIterable<string> {
    const recursive = options?.recursive === true;
    const hideTemporary = !options?.includeTemporary;
    const base = this.#key(dir.endsWith("/") ? dir : `${dir}/`);
    const pattern = `${escapeGlob(base)}*`;
    let cursor = "0";
    do {
      const reply = await this.#send([
        "SCAN",
        cursor,
        "MATCH",
        pattern,
        "COUNT",
        String(this.#scanCount),
        "TYPE",
        "hash",
      ]) as [unknown, unknown[]];
      cursor = text(reply[0]);
      for (const key of reply[1]) {
        const name = text(key).slice(base.length);
        if (name === "" || (!recursive && name.includes("/"))) continue;
        if (hideTemporary && isTemporaryName(name)) continue;
        yield name;
      }
    } while (cursor !== "0");
  }

  /** Size and modification time, or `null` when the file does not exist. */
  async stat(path: string): Promise<FileStat | null> {
    const reply = await this.#send(["EVAL", STAT, "1", this.#key(path)]) as unknown[] | null;
    if (reply === null || reply === undefined) return null;
    return { size: Number(reply[0]), mtimeMs: Number(text(reply[1])) };
  }

  /** Directories are implied by paths in Redis: nothing to create. */
  mkdir(_path: string): Promise<void> {
    return Promise.resolve();
  }

  /** Sets a file's modification time; `false` when it does not exist. */
  async touch(path: string, mtimeMs: number): Promise<boolean> {
    return Number(await this.#send(["EVAL", TOUCH, "1", this.#key(path), String(mtimeMs)])) === 1;
  }
}
