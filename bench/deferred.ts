// The original library's deferred-write benchmark: 500 overwrites of 10 keys
// with random values, through a plain Bucket and through deferredWrite.
//
//   deno run -A bench/deferred.ts | bun bench/deferred.ts | node --import tsx bench/deferred.ts

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket, deferredWrite } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const ROUNDS = 5;

async function plain(dir: string): Promise<number> {
  const bucket = new Bucket(dir);
  const start = performance.now();
  for (let i = 0; i < 500; i++) await bucket.set(i % 10, Math.random());
  return performance.now() - start;
}

async function deferred(dir: string): Promise<number> {
  const bucket = new Bucket(dir);
  const start = performance.now();
  await deferredWrite(bucket, async (d) => {
    for (let i = 0; i < 500; i++) await d.set(i % 10, Math.random());
  });
  return performance.now() - start;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times: Record<string, number[]> = { plain: [], deferred: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries({ plain, deferred })) {
    const dir = await mkdtemp(join(tmpdir(), "bc-deferred-"));
    times[name].push(await run(dir));
    await rm(dir, { recursive: true });
  }
}
const p = median(times.plain);
const d = median(times.deferred);
console.log(`| ${runtime} | ${p.toFixed(1)} | ${d.toFixed(1)} | ${(p / d).toFixed(1)}× |`);
