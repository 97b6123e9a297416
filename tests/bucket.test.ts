import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import {
  Backend,
  BackendLoadError,
  Bucket,
  DefaultKeyMaker,
  type Entry,
  JSONBackend,
  KeyError,
  MemoryFileSystem,
  MessagePackBackend,
  StreamingDefaultKeyMaker,
  StructuredCloneBackend,
} from "../mod.ts";
import { entryFiles, onlyFile, overwrite, sleep, tempBucket } from "./helpers/bucket.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { NodeFileSystem } from "../mod.ts";

const backends = [
  ["StructuredCloneBackend", StructuredCloneBackend],
  ["JSONBackend", JSONBackend],
  ["MessagePackBackend", MessagePackBackend],
] as const;

for (const [name, backend] of backends) {
  describe(`Bucket with ${name}`, () => {
    test("retrieval: set, get, getitem, has; from memory and from disk", async () => {
      const bucket = await tempBucket({ backend });
      assert.deepEqual(await entryFiles(bucket), [], "no I/O before the first write");
      await bucket.set("key", { a: [1, 2, "three"] });
      assert.deepEqual(await bucket.get("key"), { a: [1, 2, "three"] });
      assert.deepEqual(await bucket.getitem("key"), { a: [1, 2, "three"] });
      assert.equal(await bucket.has("key"), true);
      assert.equal(
        (await entryFiles(bucket)).length,
        1,
        "one file per key, parent directories created",
      );
      const fresh = new Bucket(bucket.path, { backend });
      assert.deepEqual(
        await fresh.get("key"),
        { a: [1, 2, "three"] },
        "a new bucket reads the file",
      );
      await bucket.setitem("key", "replaced");
      assert.equal(await bucket.get("key"), "replaced");
    });

    test("missing keys: get is undefined, getitem rejects with KeyError carrying the key", async () => {
      const bucket = await tempBucket({ backend });
      assert.equal(await bucket.get({ nope: 1 }), undefined);
      assert.equal(await bucket.has({ nope: 1 }), false);
      await assert.rejects(bucket.getitem({ nope: 1 }), (error: unknown) => {
        assert.ok(error instanceof KeyError);
        assert.deepEqual(error.key, { nope: 1 });
        assert.match(error.message, /No value for key \{"nope":1\}/);
        return true;
      });
      const long = "x".repeat(500);
      await assert.rejects(bucket.getitem(long), (error: Error) => error.message.length < 120);
    });

    test("delete: removes memory and file; deleting again is not an error", async () => {
      const bucket = await tempBucket({ backend });
      await bucket.set([1, 2], "value");
      assert.equal(await bucket.delete([1, 2]), true);
      assert.equal(await bucket.get([1, 2]), undefined);
      assert.deepEqual(await entryFiles(bucket), []);
      assert.equal(await bucket.delete([1, 2]), false);
      assert.equal(await bucket.delete("never set"), false);
    });

    test("unloadKey drops the memory copy and the next read comes from the file", async () => {
      const bucket = await tempBucket({ backend });
      const value = { n: 1 };
      await bucket.set("k", value);
      assert.equal(await bucket.get("k"), value, "memory serves the same object");
      await bucket.unloadKey("k");
      const loaded = await bucket.get("k");
      assert.deepEqual(loaded, { n: 1 });
      assert.notEqual(loaded, value, "a new object from the file");
      await bucket.unloadKey("never set");
    });

    test("corruption: damaged files of ours read as missing and are removed", async () => {
      const bucket = await tempBucket({ backend });
      const damages: [string, (bytes: Uint8Array) => Uint8Array | string][] = [
        ["truncated payload", (b) => b.subarray(0, b.length - 1)],
        ["truncated header", (b) => b.subarray(0, 20)],
        ["flipped payload bit", (b) => {
          const c = b.slice();
          c[c.length - 1] ^= 0x01;
          return c;
        }],
        ["appended garbage", (b) => new Uint8Array([...b, 1, 2, 3])],
        ["damaged header", (b) => {
          const c = b.slice();
          c[14] = "x".charCodeAt(0);
          return c;
        }],
      ];
      for (const [label, damage] of damages) {
        await bucket.set("k", { v: label });
        await bucket.unloadKey("k");
        const { path, bytes } = await onlyFile(bucket);
        await overwrite(path, damage(bytes));
        assert.equal(await bucket.get("k"), undefined, `${label} reads as missing`);
        assert.deepEqual(await entryFiles(bucket), [], `${label}: the file is removed`);
      }
      // A valid header over a payload the backend cannot decode.
      await bucket.set("k", "v");
      await bucket.unloadKey("k");
      assert.equal(await bucket.has("k"), true);
    });

    test("files that are not ours (no header, a newer format) read as missing and stay", async () => {
      const bucket = await tempBucket({ backend });
      const foreign: [string, (bytes: Uint8Array) => Uint8Array | string][] = [
        ["empty file", () => new Uint8Array()],
        ["garbage", () => "this is not an entry file at all, just some text that is long enough"],
        ["future format version", (b) => {
          const c = b.slice();
          c[12] = "9".charCodeAt(0);
          return c;
        }],
      ];
      for (const [label, replace] of foreign) {
        await bucket.set("k", { v: label });
        await bucket.unloadKey("k");
        const { path, bytes } = await onlyFile(bucket);
        const replaced = replace(bytes);
        await overwrite(path, replaced);
        assert.equal(await bucket.get("k"), undefined, `${label} reads as missing`);
        assert.equal(await bucket.has("k"), false);
        assert.deepEqual(
          (await onlyFile(bucket)).bytes,
          typeof replaced === "string" ? new TextEncoder().encode(replaced) : replaced,
          `${label}: left alone`,
        );
        await bucket.delete("k");
        await overwrite(path, "");
        await new NodeFileSystem().remove(path);
      }
    });

    test("complex keys: objects in any order, Maps, Sets, Dates, typed arrays", async () => {
      const bucket = await tempBucket({ backend });
      await bucket.set({ b: [1, { c: new Set([2, 1]) }], a: new Date(0) }, "complex");
      await bucket.unloadKey({ a: new Date(0), b: [1, { c: new Set([1, 2]) }] });
      assert.equal(await bucket.get({ a: new Date(0), b: [1, { c: new Set([1, 2]) }] }), "complex");
      await bucket.set(new Uint8Array([1, 2]), "bytes");
      assert.equal(
        await bucket.get(new Int8Array([1, 2])),
        undefined,
        "element type is part of the key",
      );
      assert.equal(await bucket.get(new Uint8Array([1, 2])), "bytes");
    });
  });
}

