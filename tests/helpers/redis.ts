// A Redis server for the adapter tests: where it is, whether it is up, and
// clients of each kind that fail fast while it is down.

import { connect } from "node:net";
import process from "node:process";
import { createClient } from "redis";
import { createClient as createClientV4 } from "redis4";
import { Redis } from "ioredis";

/** The server: BUCKETCACHE_REDIS_URL, or the default local port. */
export const redisUrl: string = process.env.BUCKETCACHE_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Set by .ci/run, which starts the server: the tests must run, not skip. */
export const redisRequired: boolean = process.env.BUCKETCACHE_REDIS_REQUIRED === "1";
/** Set by .ci/run: the server is ours to stop and start again (restart test). */
export const redisRestartable: boolean = process.env.BUCKETCACHE_REDIS_RESTARTABLE === "1";

const { hostname, port } = new URL(redisUrl);
export const redisPort: number = Number(port || 6379);

/** Whether something accepts connections at the server's address. */
export function redisReachable(timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: redisPort });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A client that reconnects quickly and rejects commands while disconnected. */
export type AnyRedisClient = { close(): Promise<void>; client: unknown; kind: string };

const retry = (attempt: number) => Math.min(50 * attempt, 300);

export async function nodeRedisClient(): Promise<AnyRedisClient> {
  const client = createClient({
    url: redisUrl,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: retry },
  });
  client.on("error", () => {});
  await client.connect();
  return { client, kind: "node-redis 6", close: async () => void (await client.close()) };
}

export async function nodeRedisV4Client(): Promise<AnyRedisClient> {
  const client = createClientV4({
    url: redisUrl,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: retry },
  });
  client.on("error", () => {});
  await client.connect();
  return { client, kind: "node-redis 4", close: async () => void (await client.quit()) };
}

export async function ioredisClient(): Promise<AnyRedisClient> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: retry,
  });
  client.on("error", () => {});
  await client.connect();
  return { client, kind: "ioredis 6", close: () => Promise.resolve(client.disconnect()) };
}

/** A key prefix no other run uses. */
export const uniquePrefix = (): string =>
  `bctest:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
