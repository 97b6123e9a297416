// What `lock: true` costs: a miss (µs, and × the unlocked miss) and a warm
// memoised hit (µs) with and without it, on the runtime's disk adapter.
//
//   deno run -A bench/lock.ts | bun bench/lock.ts | node --import tsx bench/lock.ts

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const MISSES = Number(process.env.N ?? 500);
const HITS = 200_000;
const value = { rows: Array.from({ length: 20 }, (_, i) => ({ i, label: `row ${i}` })) };

async function misses(lock: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "bc-lock-"));
  try {
    const bucket = new Bucket(dir);
    // Shards exist and the runtime is warm before timing.
    for (let i = 0; i < 300; i++) await bucket.getOrSet(`warm ${i}`, () => value, { lock });
    const start = performance.now();
    for (let i = 0; i < MISSES; i++) await bucket.getOrSet(`miss ${i}`, () => value, { lock });
    return ((performance.now() - start) * 1000) / MISSES;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function hits(lock: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "bc-lock-"));
  try {
    const bucket = new Bucket(dir);
    const f = bucket.memoize(function f(a: number, b: string) {
      return `${a}${b}`;
    }, { lock });
    for (let i = 0; i < HITS; i++) await f(i % 100, "x");
    const start = performance.now();
    for (let i = 0; i < HITS; i++) await f(i % 100, "x");
    return ((performance.now() - start) * 1000) / HITS;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows: string[] = [];
for (let round = 0; round < 3; round++) {
  const [plain, locked] = round % 2 === 0
    ? [await misses(false), await misses(true)]
    : [await misses(true), await misses(false)].reverse();
  const [hitPlain, hitLocked] = [await hits(false), await hits(true)];
  rows.push(
    `| ${runtime} | ${plain.toFixed(0)} | ${locked.toFixed(0)} | ${
      (locked / plain).toFixed(2)
    }× | ${hitPlain.toFixed(2)} | ${hitLocked.toFixed(2)} |`,
  );
}
console.log(
  "| runtime | miss µs | miss with lock µs | ratio | warm hit µs | warm hit with lock µs |",
);
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