describe("expiry", () => {
  test("expiration: an entry reads as missing after its lifetime and its file is deleted", async () => {
    const bucket = await tempBucket({ milliseconds: 400, clockTolerance: 0 });
    await bucket.set("k", "v");
    assert.equal(await bucket.get("k"), "v");
    await sleep(500);
    assert.equal(await bucket.get("k"), undefined, "expired in memory");
    assert.deepEqual(await entryFiles(bucket), [], "reading it deleted the file");
  });

  test("expiration after reload: a new bucket sees the expiry in the file", async () => {
    const bucket = await tempBucket({ lifetime: 400 });
    await bucket.set("k", "v");
    await sleep(500);
    const reloaded = new Bucket(bucket.path, { lifetime: 400 });
    assert.equal(await reloaded.get("k"), undefined);
    assert.equal((await entryFiles(bucket)).length, 1, "kept within the clock tolerance");
    const strict = new Bucket(bucket.path, { lifetime: 400, clockTolerance: 0 });
    assert.equal(await strict.get("k"), undefined);
    assert.deepEqual(await entryFiles(bucket), [], "deleted once past it");
  });

  test("expiration reset: set always resets the expiry to now + lifetime", async () => {
    const bucket = await tempBucket({ lifetime: 600 });
    await bucket.set("k", 1);
    await sleep(350);
    await bucket.set("k", 2);
    await sleep(350);
    assert.equal(await bucket.get("k"), 2, "700 ms after the first set, 350 after the second");
  });

  test("lifetime change: a shorter lifetime expires entries written with a longer one or none", async () => {
    const forever = await tempBucket();
    await forever.set("no expiry", 1);
    const shorter = new Bucket(forever.path, { minutes: 1 });
    assert.equal(
      await shorter.get("no expiry"),
      undefined,
      "no expiry date and the bucket now has a lifetime",
    );
    const long = await tempBucket({ hours: 2 });
    await long.set("k", 1);
    long.lifetime = { minutes: 1 };
    assert.equal(long.lifetime, 60_000);
    assert.equal(await long.get("k"), undefined, "applies at once to loaded entries");
    long.lifetime = 0;
    assert.equal(long.lifetime, null, "zero means never expires");
    await long.set("k2", 2);
    long.lifetime = { hours: 3 };
    assert.equal(
      await long.get("k2"),
      undefined,
      "an entry without expiry is expired by a new lifetime",
    );
  });

  test("a longer lifetime keeps entries readable until their own expiry", async () => {
    const bucket = await tempBucket({ minutes: 1 });
    await bucket.set("k", 1);
    bucket.lifetime = { hours: 1 };
    assert.equal(await bucket.get("k"), 1);
  });

  test("per-entry lifetime: set(key, value, { lifetime }) keeps its own, whatever the bucket's", async () => {
    const bucket = await tempBucket({ minutes: 1 });
    await bucket.set("own long", 1, { lifetime: { hours: 5 } });
    await bucket.set("own forever", 2, { lifetime: 0 });
    await bucket.set("own short", 3, { lifetime: 300 });
    bucket.lifetime = 1000;
    assert.equal(await bucket.get("own long"), 1, "the bucket's shorter lifetime does not apply");
    assert.equal(await bucket.get("own forever"), 2);
    await sleep(400);
    assert.equal(await bucket.get("own short"), undefined, "its own short lifetime does");
    const reloaded = new Bucket(bucket.path, { lifetime: 5 });
    assert.equal(await reloaded.get("own long"), 1, "kept in the file");
  });

  test("expiring an entry whose file is already gone is not an error", async () => {
    const bucket = await tempBucket({ lifetime: 200 });
    await bucket.set("k", 1);
    const { path } = await onlyFile(bucket);
    await new NodeFileSystem().remove(path);
    await sleep(300);
    assert.equal(await bucket.get("k"), undefined);
  });
});

