// One store per bucket: every view of a bucket (the bucket, deferredWrite's
// view, a DeferredWriteBucket's own) works on one state, and a later set,
// delete or unload wins on disk and in memory. Each test reproduces a
// failure of the earlier design (a deferred view was a second core that
// shared only the memory layer), over several trials on real files.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BackendLoadError,
  Bucket,
  deferredWrite,
  DeferredWriteBucket,
  type Entry,
  JSONBackend,
  StructuredCloneBackend,
} from "../mod.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { entryFiles } from "./helpers/bucket.ts";

const TRIALS = 10;
const big = (tag: string, kb = 100) => tag + "x".repeat(kb * 1024);

async function freshDir(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

/** What a new process would read: a bucket without a memory layer over the same directory. */
function reader(dir: string, options: object = {}): Bucket {
  return new Bucket(dir, { memory: false, ...options });
}

describe("one store per bucket", () => {
  test(`a delete during a DeferredWriteBucket sync wins (${TRIALS} trials, 60 keys of 100 KB)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await freshDir();
      const bucket = new DeferredWriteBucket(dir);
      for (let i = 0; i < 60; i++) await bucket.set(`k${i}`, big(`v${i}`));
      const sync = bucket.sync();
      assert.equal(await bucket.delete("k59"), true, "a live pending entry was deleted");
      await sync;
      assert.equal(await bucket.get("k59"), undefined, `trial ${trial}: memory`);
      assert.equal(await reader(dir).get("k59"), undefined, `trial ${trial}: disk`);
      assert.equal(await reader(dir).get("k58"), big("v58"), "the others were written");
    }
  });

  test(`a plain set or delete during deferredWrite's sync wins (${TRIALS} trials each)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await freshDir();
      const bucket = new Bucket(dir);
      const deferred = deferredWrite(bucket);
      await deferred.set("k", big("OLD", 200));
      await deferred.set("gone", big("OLD", 200));
      const sync = deferred.sync();
      await bucket.set("k", "NEW");
      await bucket.delete("gone");
      await sync;
      assert.equal(await bucket.get("k"), "NEW", `trial ${trial}: memory`);
      assert.equal(await reader(dir).get("k"), "NEW", `trial ${trial}: disk`);
      assert.equal(await bucket.get("gone"), undefined);
      assert.equal(await reader(dir).get("gone"), undefined, `trial ${trial}: the delete stays`);
    }
  });

  test("overlapping syncs and concurrent unloadKey calls resolve and write each entry once", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await freshDir();
      const bucket = new DeferredWriteBucket(dir);
      for (let i = 0; i < 20; i++) await bucket.set(`k${i}`, big(`v${i}`, 10));
      const [a, b] = await Promise.all([bucket.sync(), bucket.sync()]);
      assert.equal(a.written + b.written, 20, "each entry written by exactly one sync");
      for (let i = 0; i < 3; i++) await bucket.set(`u${i}`, i);
      await Promise.all([bucket.unloadKey("u0"), bucket.unloadKey("u1"), bucket.unloadKey("u2")]);
      for (let i = 0; i < 3; i++) assert.equal(await reader(dir).get(`u${i}`), i);
      assert.equal(await bucket.get("u1"), 1, "read back after unloading");
    }
  });

  test("a read in flight never lands on top of a pending entry", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await freshDir();
      await new Bucket(dir).set("k", big("old", 200));
      const bucket = new Bucket(dir);
      const deferred = deferredWrite(bucket);
      const reading = bucket.get("k");
      await deferred.set("k", "new");
      assert.equal(await reading, big("old", 200), "the read returns what it read");
      assert.equal(await bucket.get("k"), "new", "memory holds the pending value");
      const { written } = await deferred.sync();
      assert.equal(written, 1);
      assert.equal(await reader(dir).get("k"), "new", `trial ${trial}`);
    }
  });

  test("a set right after starting a sync of a large value wins on disk", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await freshDir();
      const bucket = new Bucket(dir);
      const deferred = deferredWrite(bucket);
      await deferred.set("k", big("v1", 200));
      const sync = deferred.sync();
      await bucket.set("k", "v2");
      await sync;
      assert.equal(await bucket.get("k"), "v2");
      assert.equal(await reader(dir).get("k"), "v2", `trial ${trial}`);
    }
  });

  test("a plain unloadKey writes a pending entry first instead of dropping it", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    const deferred = deferredWrite(bucket);
    await deferred.set("k", "pending");
    await bucket.unloadKey("k");
    assert.equal(await reader(dir).get("k"), "pending");
  });

  test("a deferred view shares statistics and the lifetime with its bucket", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { hours: 1 });
    await deferredWrite(bucket, async (deferred) => {
      assert.equal(deferred.lifetime, 3_600_000);
      bucket.lifetime = { minutes: 5 };
      assert.equal(deferred.lifetime, 300_000, "one lifetime");
      await deferred.set("a", 1);
      await deferred.set("b", 2);
      assert.equal(await deferred.get("a"), 1);
    });
    const stats = bucket.stats();
    assert.equal(stats.writes, 2, "the deferred sync's writes are the bucket's");
    assert.equal(stats.hits, 1, "the deferred view's hit is the bucket's");
    assert.equal((await entryFiles(dir)).length, 2);
  });
});

