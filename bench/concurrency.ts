// Concurrency and large-value paths (issue 19): 1,000 concurrent 1 KB sets and
// 1,000 concurrent cold gets (Promise.all) against the async-fs floor doing the
// same; one sequential set and get (which must not get slower); and one 8 MiB
// set against the floor (the runtime's own writeFile + rename). Systems and
// phases interleave over rounds; medians and ratios to the floor are printed
// as one JSON line.
//
//   deno run -A --node-modules-dir=manual bench/concurrency.ts [rounds]
//   node_modules/.bin/bun bench/concurrency.ts
//   node --import tsx bench/concurrency.ts

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket } from "../mod.ts";

/** A ~1 KB JSON-able value (as bench/worker.ts's). */
const valueFor = (i: number) => ({
  id: i,
  name: `entry number ${i}`,
  tags: ["alpha", "beta", "gamma", "delta"],
  rows: Array.from(
    { length: 18 },
    (_, r) => ({ r, label: `row ${r} of ${i}`, score: r * 1.5 + i }),
  ),
});
const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const rounds = Number(args[0] ?? 7);
const N = 1000;
const BIG = 8 * 1024 * 1024;
const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const sha = (key: string) => createHash("sha256").update(key).digest("hex");
let counter = 0;
/** The runtime's own whole-file write: Deno.writeFile on Deno (one write call). */
const writeWhole = (path: string, data: Uint8Array | string) =>
  deno && !("Bun" in globalThis)
    ? deno.writeFile(path, typeof data === "string" ? new TextEncoder().encode(data) : data)
    : writeFile(path, data);

const floor = (dir: string) => ({
  async set(key: string, value: unknown) {
    const path = join(dir, sha(key));
    const tmp = `${path}.${counter++}.tmp`;
    await writeWhole(tmp, value instanceof Uint8Array ? value : JSON.stringify(value));
    await rename(tmp, path);
  },
  async get(key: string) {
    try {
      return JSON.parse(await readFile(join(dir, sha(key)), "utf8"));
    } catch {
      return undefined;
    }
  },
});
const bucket = (dir: string) => {
  const b = new Bucket(dir);
  return { set: (k: string, v: unknown) => b.set(k, v), get: (k: string) => b.get(k) };
};
type Open = typeof floor;
const systems: [string, Open][] = [["floor", floor], ["bucketcache", bucket as Open]];

const samples: Record<string, number[]> = {};
const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
const values = Array.from({ length: N }, (_, i) => valueFor(i));
const big = new Uint8Array(BIG);
for (let i = 0; i < BIG; i += 4096) big[i] = i % 251;

for (let round = 0; round < rounds; round++) {
  for (const [name, open] of round % 2 ? systems : [...systems].reverse()) {
    const dir = mkdtempSync(join(tmpdir(), "bc-conc-"));
    try {
      let store = open(dir);
      let t = performance.now();
      await Promise.all(values.map((v, i) => store.set(`k${i}`, v)));
      add(`${name} concurrent set`, (performance.now() - t) * 1000 / N);
      store = open(dir);
      t = performance.now();
      const got = await Promise.all(values.map((_, i) => store.get(`k${i}`)));
      add(`${name} concurrent cold get`, (performance.now() - t) * 1000 / N);
      if ((got[7] as { id: number }).id !== 7) throw new Error(`${name}: wrong value`);
      store = open(dir);
      t = performance.now();
      for (let i = 0; i < N; i++) await store.set(`s${i}`, values[i]);
      add(`${name} sequential set`, (performance.now() - t) * 1000 / N);
      store = open(dir);
      t = performance.now();
      for (let i = 0; i < N; i++) await store.get(`s${i}`);
      add(`${name} sequential cold get`, (performance.now() - t) * 1000 / N);
      await store.set("warm", big.subarray(0, 1024));
      t = performance.now();
      await store.set("big", big);
      add(`${name} 8 MiB set`, (performance.now() - t) * 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runtime = "Bun" in globalThis ? "bun" : deno ? "deno" : `node ${process.versions.node}`;
const out: Record<string, string> = { runtime };
for (
  const phase of [
    "concurrent set",
    "concurrent cold get",
    "sequential set",
    "sequential cold get",
    "8 MiB set",
  ]
) {
  const f = median(samples[`floor ${phase}`]);
  const b = median(samples[`bucketcache ${phase}`]);
  out[phase] = `${b.toFixed(1)} µs vs floor ${f.toFixed(1)} (${(b / f).toFixed(2)}×)`;
}
console.log(JSON.stringify(out));
