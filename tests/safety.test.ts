// The cache touches only its own entries and never deletes a fresh one:
// foreign files and symlinks in the cache directory, clocks that differ,
// lifetimes the header cannot hold, a file where a shard should be. Each
// test reproduces a way the earlier core deleted or lost data.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { Bucket, JSONBackend, MAX_LIFETIME_MS, NodeFileSystem } from "../mod.ts";
import { storeOf } from "../src/bucket.ts";
import { encodeEntryFile } from "../src/format/entry.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { entryFiles } from "./helpers/bucket.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function freshDir(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

/** Runs `body` with `Date.now` returning `at()`; restores it afterwards. */
async function withClock<T>(at: () => number, body: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = at;
  try {
    return await body();
  } finally {
    Date.now = real;
  }
}

/** A key of `bucket` whose entry file lies in `shard`. */
async function keyInShard(bucket: Bucket, shard: string): Promise<string> {
  const store = storeOf(bucket);
  for (let i = 0;; i++) {
    const located = await store.locate(`key ${i}`);
    if (store.fileName(located).startsWith(shard)) return `key ${i}`;
  }
}

/** Every file under `dir`, relative, sorted (symlinks listed, not followed). */
async function allFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string) => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else found.push(path);
    }
  };
  await walk("");
  return found.sort();
}

describe("expiry judged by the entry's own date, with a clock tolerance", () => {
  test("a budget pass leaves other buckets' live entries alone (20 JSON entries)", async () => {
    const dir = await freshDir();
    const json = new Bucket(dir, { backend: JSONBackend });
    for (let i = 0; i < 10; i++) await json.set(`forever ${i}`, i);
    for (let i = 0; i < 10; i++) await json.set(`day ${i}`, i, { lifetime: DAY });
    const hourly = new Bucket(dir, { hours: 1, maxEntries: 1000, backend: JSONBackend });
    await hourly.set("x", 1);
    const result = await hourly.evict();
    assert.equal(result.expired, 0);
    assert.equal(result.usage.entries, 21);
    const reader = new Bucket(dir, { backend: JSONBackend, memory: false });
    for (let i = 0; i < 10; i++) {
      assert.equal(await reader.get(`forever ${i}`), i);
      assert.equal(await reader.get(`day ${i}`), i);
    }
    assert.equal(
      await hourly.get("forever 0"),
      undefined,
      "the shorter lifetime still makes it read as missing for this bucket",
    );
    assert.equal(await reader.get("forever 0"), 0, "but nothing was deleted");
  });

  test("a clock stepping back 1 ms deletes nothing and misses nothing", async () => {
    const dir = await freshDir();
    const t = Date.now();
    await withClock(() => t, () => new Bucket(dir, { hours: 1 }).set("k", "v"));
    const bucket = new Bucket(dir, { hours: 1 });
    await withClock(() => t, () => bucket.get("k"));
    await withClock(() => t - 1, async () => {
      assert.equal(await bucket.get("k"), "v", "memory hit");
      assert.equal(await new Bucket(dir, { hours: 1, memory: false }).get("k"), "v", "file");
    });
    assert.equal((await entryFiles(dir)).length, 1);
  });

  test("a writer whose clock is 2 s ahead: readers find all 10, pruning deletes none", async () => {
    const dir = await freshDir();
    const ahead = Date.now() + 2000;
    await withClock(() => ahead, async () => {
      const writer = new Bucket(dir, { hours: 1 });
      for (let i = 0; i < 10; i++) await writer.set(i, `v${i}`);
    });
    const reader = new Bucket(dir, { hours: 1 });
    for (let i = 0; i < 10; i++) assert.equal(await reader.get(i), `v${i}`);
    assert.deepEqual(await reader.pruneDirectory(), { size: 0, num: 0 });
    assert.equal((await entryFiles(dir)).length, 10);
  });

  test("an expired entry reads as missing at once but is deleted only past the tolerance", async () => {
    const dir = await freshDir();
    const t = Date.now();
    await withClock(() => t, () => new Bucket(dir, { seconds: 1 }).set("k", "v"));
    await withClock(() => t + 1500, async () => {
      const bucket = new Bucket(dir, { seconds: 1 });
      assert.equal(await bucket.get("k"), undefined);
      assert.equal((await bucket.pruneDirectory()).num, 0);
    });
    assert.equal((await entryFiles(dir)).length, 1, "within a minute of its expiry it stays");
    await withClock(() => t + 62_000, async () => {
      assert.equal(await new Bucket(dir, { seconds: 1 }).get("k"), undefined);
    });
    assert.equal((await entryFiles(dir)).length, 0, "past the tolerance a read deletes it");
  });

  test("clockTolerance is an option: 0 deletes as soon as an entry is expired", async () => {
    const dir = await freshDir();
    const t = Date.now();
    await withClock(() => t, () => new Bucket(dir, { seconds: 1 }).set("k", "v"));
    await withClock(() => t + 1500, async () => {
      const bucket = new Bucket(dir, { seconds: 1, clockTolerance: 0 });
      assert.equal((await bucket.pruneDirectory()).num, 1);
    });
    assert.throws(() => new Bucket(dir, { clockTolerance: -1 }), RangeError);
    assert.throws(() => new Bucket(dir, { clockTolerance: "1m" as never }), TypeError);
  });
});