/** A backend whose load fails with a bug's error, not with BackendLoadError. */
class BuggyBackend extends StructuredCloneBackend {
  override load(_data: Uint8Array): Entry {
    throw new RangeError("a bug in the backend");
  }
}

describe("errors keep their meaning", () => {
  test("an unexpected error from a backend's load rejects the call and leaves the file", async () => {
    const dir = await freshDir();
    await new Bucket(dir).set("k", "value");
    const files = await entryFiles(dir);
    const buggy = new Bucket(dir, { backend: BuggyBackend });
    await assert.rejects(buggy.get("k"), { name: "RangeError", message: "a bug in the backend" });
    await assert.rejects(buggy.has("k"), RangeError);
    assert.equal(buggy.stats().damaged, 0);
    assert.deepEqual(await entryFiles(dir), files, "the file is still there");
    assert.equal(await new Bucket(dir).get("k"), "value", "and still valid");
  });

  test("a memoised call rejects with the backend's unexpected error instead of recomputing", async () => {
    const dir = await freshDir();
    const f = new Bucket(dir).memoize(function f(x: number) {
      return x * 2;
    });
    assert.equal(await f(2), 4);
    let calls = 0;
    const g = new Bucket(dir, { backend: BuggyBackend }).memoize(function f(x: number) {
      calls++;
      return x * 2;
    });
    await assert.rejects(g(2), RangeError);
    assert.equal(calls, 0, "the function was not called");
    const h = new Bucket(dir).memoize(function f(x: number) {
      return -x;
    });
    assert.equal(await h(2), 4, "the entry is intact");
  });

  test("JSONBackend lets a reviver's error through and keeps the file", async () => {
    const dir = await freshDir();
    await new Bucket(dir, { backend: JSONBackend }).set("k", { a: 1 });
    const failing = new Bucket(dir, {
      backend: JSONBackend,
      config: {
        reviver: () => {
          throw new SyntaxError("the reviver's own error");
        },
      },
    });
    await assert.rejects(failing.get("k"), { message: "the reviver's own error" });
    assert.equal(failing.stats().damaged, 0);
    assert.deepEqual(await new Bucket(dir, { backend: JSONBackend }).get("k"), { a: 1 });
  });

  test("a backend's BackendLoadError still means damaged: the file is removed", async () => {
    const dir = await freshDir();
    await new Bucket(dir).set("k", "v");
    class Refusing extends StructuredCloneBackend {
      override load(_data: Uint8Array): Entry {
        throw new BackendLoadError("cannot read this");
      }
    }
    const bucket = new Bucket(dir, { backend: Refusing });
    assert.equal(await bucket.get("k"), undefined);
    assert.equal(bucket.stats().damaged, 1);
    assert.deepEqual(await entryFiles(dir), []);
  });
});
