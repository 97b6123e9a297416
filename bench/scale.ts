// Scale benchmark (issue 9): does the cost of a get or a set stay flat from
// 1,000 to 1,000,000 entries, and what does pruning 100,000 entries cost?
//
//   deno run -A bench/scale.ts [--sizes 1000,100000,1000000] [--prune 100000]
//   bun bench/scale.ts …      node --import tsx bench/scale.ts …
//
// Each size gets a fresh directory filled by writing valid entry files
// directly (synchronous writes into the shards: filling 1M entries through
// set() would take most of an hour here), then a fresh Bucket with the memory
// layer off does 2,000 gets of random existing keys and 2,000 sets of new
// keys (after `sync`, so writing back the fill does not weigh on them).
// Pruning runs over a directory where a tenth of the entries expired, through
// an adapter that counts the bytes it reads.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import process from "node:process";
import { Bucket, defaultFileSystem, type FileSystem } from "../mod.ts";
import { storeOf } from "../src/bucket.ts";
import { LAYOUT_FILE } from "../src/format/layout.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    sizes: { type: "string", default: "1000,100000,1000000" },
    prune: { type: "string", default: "100000" },
    ops: { type: "string", default: "2000" },
  },
});
const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const OPS = Number(values.ops);

/** Fills `dir` with `n` entries "key-0"… (a tenth expired when `expiredShare` is set). */
async function fill(dir: string, n: number, expiredShare = 0): Promise<void> {
  const core = storeOf(new Bucket(dir));
  for (let s = 0; s < 256; s++) mkdirSync(join(dir, s.toString(16).padStart(2, "0")));
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const located = await core.locate(`key-${i}`);
    const name = core.fileName(located);
    const shard = name.slice(0, 2);
    const expired = expiredShare > 0 && i % Math.round(1 / expiredShare) === 0;
    const file = core.dumpEntry(name, { i, text: `value ${i}` }, expired ? 1 : null, expired);
    writeFileSync(join(dir, shard, name), file);
    if (i % 100_000 === 99_999) {
      process.stderr.write(
        `  filled ${i + 1} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
    }
  }
  writeFileSync(join(dir, LAYOUT_FILE), "bucketcache layout 2\n");
}

/** A fixed pseudo-random sequence, the same for every size. */
function* randomKeys(n: number, count: number): Generator<number> {
  let state = 12345;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    yield state % n;
  }
}

interface Row {
  get: number;
  set: number;
  floorGet: number;
  floorSet: number;
}

async function measure(n: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "bc-scale-"));
  try {
    await fill(dir, n);
    settle();
    const bucket = new Bucket(dir, { memory: false });
    await bucket.get("warm-up");
    // The floor: the same files read raw, and raw temporary-file-and-rename
    // writes into the same shards, in the same directory state.
    const core = storeOf(bucket);
    const paths: string[] = [];
    for (const i of randomKeys(n, OPS)) {
      paths.push(core.entryPath(core.fileName(await core.locate(`key-${i}`))));
    }
    let start = performance.now();
    for (const path of paths) readFileSync(path);
    const floorGet = ((performance.now() - start) * 1000) / OPS;
    start = performance.now();
    for (const i of randomKeys(n, OPS)) {
      const value = await bucket.get(`key-${i}`) as { i: number } | undefined;
      if (value?.i !== i) throw new Error(`wrong value for key-${i}`);
    }
    const get = ((performance.now() - start) * 1000) / OPS;
    start = performance.now();
    for (let i = 0; i < OPS; i++) {
      const path = join(dir, (i % 256).toString(16).padStart(2, "0"), `floor-${i}`);
      writeFileSync(`${path}.tmp`, JSON.stringify({ i, text: `value ${i}` }));
      renameSync(`${path}.tmp`, path);
    }
    const floorSet = ((performance.now() - start) * 1000) / OPS;
    start = performance.now();
    for (let i = 0; i < OPS; i++) await bucket.set(`new-${i}`, { i, text: `value ${i}` });
    const set = ((performance.now() - start) * 1000) / OPS;
    return { get, set, floorGet, floorSet };
  } finally {
    spawnSync("rm", ["-rf", dir]);
  }
}

/** Counts the bytes an adapter's reads return. */
function counting(inner: FileSystem): FileSystem & { bytesRead: number } {
  const fs = {
    name: `counting(${inner.name})`,
    bytesRead: 0,
    async readFile(path: string) {
      const data = await inner.readFile(path);
      fs.bytesRead += data?.length ?? 0;
      return data;
    },
    async readPrefix(path: string, length: number) {
      const data = await inner.readPrefix(path, length);
      fs.bytesRead += data?.length ?? 0;
      return data;
    },
    writeFileAtomic: inner.writeFileAtomic.bind(inner),
    remove: inner.remove.bind(inner),
    removeIfUnchanged: inner.removeIfUnchanged.bind(inner),
    capabilities: inner.capabilities,
    list: inner.list.bind(inner),
    stat: inner.stat.bind(inner),
    mkdir: inner.mkdir.bind(inner),
    touch: inner.touch?.bind(inner),
  };
  return fs;
}

/** Flushes dirty pages, so writing back the fill does not slow what is measured. */
function settle(): void {
  spawnSync("sync");
}

const rows: string[] = [];
for (const n of values.sizes!.split(",").map(Number)) {
  process.stderr.write(`${n} entries\n`);
  const r = await measure(n);
  rows.push(
    `| ${n.toLocaleString("en")} | ${r.get.toFixed(0)} (${(r.get / r.floorGet).toFixed(1)}×) | ${
      r.set.toFixed(0)
    } (${(r.set / r.floorSet).toFixed(2)}×) | ${r.floorGet.toFixed(0)} | ${
      r.floorSet.toFixed(0)
    } |`,
  );
}
console.log(
  `### ${runtime}: µs per operation, memory layer off (${OPS} each; × the raw floor in the same directory)\n`,
);
console.log(
  "| entries | get (existing key) | set (new key) | floor: raw read | floor: raw write + rename |\n" +
    "|---|---|---|---|---|",
);
for (const row of rows) console.log(row);

const pruneN = Number(values.prune);
if (pruneN > 0) {
  const dir = mkdtempSync(join(tmpdir(), "bc-prune-"));
  try {
    process.stderr.write(`prune over ${pruneN} entries\n`);
    await fill(dir, pruneN, 0.1);
    settle();
    const fs = counting(defaultFileSystem());
    const bucket = new Bucket(dir, { fs, memory: false });
    let start = performance.now();
    const usage = await bucket.usage();
    const usageSeconds = (performance.now() - start) / 1000;
    console.log(
      `\nusage() over ${usage.entries.toLocaleString("en")} entries: ${usageSeconds.toFixed(1)} s`,
    );
    const heapBefore = process.memoryUsage().heapUsed;
    start = performance.now();
    const result = await bucket.pruneDirectory();
    const seconds = (performance.now() - start) / 1000;
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(
      `pruneDirectory over ${pruneN.toLocaleString("en")} entries (a tenth expired): ` +
        `${seconds.toFixed(1)} s, removed ${result.num.toLocaleString("en")}, ` +
        `${(fs.bytesRead / pruneN).toFixed(1)} bytes read per entry, ` +
        `heap ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB after vs before`,
    );
  } finally {
    spawnSync("rm", ["-rf", dir]);
  }
}
