// getOrSet and memoize's computing options in one process: single flight,
// timeouts, abort signals, self-recursion, hit callbacks that throw,
// stale-while-revalidate and stale-if-error, waitUntil, and lock between two
// buckets of one process (the cross-process runs are in lock.test.ts).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Bucket, MemoryFileSystem } from "../mod.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { storeOf } from "../src/bucket.ts";
import { entryFiles, sleep } from "./helpers/bucket.ts";

const never = () => new Promise<never>(() => {});

async function freshDir(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

describe("getOrSet", () => {
  test("computes once for concurrent callers, stores, and serves the entry after", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { hours: 1 });
    let calls = 0;
    const compute = async () => {
      calls++;
      await sleep(20);
      return { n: calls };
    };
    const values = await Promise.all(
      Array.from({ length: 10 }, () => bucket.getOrSet("k", compute)),
    );
    assert.ok(values.every((v) => v.n === 1));
    assert.deepEqual(await new Bucket(dir, { memory: false }).get("k"), { n: 1 });
    assert.deepEqual(await bucket.getOrSet("k", compute), { n: 1 });
    assert.deepEqual(await bucket.getOrSet("k", compute, { refresh: true }), { n: 2 });
    assert.equal(calls, 2);
  });

  test("its own lifetime, and bad options are errors that say what to change", async () => {
    const bucket = new Bucket(await freshDir(), { hours: 1 });
    await bucket.getOrSet("k", () => 1, { lifetime: 20 });
    await sleep(40);
    assert.equal(await bucket.get("k"), undefined, "the entry kept its own 20 ms");
    await assert.rejects(
      bucket.getOrSet("k", () => 1, { loc: true } as never),
      /Unknown getOrSet option "loc"/,
    );
    await assert.rejects(bucket.getOrSet("k", () => 1, { timeout: -1 }), RangeError);
    await assert.rejects(
      bucket.getOrSet("k", () => 1, { lock: { lease: 1 } } as never),
      /Unknown lock option/,
    );
    await assert.rejects(bucket.getOrSet("k", "value" as never), /needs a function/);
    await assert.rejects(bucket.getOrSet("k", () => 1, { signal: {} as never }), /AbortSignal/);
  });
});

describe("nothing waits forever", () => {
  test("timeout: callers reject with a TimeoutError, the key is free, a late result is not stored", async () => {
    const bucket = new Bucket(await freshDir());
    let calls = 0;
    let finishLate!: (value: string) => void;
    const slow = bucket.memoize(function slow(_n: number) {
      calls++;
      if (calls === 1) return new Promise<string>((resolve) => (finishLate = resolve));
      return "second";
    }, { timeout: 50 });
    const [a, b] = await Promise.allSettled([slow(1), slow(1)]);
    for (const result of [a, b]) {
      assert.equal(result.status, "rejected");
      const reason = (result as PromiseRejectedResult).reason;
      assert.ok(reason instanceof DOMException);
      assert.equal(reason.name, "TimeoutError");
      assert.match(reason.message, /slow did not finish within its timeout of 50 ms/);
    }
    assert.equal(await slow(1), "second", "the next caller computes");
    finishLate("late");
    await sleep(10);
    assert.equal(await slow(1), "second", "the late result was not stored");
    assert.equal(calls, 2);
  });

  test("a function that calls itself with the same key is a TypeError naming it", async () => {
    const bucket = new Bucket(await freshDir());
    // (Inside a named function expression its name is the function itself:
    // the memoised wrapper needs another name.)
    const memoLoop: (n: number) => Promise<number> = bucket.memoize(
      async function loop(n: number): Promise<number> {
        return n === 0 ? 0 : await memoLoop(n);
      },
    );
    await assert.rejects(memoLoop(1), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^loop called itself with the arguments it is computing/);
      return true;
    });
    const memoCountdown: (n: number) => Promise<number> = bucket.memoize(
      async function countdown(n: number): Promise<number> {
        return n === 0 ? 0 : 1 + await memoCountdown(n - 1);
      },
    );
    assert.equal(await memoCountdown(5), 5, "recursion with other arguments works");
  });

  test("a hit callback that throws is logged; the call still resolves", async () => {
    const bucket = new Bucket(await freshDir());
    const f = bucket.memoize(function f(n: number) {
      return n * 2;
    }).callback(() => {
      throw new Error("callback bug");
    });
    assert.equal(await f(2), 4);
    assert.equal(await f(2), 4, "memory hit");
    await bucket.unloadKey(["bucketcache.memoize/1", "f", null, [2]]);
    assert.equal(await f(2), 4, "file hit");
  });
});

