// The contract every FileSystem adapter must meet, run against each adapter
// (the unstorage pattern): `testFileSystem("node", () => new NodeFileSystem(), …)`.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { FileSystem } from "../../src/fs/types.ts";
import { collect } from "./temp.ts";

/** How to set up and tear down a place for the adapter under test. */
export interface ContractSetup {
  /** Creates an empty directory the adapter can use and returns its path. */
  makeDir(fs: FileSystem): Promise<string>;
  /** Removes what `makeDir` made. */
  removeDir?(dir: string): Promise<void>;
  /** How many rounds the replace/read race runs. */
  raceRounds?: number;
  /**
   * Whether the adapter has real directories (disk): a missing parent is
   * ENOENT, a file cannot hold files. `false` (Redis): directories are
   * implied by paths, and a test of that replaces the directory tests.
   */
  directories?: boolean;
}

/** A value that verifies itself: `[length:u32][payload][sha256(payload)]`. */
export function selfVerifyingBytes(size: number, seed: number): Uint8Array {
  const payload = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    payload[i] = x & 0xff;
  }
  const out = new Uint8Array(4 + size + 32);
  new DataView(out.buffer).setUint32(0, size);
  out.set(payload, 4);
  out.set(createHash("sha256").update(payload).digest(), 4 + size);
  return out;
}

/** Whether bytes are a complete, untorn self-verifying value. */
export function verifiesItself(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 36) return false;
  const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  if (bytes.byteLength !== 4 + size + 32) return false;
  const digest = createHash("sha256").update(bytes.subarray(4, 4 + size)).digest();
  return Buffer.from(bytes.subarray(4 + size)).equals(digest);
}

const encode = (text: string) => new TextEncoder().encode(text);