describe("lifetimes are bounded and whole milliseconds", () => {
  test("a lifetime the header cannot hold is a RangeError naming the maximum", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    for (const lifetime of [Number.MAX_VALUE, 2e19, 1e20, { weeks: 1e12 }]) {
      await assert.rejects(
        bucket.set("k", "v", { lifetime }),
        (error: Error) =>
          error instanceof RangeError && /at most 8000000000000000 ms/.test(error.message),
      );
      assert.throws(() => new Bucket(dir, { lifetime }), RangeError);
    }
    assert.deepEqual(await entryFiles(dir), [], "nothing was written");
    await bucket.set("k", "v", { lifetime: MAX_LIFETIME_MS });
    assert.equal(await new Bucket(dir, { memory: false }).get("k"), "v", "the longest one works");
  });

  test("a fractional lifetime rounds up: the entry is live for a new reader at once", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { lifetime: 1500.5, clockTolerance: 0 });
    assert.equal(bucket.lifetime, 1501);
    await bucket.set("k", "v");
    await bucket.set("own", "v", { lifetime: 1500.5 });
    const reader = new Bucket(dir, { lifetime: 1500.5, clockTolerance: 0, memory: false });
    assert.equal(await reader.get("k"), "v");
    assert.equal(await reader.get("own"), "v");
  });
});

