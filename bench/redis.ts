// Get/set latency through Redis on loopback against the file adapter (issue
// 10): µs per operation of a ~1 KB value, memory layer off, per runtime.
//   BUCKETCACHE_REDIS_URL=redis://127.0.0.1:6379 deno run -A bench/redis.ts
//   … bun bench/redis.ts | node --import tsx bench/redis.ts

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Bucket, type FileSystem } from "../mod.ts";
import { RedisFileSystem } from "../redis.ts";
import { ioredisClient, nodeRedisClient, uniquePrefix } from "../tests/helpers/redis.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const N = 2000;
const value = (i: number) => ({
  i,
  rows: Array.from({ length: 18 }, (_, r) => `row ${r} of ${i}`),
});

async function measure(fs: FileSystem | undefined, path: string) {
  const bucket = new Bucket(path, { memory: false, ...(fs ? { fs } : {}) });
  await bucket.set("warm-up", value(0));
  await bucket.get("warm-up");
  let start = performance.now();
  for (let i = 0; i < N; i++) await bucket.set(i, value(i));
  const set = ((performance.now() - start) * 1000) / N;
  start = performance.now();
  for (let i = 0; i < N; i++) await bucket.get(i);
  const get = ((performance.now() - start) * 1000) / N;
  return { set, get };
}

const dir = mkdtempSync(join(tmpdir(), "bc-redis-bench-"));
const rows: string[] = [];
try {
  const file = await measure(undefined, dir);
  rows.push(
    `| ${runtime} | file (default adapter) | ${file.set.toFixed(0)} | ${file.get.toFixed(0)} |`,
  );
  for (const make of [nodeRedisClient, ioredisClient]) {
    const made = await make();
    try {
      const r = await measure(
        new RedisFileSystem(made.client, { prefix: uniquePrefix() }),
        "/bench",
      );
      rows.push(`| ${runtime} | Redis, ${made.kind} | ${r.set.toFixed(0)} | ${r.get.toFixed(0)} |`);
    } finally {
      await made.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(rows.join("\n"));