describe("pruneDirectory", () => {
  test("deletes expired and damaged files of this backend, reports bytes and count, keeps the rest", async () => {
    const bucket = await tempBucket({ lifetime: 300, clockTolerance: 0 });
    await bucket.set("old", "x".repeat(100));
    await sleep(400);
    await bucket.set("fresh", 1);
    await bucket.set("forever", 2, { lifetime: 0 });
    const other = new Bucket(bucket.path, { backend: JSONBackend, lifetime: 1 });
    await other.set("json", 3);
    await writeFile(join(bucket.path, `${"a".repeat(64)}.sclone`), "bucketcache/1 damaged");
    await writeFile(join(bucket.path, `${"b".repeat(64)}.sclone`), "no header: not ours");
    await writeFile(join(bucket.path, "notes.txt"), "not ours");
    const before = await entryFiles(bucket);
    assert.equal(before.length, 7);
    const pruned = await bucket.pruneDirectory();
    assert.equal(pruned.num, 2, "the expired entry and the damaged file");
    assert.ok(pruned.size > 100);
    const after = await entryFiles(bucket);
    assert.equal(after.length, 5);
    assert.ok(after.includes("notes.txt"));
    assert.ok(after.includes(`${"b".repeat(64)}.sclone`), "a file without our header stays");
    assert.equal(await bucket.get("fresh"), 1);
    assert.equal(await bucket.get("forever"), 2);
    assert.deepEqual(await bucket.pruneDirectory(), { size: 0, num: 0 });
    assert.deepEqual(await new Bucket(join(bucket.path, "none")).pruneDirectory(), {
      size: 0,
      num: 0,
    });
  });

  test("reports progress as the walk moves from shard to shard, ending at 257 of 257", async () => {
    const bucket = await tempBucket();
    for (let i = 0; i < 30; i++) await bucket.set(i, i);
    const seen: { directories: number; of: number; files: number }[] = [];
    await bucket.pruneDirectory({ onProgress: (progress) => void seen.push(progress) });
    const shards = new Set((await entryFiles(bucket)).map((f) => f.slice(0, 2))).size;
    assert.equal(seen.length, shards + 1, "once per shard met, and once at the end");
    assert.ok(seen.every((p, i) => i === 0 || p.directories > seen[i - 1].directories));
    assert.equal(seen.at(-1)!.directories, 257);
    assert.ok(seen.every((p) => p.of === 257));
    assert.equal(seen.at(-1)!.files, 30);
    await assert.rejects(bucket.pruneDirectory({ onProgress: 5 as never }), TypeError);
  });

  test("removes orphaned temporary files older than 15 minutes, keeps recent ones", async () => {
    const bucket = await tempBucket();
    await bucket.set("k", 1);
    const old = join(bucket.path, `.${"b".repeat(64)}.sclone.0123456789abcdef.tmp`);
    const recent = join(bucket.path, `.${"c".repeat(64)}.sclone.fedcba9876543210.tmp`);
    await writeFile(old, "partial");
    await writeFile(recent, "in progress");
    const longAgo = new Date(Date.now() - 16 * 60 * 1000);
    await utimes(old, longAgo, longAgo);
    assert.deepEqual(await bucket.pruneDirectory(), { size: 7, num: 1 });
    assert.ok(await stat(recent));
  });
});

