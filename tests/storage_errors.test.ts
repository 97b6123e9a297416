// Disks that cannot be written: readOnly serves an existing cache and never
// writes, removes or touches; onStorageError: "memory" keeps a bucket
// working from its memory layer when the storage refuses writes.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readdir, stat } from "node:fs/promises";
import { Bucket, NodeFileSystem } from "../mod.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { entryFiles, sleep } from "./helpers/bucket.ts";
import { root, runScript, runtimeAvailable } from "./helpers/runtimes.ts";

async function freshDir(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

/** Every path under `dir` with its size and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, name));
    out.push(`${name} ${info.size} ${info.mtimeMs}`);
  }
  return out.sort();
}

describe("readOnly", () => {
  test("serves the cache; never writes, removes or touches; writes reject with what to change", async () => {
    const dir = await freshDir();
    const writer = new Bucket(dir, { clockTolerance: 0 });
    await writer.set("live", 1);
    await writer.set("expired", 2, { lifetime: 1 });
    await writer.set("broken", 3);
    const broken = (await writer.explain("broken")).file;
    const { writeFile } = await import("node:fs/promises");
    await writeFile(broken, "bucketcache/1 damaged".padEnd(60));
    await sleep(5);
    const before = await snapshot(dir);
    const bucket = new Bucket(dir, { readOnly: true, clockTolerance: 0 });
    assert.equal(await bucket.get("live"), 1);
    assert.equal(await bucket.get("expired"), undefined);
    assert.equal(await bucket.get("broken"), undefined);
    let calls = 0;
    const f = bucket.memoize(function f(n: number) {
      calls++;
      return n * 2;
    }, { lock: true });
    assert.equal(await f(1), 2);
    assert.equal(await f(1), 2);
    assert.equal(calls, 2, "computed, not stored");
    assert.equal(await bucket.getOrSet("g", () => "computed"), "computed");
    for (
      const write of [
        () => bucket.set("k", 1),
        () => bucket.delete("live"),
        () => bucket.pruneDirectory(),
        () => bucket.evict({ maxEntries: 1 }),
        () => bucket.invalidateTags(["t"]),
      ]
    ) {
      await assert.rejects(write(), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /read-only \(readOnly: true\)/);
        return true;
      });
    }
    assert.deepEqual(await snapshot(dir), before, "nothing changed on disk");
    assert.throws(() => new Bucket(dir, { readOnly: true, maxEntries: 5 }), TypeError);
    assert.throws(() => new Bucket(dir, { readOnly: "yes" as never }), TypeError);
  });

  const deno = runtimeAvailable("deno");
  test(
    `works under deno run --allow-read=DIR alone${deno ? "" : " (skipped: no deno)"}`,
    { skip: !deno },
    async () => {
      const dir = await freshDir();
      try {
        const writer = new Bucket(dir);
        await writer.set("live", "served");
        await writer.set("expired", 1, { lifetime: 1 });
        await sleep(5);
        const result = await runScript("deno", join(root, "tests/fixtures/read_only.ts"), [dir], {
          denoFlags: [`--allow-read=${dir}`],
        });
        assert.equal(result.code, 0, result.stderr);
        const out = JSON.parse(result.stdout.trim());
        assert.deepEqual([out.live, out.expired, out.computed, out.calls], [
          "served",
          null,
          [42, 42],
          2,
        ]);
        assert.match(out.refused, /read-only/);
        assert.equal((await entryFiles(dir)).length, 2, "the expired file stays");
      } finally {
        await removeDir(join(dir, ".."));
      }
    },
  );
});

describe('onStorageError: "memory"', () => {
  for (const code of ["EROFS", "EACCES", "ENOSPC", "ENOENT"]) {
    test(`a write refused with ${code} keeps the value in memory; the default rejects`, async () => {
      const dir = await freshDir();
      const fs = new FaultyFileSystem(new NodeFileSystem());
      fs.fail("writeFileAtomic", code).fail("mkdir", code);
      const strict = new Bucket(dir, { fs });
      await assert.rejects(strict.set("k", 1), { code });
      const tolerant = new Bucket(dir, { fs, onStorageError: "memory" });
      await tolerant.set("k", "kept");
      assert.equal(await tolerant.get("k"), "kept");
      const memo = tolerant.memoize(function double(n: number) {
        return n * 2;
      });
      assert.equal(await memo(4), 8);
      fs.heal();
      assert.equal(await new Bucket(dir, { fs, memory: false }).get("k"), undefined, "not on disk");
    });
  }

  test("a read the storage refuses reads as missing; the next read tries the storage again", async () => {
    const dir = await freshDir();
    await new Bucket(dir).set("on disk", 1);
    const fs = new FaultyFileSystem(new NodeFileSystem()).fail("readFile", "EACCES", 1);
    const bucket = new Bucket(dir, { fs, onStorageError: "memory" });
    assert.equal(await bucket.get("on disk"), undefined);
    assert.equal(await bucket.get("on disk"), 1, "the next read works again");
    assert.throws(() => new Bucket(dir, { fs, onStorageError: "maybe" as never }), TypeError);
  });
});

describe("memory: { clone: true }", () => {
  test("callers get copies: mutating a result changes nothing for later callers", async () => {
    const dir = await freshDir();
    const byReference = new Bucket(dir);
    await byReference.set("k", { n: 1 });
    (await byReference.get("k")).n = 2;
    assert.equal((await byReference.get("k")).n, 2, "by reference by default");

    const bucket = new Bucket(dir, { memory: { clone: true } });
    await bucket.set("c", { n: 1 });
    (await bucket.get("c")).n = 99;
    assert.equal((await bucket.get("c")).n, 1);
    const f = bucket.memoize(function f() {
      return { list: [1] };
    });
    (await f()).list.push(2);
    (await f()).list.push(3);
    assert.deepEqual(await f(), { list: [1] });
    const g = await bucket.getOrSet("g", () => ({ v: 1 }));
    g.v = 5;
    assert.deepEqual(await bucket.getOrSet("g", () => ({ v: 2 })), { v: 1 });
    assert.throws(() => new Bucket(dir, { memory: { clone: "yes" as never } }), TypeError);
  });
});

describe("memory: { clone: true } with classes", () => {
  test("copies of registered class instances stay instances", async () => {
    class Point {
      x: number;
      constructor(x: number) {
        this.x = x;
      }
      double(): number {
        return this.x * 2;
      }
    }
    const bucket = new Bucket(await freshDir(), { memory: { clone: true }, classes: [Point] });
    await bucket.set("p", new Point(2));
    const first = await bucket.get("p") as Point;
    assert.ok(first instanceof Point);
    first.x = 99;
    const second = await bucket.get("p") as Point;
    assert.equal(second.double(), 4, "an instance, and unchanged");
  });
});