describe("only the library's own files are counted, evicted, pruned or removed", () => {
  test("foreign files named like entries survive evict, budgets and prune, and are not counted", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { maxEntries: 5 });
    for (let i = 0; i < 3; i++) await bucket.set(i, i);
    const hex = "ab".repeat(32);
    const shard = (await entryFiles(dir))[0].slice(0, 2);
    const foreign = [
      `${hex}.txt`,
      `${hex}.jpg`,
      `${shard}/${shard}${"0".repeat(62)}.pdf`,
      `${shard}/${shard}${"1".repeat(62)}.sclone`,
      `${shard}/${shard}${"2".repeat(62)}.json`,
      ".keep.0123456789abcdef.tmp",
      `${shard}/.${shard}${"3".repeat(62)}.txt.0123456789abcdef.tmp`,
    ];
    const dayOld = new Date(Date.now() - DAY);
    for (const name of foreign) {
      await writeFile(join(dir, name), "a user's file, no bucketcache header");
      await utimes(join(dir, name), dayOld, dayOld);
    }
    assert.equal((await bucket.usage()).entries, 3, "foreign files are not counted");
    for (let i = 3; i < 20; i++) await bucket.set(i, i);
    await bucket.evict({ maxEntries: 2 });
    await bucket.pruneDirectory();
    const left = await allFiles(dir);
    for (const name of foreign) assert.ok(left.includes(name), `${name} is still there`);
    for (const name of foreign) {
      assert.equal(await readFile(join(dir, name), "utf8"), "a user's file, no bucketcache header");
    }
  });

  test("an entry's path holding a foreign file reads as missing and is left alone", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir);
    await bucket.set("k", "v");
    const [file] = await entryFiles(dir);
    await writeFile(join(dir, file), "not ours");
    assert.equal(await new Bucket(dir).get("k"), undefined);
    assert.equal(await new Bucket(dir).delete("k"), false);
    assert.equal(await readFile(join(dir, file), "utf8"), "not ours");
  });

  test("nothing is followed or touched through a symlink", async () => {
    const base = await makeTempDir();
    const dir = join(base, "cache");
    const outside = join(base, "outside");
    await mkdir(outside);
    const bucket = new Bucket(dir, { maxEntries: 100, seconds: 1 });
    await bucket.set("real", 1);
    // An expired entry of ours, in a directory the cache does not own.
    const name = `cd${"4".repeat(62)}.sclone`;
    const expired = encodeEntryFile(name, new Uint8Array([0x01]), Date.now() - DAY, false);
    await writeFile(join(outside, name), expired);
    const dayOld = new Date(Date.now() - DAY);
    await utimes(join(outside, name), dayOld, dayOld);
    await symlink(outside, join(dir, "cd"));
    // An entry file that is a symlink to a file outside.
    const key = await keyInShard(bucket, "ef");
    const linkedName = storeOf(bucket).fileName(await storeOf(bucket).locate(key));
    await new Bucket(join(base, "other"), {}).set(key, "outside value");
    const otherFile = join(base, "other", "ef", linkedName);
    await utimes(otherFile, dayOld, dayOld);
    await mkdir(join(dir, "ef"), { recursive: true });
    await symlink(otherFile, join(dir, "ef", linkedName));

    await new Bucket(dir, { maxEntries: 100, memory: false }).get(key);
    await bucket.pruneDirectory();
    await bucket.evict({ maxEntries: 1 });
    for (let i = 0; i < 20; i++) await bucket.set(`more ${i}`, i);
    await bucket.evict({ maxEntries: 1 });
    assert.deepEqual(await readdir(outside), [name], "nothing outside was removed");
    // (Times come back as floats: compare to within a millisecond.)
    assert.ok(Math.abs((await stat(join(outside, name))).mtimeMs - dayOld.getTime()) < 1);
    assert.ok(
      Math.abs((await stat(otherFile)).mtimeMs - dayOld.getTime()) < 1,
      "not touched through a link",
    );
    assert.ok((await readdir(join(dir, "ef"))).includes(linkedName), "the link itself stays");
  });

  test("a file named like a shard: usage, evict and prune work; a set into it names the file", async () => {
    const dir = await freshDir();
    const bucket = new Bucket(dir, { maxEntries: 10 });
    await bucket.set("first", 0);
    await writeFile(join(dir, "ee"), "a user's file called ee");
    const inEe = await keyInShard(bucket, "ee");
    await assert.rejects(bucket.set(inEe, 1), (error: Error) => {
      assert.match(error.message, /ee: it is not a directory/);
      assert.match(error.message, /move it elsewhere/);
      return true;
    });
    let written = 0;
    for (let i = 0; written < 100; i++) {
      const store = storeOf(bucket);
      if (store.fileName(await store.locate(i)).startsWith("ee")) continue;
      await bucket.set(i, i);
      written++;
    }
    await storeOf(bucket).budget!.flush();
    const { usage } = await bucket.evict();
    assert.ok(usage.entries <= 10, `${usage.entries} entries after eviction`);
    assert.ok((await bucket.usage()).entries <= 10);
    await bucket.pruneDirectory();
    assert.equal(await readFile(join(dir, "ee"), "utf8"), "a user's file called ee");
  });

  test("a path with a NUL character is a TypeError at construction", () => {
    assert.throws(() => new Bucket("cache\0evil"), TypeError);
  });
});

