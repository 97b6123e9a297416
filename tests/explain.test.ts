// Know and control what is cached: explain (each reason), entries that say
// what they are, invalidation by call, by function and by tag (across
// buckets and processes, with the visibility bound), onStatus, and the
// tracing channels.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import diagnostics from "node:diagnostics_channel";
import { Bucket, type CallStatus, MemoryFileSystem, type TraceContext } from "../mod.ts";
import { storeOf } from "../src/bucket.ts";
import { channels } from "../src/trace.ts";
import { TAG_REFRESH_MS } from "../src/store/tags.ts";
import { isProblem, parseHeader, readMeta } from "../src/format/entry.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { entryFiles, sleep } from "./helpers/bucket.ts";
import { root, runScript } from "./helpers/runtimes.ts";

async function freshDir(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

describe("explain", () => {
  test("reports each reason, and changes nothing", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { clockTolerance: 0 });
    const absent = await bucket.explain("nothing");
    assert.deepEqual([absent.status, absent.reason, absent.expiresAt], ["miss", "absent", null]);
    assert.match(absent.file, /[0-9a-f]{2}\/[0-9a-f]{64}\.sclone$/);

    await bucket.set("live", 1, { lifetime: { hours: 1 } });
    const live = await bucket.explain("live");
    assert.equal(live.status, "hit");
    assert.equal(live.reason, undefined);
    assert.ok(live.expiresAt! > Date.now());
    assert.equal(live.inMemory, true);
    const fromFile = await new Bucket(dir).explain("live");
    assert.equal(fromFile.inMemory, false);
    assert.ok(Math.abs(fromFile.storedAt! - Date.now()) < 60_000);
    assert.equal(fromFile.file, live.file);

    await bucket.set("old", 1, { lifetime: 1 });
    await sleep(5);
    const expired = await new Bucket(dir).explain("old");
    assert.deepEqual([expired.status, expired.reason], ["miss", "expired"]);

    await bucket.set("broken", "v");
    const broken = (await bucket.explain("broken")).file;
    const bytes = await readFile(broken);
    bytes[bytes.length - 1] ^= 1;
    await writeFile(broken, bytes);
    const damaged = await new Bucket(dir).explain("broken");
    assert.deepEqual([damaged.status, damaged.reason], ["miss", "damaged"]);
    assert.match(damaged.damage!, /checksum mismatch/);
    assert.ok((await entryFiles(dir)).length === 3, "explain removed nothing (old, broken, live)");

    await bucket.set("tagged", 1, { tags: ["user:42", "team:7"] });
    await bucket.invalidateTags(["user:42"]);
    const invalidated = await bucket.explain("tagged");
    assert.deepEqual(
      [invalidated.status, invalidated.reason, invalidated.invalidatedBy],
      ["miss", "invalidated", ["user:42"]],
    );
    assert.deepEqual(invalidated.tags, ["user:42", "team:7"]);
    assert.deepEqual(bucket.stats().damaged, 0, "no statistics moved");
  });

  test("stale entries and memoised calls: stale, bypassed, the function's name and version", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    let calls = 0;
    const report = bucket.memoize(function report(day: string, _refresh = false) {
      calls++;
      return { day };
    }, { nocache: "_refresh", version: 3, lifetime: 30, staleWhileRevalidate: 60_000 });
    assert.equal((await report.explain("mon")).reason, "absent");
    await report("mon");
    const hit = await report.explain("mon");
    assert.deepEqual([hit.status, hit.fn, hit.version], ["hit", "report", "3"]);
    assert.equal((await report.explain("mon", true)).reason, "bypassed");
    await sleep(50);
    assert.equal((await report.explain("mon")).status, "stale");
    assert.equal(calls, 1, "explaining never calls the function");
  });
});

describe("entries say what they are", () => {
  test("a memoised entry records its function's name, version and tags, not its arguments", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    const profile = bucket.memoize(function profile(user: number) {
      return { user, name: "Ada" };
    }, { version: "v2", tags: (result: { user: number }) => [`user:${result.user}`] });
    await profile(42);
    const [file] = await entryFiles(dir);
    const bytes = new Uint8Array(await readFile(join(dir, file)));
    const header = parseHeader(bytes);
    assert.ok(!isProblem(header));
    assert.equal(header.version, 2);
    const meta = readMeta(bytes, header)!;
    assert.deepEqual({ fn: meta.fn, version: meta.version, tags: Object.keys(meta.tags!) }, {
      fn: "profile",
      version: "v2",
      tags: ["user:42"],
    });
    assert.ok(
      !new TextDecoder().decode(bytes.subarray(header.size, header.size + header.metaLength))
        .includes("42,"),
    );
  });
});