describe("abort signals", () => {
  test("an AbortSignal argument is not part of the key; aborting rejects only its caller", async () => {
    const bucket = new Bucket(await freshDir());
    let calls = 0;
    let seen: AbortSignal | undefined;
    const fetchIt = bucket.memoize(async function fetchIt(id: number, signal?: AbortSignal) {
      calls++;
      seen = signal;
      await sleep(60);
      return `item ${id}`;
    });
    const first = new AbortController();
    const second = new AbortController();
    const a = fetchIt(7, first.signal);
    const b = fetchIt(7, second.signal);
    // Both callers wait for the one computation before the first aborts.
    const flights = storeOf(bucket).flights;
    while ([...flights.values()][0]?.abortable !== 2) await sleep(1);
    first.abort(new Error("the first caller went away"));
    await assert.rejects(a, /the first caller went away/);
    assert.equal(await b, "item 7", "the other caller gets the value");
    assert.equal(seen?.aborted, false, "the computation's signal did not abort for one caller");
    assert.equal(await fetchIt(7), "item 7", "stored");
    assert.equal(await fetchIt(7, new AbortController().signal), "item 7");
    assert.equal(calls, 1);
  });

  test("when every caller aborts, the computation's signal aborts", async () => {
    const bucket = new Bucket(await freshDir());
    let computationSignal: AbortSignal | undefined;
    const f = bucket.memoize(function f(signal: AbortSignal) {
      computationSignal = signal;
      return never();
    });
    const controller = new AbortController();
    const call = f(controller.signal);
    await sleep(5);
    controller.abort();
    await assert.rejects(call, { name: "AbortError" });
    assert.equal(computationSignal?.aborted, true);
  });

  test("getOrSet takes a signal option and passes the computation its own signal", async () => {
    const bucket = new Bucket(await freshDir());
    const controller = new AbortController();
    controller.abort(new Error("already gone"));
    await assert.rejects(
      bucket.getOrSet("k", () => 1, { signal: controller.signal }),
      /already gone/,
    );
    assert.equal(await bucket.getOrSet("k", (signal) => signal instanceof AbortSignal), true);
  });
});

describe("stale values", () => {
  test(`staleWhileRevalidate: 50 concurrent callers get the old value at once; one refresh runs`, async () => {
    const bucket = new Bucket(await freshDir());
    let version = 0;
    let refreshes = 0;
    const backgrounds: Promise<unknown>[] = [];
    const report = bucket.memoize(async function report() {
      if (version > 0) {
        refreshes++;
        await sleep(150);
      }
      return ++version;
    }, { lifetime: 40, staleWhileRevalidate: 60_000, waitUntil: (p) => void backgrounds.push(p) });
    assert.equal(await report(), 1);
    await sleep(60);
    const started = performance.now();
    const values = await Promise.all(Array.from({ length: 50 }, () => report()));
    const waited = performance.now() - started;
    assert.ok(values.every((v) => v === 1), "every caller got the stale value");
    assert.ok(waited < 150, `they did not wait for the refresh (${waited.toFixed(0)} ms)`);
    assert.equal(backgrounds.length, 1, "waitUntil received the one refresh");
    await backgrounds[0];
    assert.equal(refreshes, 1, "exactly one refresh ran");
    assert.equal(await report(), 2, "the refreshed value after it");
  });

  test("staleIfError: a failing refresh is answered with the stale value until the window ends", async () => {
    const bucket = new Bucket(await freshDir(), { clockTolerance: 0 });
    let fail = false;
    const price = bucket.memoize(function price() {
      if (fail) throw new Error("upstream down");
      return 42;
    }, { lifetime: 30, staleIfError: 250 });
    assert.equal(await price(), 42);
    fail = true;
    await sleep(60);
    assert.equal(await price(), 42, "stale within the window");
    assert.equal(await price(), 42);
    await sleep(300);
    await assert.rejects(price(), /upstream down/, "the error once the window is over");
  });

  test("a stale window keeps the entry: pruning and other readers leave it until it ends", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { clockTolerance: 0 });
    await bucket.getOrSet("k", () => "v", { lifetime: 20, staleWhileRevalidate: 60_000 });
    await sleep(40);
    assert.equal(await new Bucket(dir, { clockTolerance: 0 }).get("k"), undefined, "expired");
    assert.equal((await new Bucket(dir, { clockTolerance: 0 }).pruneDirectory()).num, 0);
    assert.equal((await entryFiles(dir)).length, 1, "kept for its stale window");
    const fresh = new Bucket(dir, { clockTolerance: 0 });
    assert.equal(
      await fresh.getOrSet("k", () => "new", { lifetime: 20, staleWhileRevalidate: 60_000 }),
      "v",
      "a new process serves it stale",
    );
  });
});

describe("lock within one process", () => {
  test("two buckets over one directory compute a key once (the lease on the files)", async () => {
    const dir = await freshDir();
    let calls = 0;
    const compute = async () => {
      calls++;
      await sleep(80);
      return "once";
    };
    const a = new Bucket(dir, { memory: false });
    const b = new Bucket(dir, { memory: false });
    const values = await Promise.all([
      a.getOrSet("k", compute, { lock: true }),
      b.getOrSet("k", compute, { lock: { leaseMs: 5000, waitMs: 10_000 } }),
    ]);
    assert.deepEqual(values, ["once", "once"]);
    assert.equal(calls, 1);
    assert.ok(!(await entryFiles(dir)).some((f) => f.includes("lease")));
  });

  test("a failing holder releases the lease and the next waiter computes", async () => {
    const fs = new MemoryFileSystem();
    const a = new Bucket("/c", { fs, memory: false });
    const b = new Bucket("/c", { fs, memory: false });
    let calls = 0;
    const first = a.getOrSet("k", async () => {
      calls++;
      await sleep(40);
      throw new Error("holder failed");
    }, { lock: true });
    await sleep(5);
    const second = b.getOrSet("k", () => {
      calls++;
      return "second";
    }, { lock: true });
    await assert.rejects(first, /holder failed/);
    assert.equal(await second, "second");
    assert.equal(calls, 2);
  });
});
