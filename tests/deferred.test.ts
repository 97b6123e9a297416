import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Bucket, deferredWrite, DeferredWriteBucket, MemoryFileSystem } from "../mod.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { SHARDS } from "../src/format/layout.ts";
import { entryFiles, sleep, tempBucket } from "./helpers/bucket.ts";

/** Bytes of all entry files of a bucket directory (in its shards). */
async function totalBytes(fs: MemoryFileSystem | FaultyFileSystem, dir: string): Promise<number> {
  let total = 0;
  for (const shard of SHARDS) {
    for await (const name of fs.list(`${dir}/${shard}`)) {
      total += (await fs.stat(`${dir}/${shard}/${name}`))!.size;
    }
  }
  return total;
}

const faultyMemory = async () => {
  const fs = new FaultyFileSystem(new MemoryFileSystem());
  await fs.mkdir("/d");
  return fs;
};

describe("DeferredWriteBucket", () => {
  test("deferred set: nothing is written until sync, which reports what it wrote", async () => {
    const fs = await faultyMemory();
    const bucket = new DeferredWriteBucket("/d", { fs });
    for (let i = 0; i < 50; i++) await bucket.set(`k${i % 5}`, i);
    assert.equal(fs.calls.writeFileAtomic, 0, "no writes before sync");
    assert.equal(await bucket.get("k4"), 49, "served from memory");
    const result = await bucket.sync();
    assert.equal(result.written, 5, "only the last value of each key");
    assert.equal(result.dropped, 0);
    assert.ok(result.bytes > 5 * 55);
    assert.equal(fs.calls.writeFileAtomic, 5);
    assert.deepEqual(
      await bucket.sync(),
      { written: 0, bytes: 0, dropped: 0 },
      "nothing changed since",
    );
    await bucket.set("k0", "changed");
    assert.equal((await bucket.sync()).written, 1, "only what changed");
    assert.equal(await new Bucket("/d", { fs }).get("k0"), "changed", "on disk for other buckets");
  });

  test("deferred unload: unloadKey syncs first", async () => {
    const fs = await faultyMemory();
    const bucket = new DeferredWriteBucket("/d", { fs });
    await bucket.set("a", 1);
    await bucket.set("b", 2);
    await bucket.unloadKey("a");
    assert.equal(fs.calls.writeFileAtomic, 2, "every pending entry was written");
    assert.equal(await bucket.get("a"), 1, "read back from the file");
  });

  test("pending entries are never evicted before they are written", async () => {
    const fs = await faultyMemory();
    const bucket = new DeferredWriteBucket("/d", { fs, memory: { maxEntries: 2 } });
    for (let i = 0; i < 10; i++) await bucket.set(i, i);
    for (let i = 0; i < 10; i++) assert.equal(await bucket.get(i), i);
    assert.equal((await bucket.sync()).written, 10);
    const reads = fs.calls.readFile;
    await bucket.get(0);
    assert.equal(fs.calls.readFile, reads + 1, "once written, the bound applies again");
  });

  test("entries that expired before the sync are dropped, and no older file resurfaces", async () => {
    const fs = await faultyMemory();
    await new Bucket("/d", { fs }).set("k", "old, on disk");
    const bucket = new DeferredWriteBucket("/d", { fs, lifetime: 200 });
    await bucket.set("k", "new, expiring");
    await bucket.set("kept", 1, { lifetime: 0 });
    await sleep(300);
    const result = await bucket.sync();
    assert.equal(result.written, 1, "the entry with its own lifetime");
    assert.equal(result.dropped, 1, "the expired one");
    assert.equal(result.bytes, await totalBytes(fs, "/d"), "the only file left is the one written");
    assert.equal(
      await new Bucket("/d", { fs }).get("k"),
      undefined,
      "the superseded file is gone too",
    );
  });

  test("a failing write does not lose the others; failures reject with AggregateError and stay pending", async () => {
    const fs = await faultyMemory();
    const bucket = new DeferredWriteBucket("/d", { fs });
    for (let i = 0; i < 6; i++) await bucket.set(i, i);
    fs.fail("writeFileAtomic", "ENOSPC", 2);
    await assert.rejects(bucket.sync(), (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.errors.length, 2);
      assert.match(error.message, /sync wrote 4 entries; 2 failed and stay pending/);
      assert.match(String(error.errors[0].message), /ENOSPC/);
      return true;
    });
    const other = new Bucket("/d", { fs });
    let onDisk = 0;
    for (let i = 0; i < 6; i++) if (await other.get(i) !== undefined) onDisk++;
    assert.equal(onDisk, 4);
    const rest = await bucket.sync();
    assert.equal(rest.written, 2, "the next sync writes the rest");
    assert.equal(rest.bytes, (await totalBytes(fs, "/d")) / 3, "two of six equal-sized files");
    for (let i = 0; i < 6; i++) assert.equal(await new Bucket("/d", { fs }).get(i), i);
  });

  test("deferred decorator: memoised misses stay pending and persist after sync", async () => {
    const fs = await faultyMemory();
    const bucket = new DeferredWriteBucket("/d", { fs });
    let calls = 0;
    const square = bucket.memoize(function square(n: number) {
      calls++;
      return n * n;
    });
    await square(3);
    await square(3);
    assert.equal(calls, 1);
    assert.equal(fs.calls.writeFileAtomic, 0);
    await bucket.sync();
    const fresh = new Bucket("/d", { fs }).memoize(function square(n: number) {
      calls++;
      return n * n;
    });
    assert.equal(await fresh(3), 9);
    assert.equal(calls, 1, "the result was persisted by sync");
  });
});

describe("deferredWrite", () => {
  test("deferred context: writes are visible through the bucket at once, written when the callback settles", async () => {
    const bucket = await tempBucket();
    const result = await deferredWrite(bucket, async (deferred) => {
      for (let i = 0; i < 20; i++) await deferred.set(i % 4, i);
      assert.equal(await bucket.get(3), 19, "visible through the original bucket");
      assert.deepEqual(await entryFiles(bucket), [], "not yet on disk");
      return "done";
    });
    assert.equal(result, "done");
    assert.equal((await entryFiles(bucket)).length, 4);
    assert.equal(await new Bucket(bucket.path).get(3), 19);
  });

  test("a throwing callback still flushes, then the error is rethrown", async () => {
    const bucket = await tempBucket();
    await assert.rejects(
      deferredWrite(bucket, async (deferred) => {
        await deferred.set("saved", true);
        throw new Error("halfway");
      }),
      /halfway/,
    );
    assert.equal(await new Bucket(bucket.path).get("saved"), true);
  });

  test("a failed final sync rejects with the AggregateError", async () => {
    const fs = await faultyMemory();
    const bucket = new Bucket("/d", { fs });
    fs.fail("writeFileAtomic", "EIO", 1);
    await assert.rejects(deferredWrite(bucket, (deferred) => deferred.set("k", 1)), AggregateError);
  });

  test("await using: the block's writes are flushed when it ends", async () => {
    const bucket = await tempBucket();
    {
      await using deferred = deferredWrite(bucket);
      await deferred.set("a", 1);
      await deferred.set("b", 2);
      assert.deepEqual(await entryFiles(bucket), []);
    }
    assert.equal((await entryFiles(bucket)).length, 2);
  });

  test("bad arguments", () => {
    assert.throws(() => deferredWrite({} as never), /needs a Bucket/);
    assert.throws(
      () => deferredWrite(new Bucket("/x", { fs: new MemoryFileSystem() }), 5 as never),
      /must be a function/,
    );
  });
});