describe("atomic, all-or-nothing writes", () => {
  test("a value that cannot be serialised rejects with a TypeError and changes nothing", async () => {
    for (const [, backend] of backends) {
      const bucket = await tempBucket({ backend });
      await bucket.set("k", { good: 1 });
      const { bytes } = await onlyFile(bucket);
      await assert.rejects(bucket.set("k", { bad: () => 1 }), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /function/);
        assert.match(error.message, /bad/);
        return true;
      });
      assert.deepEqual(await bucket.get("k"), { good: 1 }, "memory keeps the old value");
      assert.deepEqual((await onlyFile(bucket)).bytes, bytes, "the file is unchanged");
      await bucket.unloadKey("k");
      assert.deepEqual(await bucket.get("k"), { good: 1 });
    }
  });

  test("errors that are not 'missing' reject with the runtime's error", async () => {
    const base = await makeTempDir();
    await writeFile(join(base, "file"), "x");
    const bucket = new Bucket(join(base, "file", "cache"));
    await assert.rejects(bucket.set("k", 1), { code: "ENOTDIR" });
    await assert.rejects(bucket.get("k"), { code: "ENOTDIR" });
    const faulty = new FaultyFileSystem(new MemoryFileSystem());
    const b2 = new Bucket("/c", { fs: faulty });
    await b2.set("k", 1);
    await b2.unloadKey("k");
    faulty.fail("readFile", "EACCES", 1);
    await assert.rejects(b2.get("k"), { code: "EACCES" });
    assert.equal(await b2.get("k"), 1, "the value is still there");
    faulty.fail("writeFileAtomic", "ENOSPC", 1);
    await assert.rejects(b2.set("k", 2), { code: "ENOSPC" });
    assert.equal(await b2.get("k"), 1, "a failed write leaves the previous value in memory");
    await b2.unloadKey("k");
    assert.equal(await b2.get("k"), 1, "and on disk");
  });

  test("concurrent sets of one key: memory and disk agree on the last", async () => {
    const bucket = await tempBucket();
    await Promise.all(Array.from({ length: 20 }, (_, i) => bucket.set("k", i)));
    const inMemory = await bucket.get("k");
    await bucket.unloadKey("k");
    assert.equal(await bucket.get("k"), inMemory);
  });

  test("a read racing a write never puts the older value back in memory", async () => {
    const bucket = await tempBucket();
    await bucket.set("k", "old");
    for (let i = 0; i < 20; i++) {
      await bucket.unloadKey("k");
      const reading = bucket.get("k");
      await bucket.set("k", `new ${i}`);
      await reading;
      assert.equal(await bucket.get("k"), `new ${i}`);
    }
  });
});