describe("invalidation", () => {
  test("invalidate(...args) removes one call's entry; clear() every entry of the function", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    let calls = 0;
    const square = bucket.memoize(function square(n: number) {
      calls++;
      return n * n;
    });
    const cube = bucket.memoize(function cube(n: number) {
      return n * n * n;
    });
    const squareV2 = bucket.memoize(function square(n: number) {
      return n * n;
    }, { version: 2 });
    for (let n = 0; n < 5; n++) {
      await square(n);
      await cube(n);
      await squareV2(n);
    }
    assert.equal(await square.invalidate(3), true);
    assert.equal(await square.invalidate(3), false, "already gone");
    assert.equal(await square(3), 9);
    assert.equal(calls, 6, "recomputed after invalidate");
    assert.equal(await square.clear(), 5);
    assert.equal((await entryFiles(dir)).length, 10, "cube and version 2 stay");
    assert.equal(
      await new Bucket(dir).memoize(function cube(n: number) {
        return -n;
      })(2),
      8,
      "cube's entries are intact",
    );
    await square(1);
    assert.equal(calls, 7, "cleared from memory too");
  });

  test("tags: set and memoize entries carrying a tag read as missing after invalidateTags", async () => {
    const bucket = new Bucket(await freshDir());
    let calls = 0;
    const orders = bucket.memoize(function orders(user: number) {
      calls++;
      return [user];
    }, { tags: ["orders"] });
    await bucket.set("profile:42", { name: "Ada" }, { tags: ["user:42"] });
    await bucket.set("profile:7", { name: "Bo" }, { tags: ["user:7"] });
    await orders(42);
    await bucket.invalidateTags(["user:42", "orders"]);
    assert.equal(await bucket.get("profile:42"), undefined);
    assert.deepEqual(await bucket.get("profile:7"), { name: "Bo" });
    await orders(42);
    assert.equal(calls, 2, "recomputed");
    await bucket.set("profile:42", { name: "Ada 2" }, { tags: ["user:42"] });
    assert.deepEqual(await bucket.get("profile:42"), { name: "Ada 2" }, "a new entry is live");
    await assert.rejects(bucket.set("k", 1, { tags: [""] }), TypeError);
    await assert.rejects(bucket.invalidateTags("user:42" as never), TypeError);
  });

  test(`another bucket (another process's view) sees an invalidation within ${TAG_REFRESH_MS} ms`, async () => {
    const dir = await freshDir();
    const writer = new Bucket(dir);
    const other = new Bucket(dir);
    await writer.set("k", "v", { tags: ["t"] });
    assert.equal(await other.get("k"), "v", "in the other bucket's memory now");
    const at = Date.now();
    await writer.invalidateTags(["t"]);
    let seenAfter = -1;
    while (Date.now() - at < TAG_REFRESH_MS + 1000) {
      if (await other.get("k") === undefined) {
        seenAfter = Date.now() - at;
        break;
      }
      await sleep(20);
    }
    assert.ok(seenAfter >= 0, "the other bucket saw it");
    assert.ok(seenAfter <= TAG_REFRESH_MS + 100, `seen after ${seenAfter} ms`);
  });

  test("a real second process sees an invalidation (and the tag files are the only ones written)", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    await bucket.set("k", "v", { tags: ["t"] });
    await bucket.invalidateTags(["t"]);
    const script = join(root, "tests", "fixtures", "explain_peer.ts");
    const result = await runScript("node", script, [dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), { value: null, reason: "invalidated" });
  });

  test("invalidating is O(1): it writes one small file per tag, whatever the entry count", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/c", { fs });
    for (let i = 0; i < 300; i++) await bucket.set(i, i, { tags: ["all"] });
    let writes = 0;
    const original = fs.writeFileAtomic.bind(fs);
    fs.writeFileAtomic = (...args) => {
      writes++;
      return original(...args);
    };
    await bucket.invalidateTags(["all"]);
    assert.equal(writes, 1);
    assert.equal(await bucket.get(5), undefined);
  });
});

describe("onStatus and tracing", () => {
  test("onStatus is called on every call with the status and explain's fields", async () => {
    const dir = await freshDir();
    const seen: CallStatus[] = [];
    const bucket = new Bucket(dir);
    const f = bucket.memoize(function f(n: number) {
      return n + 1;
    }, { onStatus: (info) => void seen.push(info) });
    await f(1);
    await f(1);
    assert.deepEqual(seen.map((s) => [s.status, s.reason, s.fn]), [
      ["miss", "absent", "f"],
      ["hit", undefined, "f"],
    ]);
    assert.match(seen[0].file, /\.sclone$/);
  });

  test("bucketcache:get, :set and :memoize deliver events; nothing is built without subscribers", async () => {
    const bucket = new Bucket(await freshDir());
    const traced: number[] = [];
    for (const name of ["get", "set", "memoize"] as const) {
      const channel = channels[name]!;
      const original = channel.tracePromise.bind(channel);
      channel.tracePromise = ((fn: () => Promise<unknown>, context: TraceContext) => {
        traced.push(1);
        return original(fn, context);
      }) as typeof channel.tracePromise;
    }
    const f = bucket.memoize(function f(n: number) {
      return n;
    });
    await bucket.set("a", 1);
    await bucket.get("a");
    await f(1);
    assert.equal(traced.length, 0, "no context built or published without subscribers");

    const events: [string, TraceContext][] = [];
    const subscribers = Object.fromEntries(
      ["get", "set", "memoize"].map((name) => [name, {
        start: () => {},
        end: () => {},
        asyncStart: () => {},
        asyncEnd: (context: TraceContext) => void events.push([name, { ...context }]),
        error: () => {},
      }]),
    );
    for (const name of ["get", "set", "memoize"]) {
      diagnostics.tracingChannel(`bucketcache:${name}`).subscribe(subscribers[name] as never);
    }
    try {
      await bucket.set("b", "x".repeat(10));
      await bucket.get("b");
      await bucket.get("missing");
      await f(2);
      await f(2);
    } finally {
      for (const name of ["get", "set", "memoize"]) {
        diagnostics.tracingChannel(`bucketcache:${name}`).unsubscribe(subscribers[name] as never);
      }
    }
    const summary = events.map(([name, c]) => [name, c.status, c.fn]);
    assert.deepEqual(summary, [
      ["set", "written", undefined],
      ["get", "hit", undefined],
      ["get", "miss", undefined],
      ["memoize", "miss", "f"],
      ["memoize", "hit", "f"],
    ]);
    for (const [, context] of events) {
      assert.equal(context.bucket, bucket.path);
      assert.match(context.keyHash, /^[0-9a-f]{64}$/);
    }
    assert.ok(events[0][1].bytes! > 10);
    assert.equal(storeOf(bucket).path, bucket.path);
  });
});
