// The compress option (issue 19): stored size and speed on 1 MB of JSON text
// and on an 8 MiB random Uint8Array (where compression does not pay and is
// skipped), for no compression, gzip and deflate. Prints one JSON line.
//
//   deno run -A --node-modules-dir=manual bench/compress.ts [rounds]
//   node_modules/.bin/bun bench/compress.ts
//   node --import tsx bench/compress.ts

import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket, type BucketOptions } from "../mod.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const rounds = Number(args[0] ?? 5);
const rows = [];
for (let i = 0; JSON.stringify(rows).length < 1_000_000; i++) {
  rows.push({ id: i, name: `user ${i}`, email: `user${i}@example.com`, active: i % 3 === 0 });
}
const json = JSON.stringify(rows);
const random = new Uint8Array(8 * 1024 * 1024);
for (let i = 0; i < random.length; i += 65536) {
  crypto.getRandomValues(random.subarray(i, i + 65536));
}
const inputs: [string, unknown, number][] = [
  ["1 MB JSON text", json, new TextEncoder().encode(json).length],
  ["8 MiB random bytes", random, random.length],
];
const settings: [string, BucketOptions["compress"]][] = [
  ["none", undefined],
  ["gzip", "gzip"],
  ["deflate", "deflate"],
];

/** Bytes of the entry files under dir. */
function stored(dir: string): number {
  let total = 0;
  for (const shard of readdirSync(dir)) {
    if (shard.startsWith(".")) continue;
    for (const name of readdirSync(join(dir, shard))) {
      total += statSync(join(dir, shard, name)).size;
    }
  }
  return total;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out: Record<string, string> = {
  runtime: "Bun" in globalThis
    ? "bun"
    : "Deno" in globalThis
    ? "deno"
    : `node ${process.versions.node}`,
};
for (const [inputName, value, bytes] of inputs) {
  for (const [settingName, compress] of settings) {
    const sets: number[] = [];
    const gets: number[] = [];
    let size = 0;
    for (let round = 0; round < rounds; round++) {
      const dir = mkdtempSync(join(tmpdir(), "bc-compress-"));
      try {
        const bucket = new Bucket(dir, compress === undefined ? {} : { compress });
        await bucket.set("warm", "x");
        let t = performance.now();
        await bucket.set("v", value);
        sets.push(performance.now() - t);
        const reader = new Bucket(dir);
        await reader.get("warm");
        t = performance.now();
        const back = await reader.get("v");
        gets.push(performance.now() - t);
        if ((back as { length: number }).length !== (value as { length: number }).length) {
          throw new Error("wrong value back");
        }
        size = stored(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const mbps = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
    out[`${inputName}, ${settingName}`] = `stored ${(size / bytes).toFixed(3)}× the payload; set ${
      median(sets).toFixed(1)
    } ms (${mbps(median(sets))} MB/s), get ${median(gets).toFixed(1)} ms (${
      mbps(median(gets))
    } MB/s)`;
  }
}
console.log(JSON.stringify(out, null, 1));
