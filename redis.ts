/**
 * A storage adapter on Redis or Valkey, for buckets shared by several
 * machines: `new Bucket("/cache", { fs: new RedisFileSystem(client) })`.
 * A separate entry point, so the core carries no Redis code; it needs no
 * Redis package either: pass the node-redis or ioredis client you have.
 *
 * @module
 */

export { RedisFileSystem } from "./src/fs/redis.ts";
export type { RedisCommandSender, RedisFileSystemOptions } from "./src/fs/redis.ts";
