// The directory layout: entries in 256 shard subdirectories (layout 2), and
// directories written by earlier versions (layout 1: every entry in the
// directory itself) still read, then moved into shards by pruning.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, MemoryFileSystem } from "../mod.ts";
import { LAYOUT_FILE } from "../src/format/layout.ts";
import { entryFiles } from "./helpers/bucket.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { makeTempDir } from "./helpers/temp.ts";

/** Writes entries with this version, then rearranges them as layout 1 had them. */
async function legacyDirectory(values: Record<string, unknown>): Promise<string> {
  const dir = join(await makeTempDir(), "old");
  const writer = new Bucket(dir);
  for (const [key, value] of Object.entries(values)) await writer.set(key, value);
  for (const path of await entryFiles(dir)) {
    const [shard, name] = path.split("/");
    await rename(join(dir, path), join(dir, name));
    await rm(join(dir, shard), { recursive: true, force: true });
  }
  await rm(join(dir, LAYOUT_FILE));
  return dir;
}

describe("layout 2: shard subdirectories", () => {
  test("an entry lives in the subdirectory named by the first two hex digits of its hash", async () => {
    const dir = join(await makeTempDir(), "c");
    const bucket = new Bucket(dir);
    await bucket.set("k", 1);
    const [path] = await entryFiles(dir);
    assert.match(path, /^([0-9a-f]{2})\/\1[0-9a-f]{62}\.sclone$/);
    assert.match(await readFile(join(dir, LAYOUT_FILE), "utf8"), /^bucketcache layout 2/);
    assert.deepEqual((await readdir(dir)).sort(), [LAYOUT_FILE, path.slice(0, 2)].sort());
  });

  test("opening a bucket and reading lists no directory when the layout file is there", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    await new Bucket("/c", { fs }).set("k", "v");
    const listsBefore = fs.calls.list;
    const reader = new Bucket("/c", { fs });
    assert.equal(await reader.get("k"), "v");
    assert.equal(await reader.get("other"), undefined);
    await reader.set("k2", "v2");
    assert.equal(fs.calls.list, listsBefore, "no listing");
  });

  test("a get on a directory that does not exist creates nothing", async () => {
    const dir = join(await makeTempDir(), "absent");
    assert.equal(await new Bucket(dir).get("k"), undefined);
    await assert.rejects(stat(dir), { code: "ENOENT" });
  });
});

describe("layout 1 directories (earlier versions)", () => {
  const values = { a: 1, b: { nested: [1, 2] }, c: "three" };

  test("their entries read, and get/set/delete keep one file per key", async () => {
    const dir = await legacyDirectory(values);
    assert.equal((await entryFiles(dir)).every((p) => !p.includes("/")), true, "all at the top");
    const bucket = new Bucket(dir);
    for (const [key, value] of Object.entries(values)) {
      assert.deepEqual(await bucket.get(key), value, `${key} reads from its layout-1 file`);
    }
    await bucket.set("a", 10);
    const files = await entryFiles(dir);
    assert.equal(files.length, 3, "the new file replaced the old one");
    assert.equal(files.filter((p) => p.includes("/")).length, 1, "and went into its shard");
    assert.equal(await bucket.delete("b"), true);
    assert.equal(await new Bucket(dir).get("b"), undefined, "deleted for good");
    assert.equal(await new Bucket(dir).get("a"), 10, "no older value resurfaces");
  });

  test("pruning moves live entries into shards and writes the layout file", async () => {
    const dir = await legacyDirectory(values);
    const bucket = new Bucket(dir);
    const pruned = await bucket.pruneDirectory();
    assert.deepEqual(pruned, { size: 0, num: 0 }, "nothing was expired or damaged");
    const files = await entryFiles(dir);
    assert.equal(files.length, 3);
    assert.ok(files.every((p) => /^[0-9a-f]{2}\//.test(p)), "every entry in a shard");
    await stat(join(dir, LAYOUT_FILE));
    const reader = new Bucket(dir);
    for (const [key, value] of Object.entries(values)) {
      assert.deepEqual(await reader.get(key), value);
    }
  });

  test("an entry written in the shard meanwhile wins over its layout-1 file", async () => {
    const dir = await legacyDirectory(values);
    const writer = new Bucket(dir);
    await writer.set("a", "new");
    // Put an old layout-1 file back beside the new one, as an old process might.
    const old = await legacyDirectory({ a: "old" });
    const [oldName] = await entryFiles(old);
    await rename(join(old, oldName), join(dir, oldName));
    await new Bucket(dir).pruneDirectory();
    assert.equal(await new Bucket(dir, { memory: false }).get("a"), "new");
    assert.equal((await entryFiles(dir)).filter((p) => !p.includes("/")).length, 0);
  });

  test("a directory made by hand (empty) gets layout 2 with its first entry", async () => {
    const dir = join(await makeTempDir(), "made");
    await mkdir(dir);
    await new Bucket(dir).set("k", 1);
    await stat(join(dir, LAYOUT_FILE));
  });
});