describe("memory layer", () => {
  test("bounded by entries, least recently used evicted first", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/m", { fs, memory: { maxEntries: 2 } });
    await bucket.set("a", 1);
    await bucket.set("b", 2);
    await bucket.get("a"); // a is now more recent than b
    await bucket.set("c", 3); // evicts b
    const reads = fs.calls.readFile;
    assert.equal(await bucket.get("a"), 1);
    assert.equal(await bucket.get("c"), 3);
    assert.equal(fs.calls.readFile, reads, "a and c come from memory");
    assert.equal(await bucket.get("b"), 2);
    assert.equal(fs.calls.readFile, reads + 1, "b was evicted and read from the file");
  });

  test("bounded by bytes", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/m", { fs, memory: { maxBytes: 3000 } });
    for (let i = 0; i < 5; i++) await bucket.set(i, "x".repeat(1000));
    const reads = fs.calls.readFile;
    await bucket.get(4);
    assert.equal(fs.calls.readFile, reads, "the newest is in memory");
    await bucket.get(0);
    assert.equal(fs.calls.readFile, reads + 1, "the oldest was evicted");
  });

  test("memory: false sends every read to the file", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/m", { fs, memory: false });
    await bucket.set("a", { x: 1 });
    assert.deepEqual(await bucket.get("a"), { x: 1 });
    assert.deepEqual(await bucket.get("a"), { x: 1 });
    assert.equal(fs.calls.readFile, 2);
  });

  test('recently used primitive keys stay exact: -0 and 0, 1 and "1", many keys', async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/k", { fs });
    await bucket.set(0, "zero");
    await bucket.set(-0, "minus zero");
    await bucket.set(1, "number");
    await bucket.set("1", "string");
    await bucket.set(1n, "bigint");
    for (let round = 0; round < 2; round++) {
      assert.equal(await bucket.get(0), "zero");
      assert.equal(await bucket.get(-0), "minus zero");
      assert.equal(await bucket.get(1), "number");
      assert.equal(await bucket.get("1"), "string");
      assert.equal(await bucket.get(1n), "bigint");
    }
    for (let i = 0; i < 10_050; i++) await bucket.set(`k${i}`, i);
    for (let i = 0; i < 10_050; i += 997) assert.equal(await bucket.get(`k${i}`), i);
    const reader = new Bucket("/k", { fs, memory: false });
    assert.equal(await reader.get("1"), "string", "the same files from a new bucket");
    assert.equal(await reader.get(-0), "minus zero");
  });

  test("served by reference, as the original", async () => {
    const bucket = new Bucket("/m", { fs: new MemoryFileSystem() });
    const value = { list: [1] };
    await bucket.set("k", value);
    (await bucket.get("k")).list.push(2);
    assert.deepEqual(value.list, [1, 2]);
  });
});

describe("key makers", () => {
  test("StreamingDefaultKeyMaker names entries exactly as DefaultKeyMaker", async () => {
    const fs = new MemoryFileSystem();
    const plain = new Bucket("/k", { fs, keymaker: new DefaultKeyMaker() });
    await plain.set({ big: "x".repeat(1000) }, "v");
    const streaming = new Bucket("/k", { fs, keymaker: new StreamingDefaultKeyMaker() });
    assert.equal(await streaming.get({ big: "x".repeat(1000) }), "v");
    assert.equal(await streaming.get({ big: "x".repeat(999) }), undefined);
  });

  test("a bad key rejects with the key maker's TypeError", async () => {
    const bucket = new Bucket("/k", { fs: new MemoryFileSystem() });
    await assert.rejects(
      bucket.set({ f: () => 1 }, 1),
      /Cannot make a key from function f at key\.f/,
    );
    await assert.rejects(bucket.get(Symbol("s")), TypeError);
  });
});