/** Runs the contract suite against one adapter. */
export function testFileSystem(name: string, create: () => FileSystem, setup: ContractSetup): void {
  describe(`FileSystem contract: ${name}`, () => {
    let fs: FileSystem;
    let dir: string;
    before(async () => {
      fs = create();
      dir = await setup.makeDir(fs);
    });
    after(async () => {
      await setup.removeDir?.(dir);
    });

    test("round-trips empty, small and multi-megabyte files", async () => {
      const big = selfVerifyingBytes(5 * 1024 * 1024, 7);
      for (
        const [file, data] of [["empty", new Uint8Array()], ["small", encode("hello")], [
          "big",
          big,
        ]] as const
      ) {
        await fs.writeFileAtomic(join(dir, file), data);
        const back = await fs.readFile(join(dir, file));
        assert.ok(back instanceof Uint8Array, `${file} reads back as a Uint8Array`);
        assert.equal(back.byteLength, data.byteLength);
        assert.ok(Buffer.from(back).equals(Buffer.from(data)), `${file} has the same bytes`);
      }
      assert.ok(verifiesItself((await fs.readFile(join(dir, "big")))!));
    });

    test("a missing file reads as null, stats as null, removes as false", async () => {
      assert.equal(await fs.readFile(join(dir, "nope")), null);
      assert.equal(await fs.readPrefix(join(dir, "nope"), 10), null);
      assert.equal(await fs.stat(join(dir, "nope")), null);
      assert.equal(await fs.remove(join(dir, "nope")), false);
    });

    test("overwrite replaces the whole content", async () => {
      const path = join(dir, "over");
      await fs.writeFileAtomic(path, encode("a much longer first value"));
      await fs.writeFileAtomic(path, encode("short"));
      assert.equal(new TextDecoder().decode((await fs.readFile(path))!), "short");
    });

    test("readPrefix reads at most the asked length", async () => {
      const path = join(dir, "prefix");
      await fs.writeFileAtomic(path, encode("0123456789"));
      assert.equal(new TextDecoder().decode((await fs.readPrefix(path, 4))!), "0123");
      assert.equal(new TextDecoder().decode((await fs.readPrefix(path, 100))!), "0123456789");
    });

    test("unicode and 200-character names", async () => {
      const names = ["ünïcødé-名前-🙂.bin", "x".repeat(200)];
      for (const file of names) {
        await fs.writeFileAtomic(join(dir, file), encode(file));
        assert.equal(new TextDecoder().decode((await fs.readFile(join(dir, file)))!), file);
      }
      const listed = await collect(fs.list(dir));
      for (const file of names) assert.ok(listed.includes(file), `${file} is listed`);
    });

    test("stat reports size and a recent modification time", async () => {
      const path = join(dir, "stat");
      const before = Date.now();
      await fs.writeFileAtomic(path, new Uint8Array(1234));
      const info = await fs.stat(path);
      assert.ok(info);
      assert.equal(info.size, 1234);
      assert.ok(Math.abs(info.mtimeMs - before) < 60_000, "mtime is close to now");
    });

    test("touch sets the modification time (to the second or better); a missing file is false", async () => {
      const path = join(dir, "touched");
      await fs.writeFileAtomic(path, encode("x"));
      assert.ok(fs.touch, "the adapter implements touch");
      const past = Date.UTC(2020, 0, 2, 3, 4, 5);
      assert.equal(await fs.touch(path, past), true);
      assert.ok(Math.abs((await fs.stat(path))!.mtimeMs - past) < 1000);
      assert.deepEqual(await fs.readFile(path), encode("x"), "content unchanged");
      assert.equal(await fs.touch(join(dir, "no-such-file"), past), false);
    });

    test("remove deletes a file and reports it", async () => {
      const path = join(dir, "gone");
      await fs.writeFileAtomic(path, encode("x"));
      assert.equal(await fs.remove(path), true);
      assert.equal(await fs.readFile(path), null);
      assert.equal(await fs.remove(path), false);
    });

    const directories = setup.directories ?? true;
    if (!directories) {
      test("directories are implied by paths: writes need no parent, listing shows direct children", async () => {
        const nested = join(dir, "v", "w");
        assert.deepEqual(await collect(fs.list(nested)), []);
        await fs.writeFileAtomic(join(nested, "f"), encode("x"));
        await fs.writeFileAtomic(join(nested, "deeper", "g"), encode("y"));
        await fs.mkdir(join(dir, "v", "empty")); // nothing to create, and no error
        assert.deepEqual(await collect(fs.list(nested)), ["f"]);
        assert.deepEqual(await collect(fs.list(join(nested, "deeper"))), ["g"]);
        assert.deepEqual(await collect(fs.list(join(dir, "v"))), []);
      });
    }

    if (directories) {
      test("a missing directory: writes reject with ENOENT, listing is empty, mkdir creates parents", async () => {
        const nested = join(dir, "a", "b", "c");
        await assert.rejects(fs.writeFileAtomic(join(nested, "f"), encode("x")), {
          code: "ENOENT",
        });
        assert.deepEqual(await collect(fs.list(nested)), []);
        await fs.mkdir(nested);
        await fs.mkdir(nested); // an existing directory is fine
        await fs.writeFileAtomic(join(nested, "f"), encode("x"));
        assert.deepEqual(await collect(fs.list(nested)), ["f"]);
      });

      test("a path that is a file cannot hold files: ENOTDIR, never 'missing'", async () => {
        const file = join(dir, "plain-file");
        await fs.writeFileAtomic(file, encode("x"));
        await assert.rejects(fs.writeFileAtomic(join(file, "child"), encode("y")), {
          code: "ENOTDIR",
        });
        await assert.rejects(fs.readFile(join(file, "child")), { code: "ENOTDIR" });
        await assert.rejects(fs.mkdir(join(file, "sub")), (error: { code?: string }) => {
          return error.code === "ENOTDIR" || error.code === "EEXIST";
        });
        await assert.rejects(collect(fs.list(file)), { code: "ENOTDIR" });
      });
    }

    test("listing names files only, never temporary files", async () => {
      const sub = join(dir, "listing");
      await fs.mkdir(sub);
      await fs.mkdir(join(sub, "subdir"));
      await Promise.all(
        ["one", "two", "three"].map((n) => fs.writeFileAtomic(join(sub, n), encode(n))),
      );
      assert.deepEqual((await collect(fs.list(sub))).sort(), ["one", "three", "two"]);
    });

    if (directories) {
      test("a failed replace leaves no temporary file and the old content", async () => {
        const sub = join(dir, "failing");
        await fs.mkdir(join(sub, "is-a-dir"));
        await fs.writeFileAtomic(join(sub, "kept"), encode("old"));
        // Renaming a file over a directory fails after the temporary file was written.
        await assert.rejects(fs.writeFileAtomic(join(sub, "is-a-dir"), encode("new")));
        assert.deepEqual(await collect(fs.list(sub, { includeTemporary: true })), ["kept"]);
        assert.equal(new TextDecoder().decode((await fs.readFile(join(sub, "kept")))!), "old");
      });
    }

    test("fsync option writes the same bytes", async () => {
      const path = join(dir, "synced");
      await fs.writeFileAtomic(path, encode("durable"), { fsync: true });
      assert.equal(new TextDecoder().decode((await fs.readFile(path))!), "durable");
    });

    test("readers racing atomic replaces never see a partial file", async () => {
      const path = join(dir, "race");
      await fs.writeFileAtomic(path, selfVerifyingBytes(1000, 1));
      const rounds = setup.raceRounds ?? 150;
      let writerDone = false;
      let reads = 0;
      const writer = (async () => {
        try {
          for (let i = 0; i < rounds; i++) {
            // Alternate sizes so a torn read could not look complete.
            await fs.writeFileAtomic(path, selfVerifyingBytes(i % 2 ? 300_000 : 1_000 + i, i + 2));
          }
        } finally {
          writerDone = true;
        }
      })();
      const reader = async () => {
        while (!writerDone) {
          const bytes = await fs.readFile(path);
          assert.ok(bytes, "the file never disappears during a replace");
          assert.ok(verifiesItself(bytes), "every read is a complete value");
          reads++;
          // Reads of small files may complete synchronously: give the event
          // loop a turn so the writer's asynchronous I/O can progress.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      };
      await Promise.all([writer, reader(), reader(), reader()]);
      assert.ok(reads > 0);
      assert.deepEqual(
        (await collect(fs.list(dir, { includeTemporary: true }))).filter((n) => n.endsWith(".tmp")),
        [],
        "no temporary files remain",
      );
    });

    test("concurrent writers of one path leave one complete value and no temporary files", async () => {
      const sub = join(dir, "writers");
      await fs.mkdir(sub);
      const path = join(sub, "target");
      await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) => fs.writeFileAtomic(path, selfVerifyingBytes(10_000 + i, i + 1)),
        ),
      );
      assert.ok(verifiesItself((await fs.readFile(path))!));
      assert.deepEqual(await collect(fs.list(sub, { includeTemporary: true })), ["target"]);
    });
  });
}