describe("read-only storage", () => {
  for (const code of ["EROFS", "EPERM", "EACCES"]) {
    test(`expired and damaged entries read as missing when removing fails with ${code}`, async () => {
      const dir = await freshDir();
      const t = Date.now();
      const writer = new Bucket(dir, { seconds: 1 });
      await withClock(() => t - 2 * DAY, () => writer.set("expired", 1));
      await writer.set("damaged", 2);
      await writer.set("live", 3);
      const store = storeOf(writer);
      const located = await store.locate("damaged");
      await writeFile(store.entryPath(store.fileName(located)), "bucketcache/1 damaged".padEnd(60));
      const fs = new FaultyFileSystem(new NodeFileSystem()).fail("removeIfUnchanged", code)
        .fail("remove", code);
      const bucket = new Bucket(dir, { seconds: 1, fs });
      assert.equal(await bucket.get("expired"), undefined);
      assert.equal(await bucket.has("expired"), false);
      assert.equal(await bucket.get("damaged"), undefined);
      assert.equal(await bucket.has("damaged"), false);
      assert.equal(await bucket.get("live"), 3);
      assert.deepEqual(
        await bucket.pruneDirectory(),
        { size: 0, num: 0 },
        "nothing removed, no throw",
      );
      assert.equal((await entryFiles(dir)).length, 3, "the files are still there");
    });
  }
});

describe("a full disk on the library's own bookkeeping files", () => {
  test("ENOSPC on the layout file: set resolves, the entry is readable, the file comes later", async () => {
    const dir = await freshDir();
    const fs = new FaultyFileSystem(new NodeFileSystem())
      .fail("writeFileAtomic", "ENOSPC", 1, /\.bucketcache-layout$/);
    const bucket = new Bucket(dir, { fs });
    await bucket.set("k", "v");
    assert.equal(await new Bucket(dir, { memory: false }).get("k"), "v");
    await bucket.set("k2", "v2");
    assert.ok((await readdir(dir)).includes(".bucketcache-layout"), "written with the next entry");
  });

  test("ENOSPC on the usage file: evict does its work and resolves", async () => {
    const dir = await freshDir();
    const fs = new FaultyFileSystem(new NodeFileSystem());
    const bucket = new Bucket(dir, { fs, maxEntries: 100 });
    for (let i = 0; i < 20; i++) await bucket.set(i, i);
    fs.fail("writeFileAtomic", "ENOSPC", Infinity, /\.bucketcache-usage$/);
    const result = await bucket.evict({ maxEntries: 10 });
    assert.equal(result.usage.entries, 9);
    assert.equal((await entryFiles(dir)).length, 9);
  });
});

describe("keys never collide silently", () => {
  class Point {
    #x: number;
    #y: number;
    constructor(x: number, y: number) {
      this.#x = x;
      this.#y = y;
    }
    norm(): number {
      return Math.hypot(this.#x, this.#y);
    }
  }

  test("an instance whose state is private is a TypeError as a key or an argument", async () => {
    const bucket = new Bucket(await freshDir());
    const norm = bucket.memoize(function norm(p: Point) {
      return p.norm();
    });
    await assert.rejects(norm(new Point(3, 4)), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /Point with no own enumerable properties/);
      assert.match(error.message, /keyState\(\)/);
      return true;
    });
    await assert.rejects(bucket.set(new Point(1, 1), "a"), TypeError);
    await assert.rejects(bucket.get(new Point(9, 9)), TypeError);
  });

  test("a keyState() method makes such instances keys", async () => {
    class Keyed extends Point {
      readonly #id: string;
      constructor(x: number, y: number) {
        super(x, y);
        this.#id = `${x},${y}`;
      }
      keyState() {
        return this.#id;
      }
    }
    const bucket = new Bucket(await freshDir());
    let calls = 0;
    const norm = bucket.memoize(function norm(p: Point) {
      calls++;
      return p.norm();
    });
    assert.equal(await norm(new Keyed(3, 4)), 5);
    assert.equal(await norm(new Keyed(6, 8)), 10, "a different key");
    assert.equal(await norm(new Keyed(3, 4)), 5);
    assert.equal(calls, 2);
  });

  test("a stateless class's memoised method keys on the class (as the original)", async () => {
    const bucket = new Bucket(await freshDir());
    let calls = 0;
    class A {
      method = bucket.memoize(function method(this: A, a: number, b: number) {
        calls++;
        return a + b;
      }, { method: true });
    }
    const a = new A();
    assert.equal(await a.method(3, 4), 7);
    assert.equal(await new A().method(3, 4), 7);
    assert.equal(calls, 1);
  });
});