describe("constructor", () => {
  test("valid forms", () => {
    assert.equal(new Bucket("c", { hours: 1 }).lifetime, 3_600_000);
    assert.equal(new Bucket("c", { days: 1, seconds: 1, microseconds: 1000 }).lifetime, 86_401_001);
    assert.equal(new Bucket("c", { lifetime: { weeks: 1 } }).lifetime, 604_800_000);
    assert.equal(new Bucket("c", { lifetime: 0 }).lifetime, null);
    assert.equal(new Bucket("c").lifetime, null);
    assert.equal(new Bucket(new URL("file:///tmp/x")).path, "/tmp/x");
    assert.ok(new Bucket("rel").path.endsWith("/rel") && new Bucket("rel").path.startsWith("/"));
    assert.equal(
      new Bucket("c", { backend: new JSONBackend({ space: 2 }) }).backend.fileExtension,
      "json",
    );
    const bucket = new Bucket("c");
    assert.throws(() => (bucket.lifetime = -5), RangeError);
    assert.equal(bucket.lifetime, null, "a rejected lifetime changes nothing");
  });
});

describe("custom backends", () => {
  class UpperBackend extends Backend {
    static override readonly configKeys = ["suffix"];
    readonly fileExtension = "upper";
    readonly binaryFormat = false;
    dump(entry: Entry): string {
      return String(entry.value).toUpperCase() + ((this.config.suffix as string) ?? "");
    }
    load(data: Uint8Array): Entry {
      const text = new TextDecoder().decode(data);
      if (text.includes("!")) throw new BackendLoadError("bang");
      return { value: text, expirationDate: null };
    }
  }

  test("a subclass with config works; its load errors make the file damaged", async () => {
    const bucket = await tempBucket({ backend: UpperBackend, config: { suffix: "?" } });
    await bucket.set("k", "hello");
    await bucket.unloadKey("k");
    assert.equal(await bucket.get("k"), "HELLO?");
    assert.match((await entryFiles(bucket))[0], /^([0-9a-f]{2})\/\1[0-9a-f]{62}\.upper$/);
    await bucket.set("k", "bang!");
    await bucket.unloadKey("k");
    assert.equal(await bucket.get("k"), undefined, "BackendLoadError reads as missing");
    assert.deepEqual(await entryFiles(bucket), []);
  });

  test("the same key under two backends is two entries", async () => {
    const fs = new MemoryFileSystem();
    const a = new Bucket("/same", { fs });
    const b = new Bucket("/same", { fs, backend: MessagePackBackend });
    await a.set("k", "structured");
    await b.set("k", "msgpack");
    assert.equal(await new Bucket("/same", { fs }).get("k"), "structured");
    assert.equal(
      await new Bucket("/same", { fs, backend: MessagePackBackend }).get("k"),
      "msgpack",
    );
  });
});

describe("entry file format", () => {
  test("header line: version, flag, expiry, length, CRC-32; then the payload", async () => {
    const bucket = await tempBucket({ backend: JSONBackend });
    const before = Date.now();
    await bucket.set("k", { a: 1 }, { lifetime: 60_000 });
    const { bytes } = await onlyFile(bucket);
    const text = new TextDecoder().decode(bytes);
    const match = text.match(
      /^bucketcache\/1 o ([0-9a-f]{16}) ([0-9a-f]{12}) ([0-9a-f]{8})\n(.*)$/s,
    );
    assert.ok(match, text);
    const expiry = parseInt(match[1], 16);
    assert.ok(expiry >= before + 60_000 && expiry <= Date.now() + 60_000);
    assert.equal(parseInt(match[2], 16), match[4].length);
    assert.equal(match[4], '{"a":1}', "the rest of a JSON entry is JSON text");
    await bucket.set("never", 1);
    const lines = await Promise.all(
      (await entryFiles(bucket)).map((n) => readFile(join(bucket.path, n), "utf8")),
    );
    assert.ok(lines.some((l) => l.startsWith("bucketcache/1 b ---------------- ")));
  });

  test("directory for a nested path is created on first write", async () => {
    const base = await makeTempDir();
    await mkdir(join(base, "exists"));
    const bucket = new Bucket(join(base, "a", "b", "c"));
    await bucket.set(1, 1);
    assert.equal((await stat(bucket.path)).isDirectory(), true);
  });
});
