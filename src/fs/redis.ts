// A FileSystem on Redis (or Valkey), for buckets shared by several machines.
// Each file is one Redis hash under `prefix + path`: field "d" holds the
// bytes, field "m" the modification time. Every operation is one command
// (a short Lua script where it needs several steps), so each is atomic.

import { Buffer } from "node:buffer";
import type { AtomicWriteOptions, FileStat, FileSystem, ListOptions } from "./types.ts";

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
const READ_PREFIX = `local v = redis.call('HGET', KEYS[1], 'd')
if not v then return false end
return string.sub(v, 1, tonumber(ARGV[1]))`;
const STAT = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('HSTRLEN', KEYS[1], 'd'), redis.call('HGET', KEYS[1], 'm')}`;
const TOUCH = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'm', ARGV[1])
return 1`;

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
 * - Listing uses SCAN (never KEYS), cost proportional to the server's keys.
 * - Directories are implied by paths: `mkdir` does nothing, writes need no
 *   parent, and listing a directory nobody wrote to is empty.
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
  /** `true`: no bucket of the old flat layout lives in Redis, so none is looked for. */
  readonly noLegacyLayout: boolean = true;
  /** The key prefix. */
  readonly prefix: string;
  readonly #send: Send;
  readonly #scanCount: number;

  /**
   * Creates the adapter over a connected client.
   *
   * @param client node-redis, ioredis, or a {@linkcode RedisCommandSender}
   * @param options `{ prefix, scanCount }`
   * @throws {TypeError} for a client it cannot use or unknown options
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
    const scanCount = options?.scanCount ?? 1000;
    if (!Number.isInteger(scanCount) || scanCount < 1) {
      throw new RangeError(`scanCount must be a whole number ≥ 1, got ${scanCount}`);
    }
    this.prefix = prefix;
    this.#scanCount = scanCount;
  }

  #key(path: string): string {
    return this.prefix + path;
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
   */
  async writeFileAtomic(
    path: string,
    data: Uint8Array,
    options?: AtomicWriteOptions,
  ): Promise<void> {
    const expiresAt = options?.expiresAt;
    await this.#send([
      "EVAL",
      WRITE,
      "1",
      this.#key(path),
      data,
      String(Date.now()),
      expiresAt === undefined || expiresAt === null ? "" : String(Math.ceil(expiresAt)),
    ]);
  }

  /** Removes a file; `false` when it was not there. */
  async remove(path: string): Promise<boolean> {
    return Number(await this.#send(["DEL", this.#key(path)])) === 1;
  }

  /** Lists the files directly in `dir` with SCAN, streaming. */
  async *list(dir: string, _options?: ListOptions): AsyncIterable<string> {
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
        if (name !== "" && !name.includes("/")) yield name;
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
