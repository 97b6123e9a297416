// Size budgets: maxEntries and maxSize keep a directory bounded, evicting the
// least recently used entries (expired ones first) in the background; recency
// lives in the files, so it survives restarts and is shared by processes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Bucket, MemoryFileSystem } from "../mod.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { resetEvictionWarning } from "../src/store/budget.ts";
import { storeOf } from "../src/bucket.ts";
import { entryFiles, sleep } from "./helpers/bucket.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { root, runScript, type RuntimeName } from "./helpers/runtimes.ts";

const worker = join(root, "tests/fixtures/budget_worker.ts");

/** Waits until `check` holds (background upkeep), failing after `ms`. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** Sets every entry file's last use to `ago` ms ago, oldest first by key order. */
async function ageEntries(bucket: Bucket, keys: string[], agoMs: (i: number) => number) {
  const core = storeOf(bucket);
  for (const [i, key] of keys.entries()) {
    const located = await core.locate(key);
    const time = new Date(Date.now() - agoMs(i));
    await utimes(core.entryPath(core.fileName(located)), time, time);
  }
}

describe("budgets", () => {
  const records: LogRecord[] = [];
  before(async () => {
    await configure({
      sinks: { test: (record) => void records.push(record) },
      loggers: [
        { category: ["bucketcache"], lowestLevel: "warning", sinks: ["test"] },
        { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
      ],
      reset: true,
    });
  });
  after(async () => await reset());

  test("maxEntries: writes past the budget are evicted in the background, once logged", async () => {
    resetEvictionWarning();
    records.length = 0;
    const dir = join(await makeTempDir(), "c");
    const bucket = new Bucket(dir, { maxEntries: 20 });
    for (let i = 0; i < 60; i++) await bucket.set(i, { i });
    await eventually(async () => (await bucket.usage()).entries <= 20, "usage is within 20");
    assert.ok(bucket.stats().evictions >= 40, `evicted ${bucket.stats().evictions}`);
    assert.deepEqual(await new Bucket(dir).get(59), { i: 59 }, "the newest entry is kept");
    const warnings = records.filter((r) => String(r.message.join("")).includes("Evicted"));
    assert.equal(warnings.length, 1, "the first eviction in a process is logged, once");
    assert.equal(warnings[0].level, "warning");
  });

  test("maxSize: the bytes of entry files stay within the budget", async () => {
    const dir = join(await makeTempDir(), "c");
    const bucket = new Bucket(dir, { maxSize: 20_000 });
    for (let i = 0; i < 60; i++) await bucket.set(i, "x".repeat(1000));
    await eventually(async () => (await bucket.usage()).bytes <= 20_000, "bytes are within 20,000");
    const { entries, bytes } = await bucket.usage();
    assert.ok(entries >= 10, `kept ${entries} entries (${bytes} bytes), not everything`);
  });

  test("least recently used go first: a read makes an old entry young again", async () => {
    const dir = join(await makeTempDir(), "c");
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const writer = new Bucket(dir);
    for (const key of keys) await writer.set(key, key);
    await ageEntries(writer, keys, (i) => (100 - i) * 60_000); // k0 oldest
    // A new bucket reads k0 and k1 from their files: they become the most recent.
    const reader = new Bucket(dir, { maxEntries: 100 });
    assert.equal(await reader.get("k0"), "k0");
    assert.equal(await reader.get("k1"), "k1");
    const result = await reader.evict({ maxEntries: 6 });
    assert.equal(result.evicted, 5, "down to 90% of 6 (5 entries kept)");
    const fresh = new Bucket(dir, { memory: false });
    const kept = [];
    for (const key of keys) if (await fresh.get(key) !== undefined) kept.push(key);
    assert.deepEqual(kept, ["k0", "k1", "k7", "k8", "k9"]);
  });

  test("recency costs: a file read marks the file at once, memory hits at most once a minute", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    await new Bucket("/r", { fs }).set("k", 1);
    const bucket = new Bucket("/r", { fs, maxEntries: 100 });
    const before = fs.calls.touch;
    assert.equal(await bucket.get("k"), 1, "read from the file");
    assert.equal(fs.calls.touch, before + 1, "marked at once");
    for (let i = 0; i < 1000; i++) await bucket.get("k");
    await storeOf(bucket).budget!.flush();
    assert.equal(fs.calls.touch, before + 1, "memory hits within the minute mark nothing more");
    const plain = new Bucket("/r", { fs });
    await plain.get("k");
    await plain.get("k");
    assert.equal(fs.calls.touch, before + 1, "a bucket without a budget never touches");
  });

  test("expired entries go first, whatever their recency", async () => {
    const dir = join(await makeTempDir(), "c");
    const bucket = new Bucket(dir, { clockTolerance: 0 });
    for (let i = 0; i < 5; i++) await bucket.set(`old${i}`, i);
    for (let i = 0; i < 5; i++) await bucket.set(`short${i}`, i, { lifetime: 1 });
    await ageEntries(bucket, ["old0", "old1", "old2", "old3", "old4"], () => 3_600_000);
    await sleep(5);
    const result = await bucket.evict({ maxEntries: 6 });
    assert.equal(result.expired, 5);
    assert.equal(result.evicted, 0, "after the expired ones, 5 entries fit in 90% of 6");
    assert.equal((await bucket.usage()).entries, 5);
  });

  test("recency survives restarts and is shared: another process's reads protect entries", async () => {
    const dir = join(await makeTempDir(), "c");
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const writer = new Bucket(dir);
    for (const key of keys) await writer.set(key, key);
    await ageEntries(writer, keys, (i) => (100 - i) * 60_000);
    const read = await runScript("node", worker, ["read", dir, "k0", "k2"]);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(JSON.parse(read.stdout.trim()).hits, 2);
    // A later process (this one, a new bucket) evicts: k0 and k2 are recent.
    const result = await new Bucket(dir, { maxEntries: 5 }).evict();
    assert.equal(result.usage.entries, 4);
    const kept = (await Promise.all(keys.map(async (k) => [k, await new Bucket(dir).get(k)])))
      .filter(([, v]) => v !== undefined).map(([k]) => k);
    assert.deepEqual(kept, ["k0", "k2", "k8", "k9"]);
  });

  test("two processes in different runtimes share one budget", async () => {
    const dir = join(await makeTempDir(), "c");
    const runtimes: RuntimeName[] = ["deno", "bun"];
    const results = await Promise.all(
      runtimes.map((runtime, r) =>
        runScript(runtime, worker, ["write", dir, `p${r}-`, "150", "100"])
      ),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const stats = results.map((result) => JSON.parse(result.stdout.trim().split("\n").pop()!));
    assert.ok(stats.every((s) => s.writes === 150), "each wrote 150, more than the budget of 100");
    const { entries } = await new Bucket(dir).usage();
    assert.ok(entries <= 110, `300 written, ${entries} left: the budget (100) held, within 10%`);
    assert.ok(entries >= 70, `${entries} left: eviction took little more than the excess`);
  });

  test("stats count this process's hits, misses, writes, deletes, expiries and damage", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/s", { fs, clockTolerance: 0 });
    await bucket.set("a", 1);
    await bucket.set("b", 2, { lifetime: 1 });
    await bucket.get("a");
    await bucket.get("zz");
    await sleep(5);
    await bucket.get("b");
    await bucket.delete("a");
    await bucket.set("c", 3);
    await bucket.unloadKey("c");
    const [path] = [...(await entryFiles("/s").catch(() => []))];
    assert.equal(path, undefined, "memory fs: not on disk");
    // Damage c's file and read it back.
    const core = storeOf(bucket);
    const file = core.entryPath(core.fileName(await core.locate("c")));
    await fs.writeFileAtomic(file, new TextEncoder().encode("bucketcache/1 garbage"));
    assert.equal(await bucket.get("c"), undefined);
    const stats = bucket.stats();
    assert.deepEqual(
      { ...stats, bytesWritten: stats.bytesWritten > 0 },
      {
        hits: 1,
        misses: 3,
        writes: 3,
        bytesWritten: true,
        deletes: 1,
        evictions: 0,
        expired: 1,
        damaged: 1,
      },
    );
  });

  test("usage counts this backend's entries and their bytes", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/u", { fs });
    assert.deepEqual(await bucket.usage(), { entries: 0, bytes: 0 });
    await bucket.set("a", "x".repeat(100));
    await bucket.set("b", "y".repeat(200));
    const usage = await bucket.usage();
    assert.equal(usage.entries, 2);
    assert.equal(usage.bytes, bucket.stats().bytesWritten);
  });
});
