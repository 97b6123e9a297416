// The contract every FileSystem adapter must meet, run against each adapter
// (the unstorage pattern): `testFileSystem("node", () => new NodeFileSystem(), …)`.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import {
  lstat,
  mkdir as mkdirOnDisk,
  stat as statOnDisk,
  symlink,
  writeFile,
} from "node:fs/promises";
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
  /**
   * Whether the adapter's paths are real paths of this machine (the disk
   * adapters): the suite then also makes symbolic links and other files with
   * `node:fs`, and counts this process's open file descriptors.
   */
  onDisk?: boolean;
}

/** This process's open file descriptors, where `/proc/self/fd` tells (Linux). */
const openDescriptors = (): number | undefined =>
  existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : undefined;

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

    test("readFile's bytes are the caller's: changing them changes nothing stored", async () => {
      const path = join(dir, "owned");
      await fs.writeFileAtomic(path, encode("kept as written"));
      const first = (await fs.readFile(path))!;
      first.fill(0x21);
      const again = (await fs.readFile(path))!;
      assert.equal(new TextDecoder().decode(again), "kept as written");
      again.fill(0x22);
      assert.equal(new TextDecoder().decode((await fs.readFile(path))!), "kept as written");
    });

    test("a file given as parts (writeFileAtomicParts, or joined where there is none) reads back in order", async () => {
      const writer = fs as FileSystem & {
        writeFileAtomicParts?: (path: string, parts: readonly Uint8Array[]) => Promise<void>;
      };
      const big = selfVerifyingBytes(3 * 1024 * 1024 + 5, 11);
      const parts = [encode("head "), new Uint8Array(), encode("framing "), big, encode(" tail")];
      const path = join(dir, "parts");
      if (typeof writer.writeFileAtomicParts === "function") {
        await writer.writeFileAtomicParts(path, parts);
      } else {
        await fs.writeFileAtomic(path, new Uint8Array(Buffer.concat(parts)));
      }
      const back = (await fs.readFile(path))!;
      assert.equal(back.byteLength, 5 + 8 + big.byteLength + 5);
      assert.equal(new TextDecoder().decode(back.subarray(0, 13)), "head framing ");
      assert.ok(verifiesItself(back.subarray(13, 13 + big.byteLength)));
      assert.equal(new TextDecoder().decode(back.subarray(13 + big.byteLength)), " tail");
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

    test("capabilities say whether directories are real", () => {
      assert.equal(fs.capabilities?.directories ?? true, setup.directories ?? true);
      assert.equal("noLegacyLayout" in fs, false, "noLegacyLayout is gone");
    });

    test("createExclusive: of 20 creators at once exactly one wins; readers see nothing or all", async () => {
      if (fs.createExclusive === undefined) return; // optional: lock then holds in one process
      const sub = join(dir, "exclusive");
      await fs.mkdir(sub);
      const path = join(sub, ".lease");
      const contents = Array.from({ length: 20 }, (_, i) => encode(`creator ${i} `.repeat(100)));
      const reads: (Uint8Array | null)[] = [];
      const [won] = await Promise.all([
        Promise.all(contents.map((data) => fs.createExclusive!(path, data))),
        (async () => {
          for (let i = 0; i < 20; i++) reads.push(await fs.readFile(path));
        })(),
      ]);
      assert.equal(won.filter(Boolean).length, 1, "exactly one creator won");
      const winner = contents[won.indexOf(true)];
      assert.deepEqual(await fs.readFile(path), winner);
      for (const read of reads) {
        if (read !== null) assert.deepEqual(read, winner, "a whole file, the winner's");
      }
      assert.equal(await fs.createExclusive!(path, encode("late")), false, "taken");
      assert.deepEqual(await fs.readFile(path), winner, "unchanged");
      assert.equal(await fs.removeIfUnchanged(path, winner), true);
      assert.equal(await fs.createExclusive!(path, encode("again")), true, "free again");
      const left = [];
      for await (const name of fs.list(sub, { includeTemporary: true })) left.push(name);
      assert.deepEqual(left, [".lease"], "no temporary file left");
    });

    test("removeIfUnchanged removes a file holding exactly what was seen, nothing else", async () => {
      const sub = join(dir, "judged");
      await fs.mkdir(sub);
      const path = join(sub, "entry");
      const value = encode("header:value");
      await fs.writeFileAtomic(path, value);
      assert.equal(await fs.removeIfUnchanged(path, encode("header:other")), false, "same size");
      assert.equal(await fs.removeIfUnchanged(path, encode("header:")), false, "a prefix");
      assert.equal(await fs.removeIfUnchanged(path, encode("header:value!")), false, "longer");
      assert.deepEqual(await fs.readFile(path), value, "kept");
      assert.equal(await fs.removeIfUnchanged(path, value.slice()), true);
      assert.equal(await fs.readFile(path), null, "removed");
      assert.equal(await fs.removeIfUnchanged(path, value), false, "missing is false");
      assert.equal(await fs.removeIfUnchanged(join(sub, "never"), value), false);

      await fs.writeFileAtomic(path, new Uint8Array());
      assert.equal(await fs.removeIfUnchanged(path, new Uint8Array()), true, "an empty file");

      await fs.writeFileAtomic(path, value);
      const prefixOnly = { prefixOnly: true };
      assert.equal(await fs.removeIfUnchanged(path, encode("header:v!"), prefixOnly), false);
      assert.equal(await fs.removeIfUnchanged(path, encode("header:value+"), prefixOnly), false);
      assert.equal(await fs.removeIfUnchanged(path, encode("xeader:"), prefixOnly), false);
      assert.deepEqual(await fs.readFile(path), value, "kept");
      assert.equal(await fs.removeIfUnchanged(path, encode("header:"), prefixOnly), true);
      assert.equal(await fs.readFile(path), null);
      await fs.writeFileAtomic(path, value);
      assert.equal(
        await fs.removeIfUnchanged(path, value, prefixOnly),
        true,
        "the whole as prefix",
      );
      await fs.writeFileAtomic(path, value);
      assert.equal(
        await fs.removeIfUnchanged(path, new Uint8Array(), prefixOnly),
        true,
        "an empty prefix matches any file",
      );

      const big = selfVerifyingBytes(300_000, 99);
      await fs.writeFileAtomic(path, big);
      const other = big.slice();
      other[150_000] ^= 1;
      assert.equal(await fs.removeIfUnchanged(path, other), false, "one byte differs");
      assert.equal(await fs.removeIfUnchanged(path, other.subarray(0, 200_000), prefixOnly), false);
      assert.ok(verifiesItself((await fs.readFile(path))!), "kept whole");
      assert.equal(await fs.removeIfUnchanged(path, big.subarray(0, 200_000), prefixOnly), true);
      assert.deepEqual(await collect(fs.list(sub, { includeTemporary: true })), [], "no leftovers");
    });

    test("removeIfUnchanged racing a writer never loses the newer value", async () => {
      const sub = join(dir, "judged-race");
      await fs.mkdir(sub);
      const path = join(sub, "entry");
      for (let round = 0; round < 60; round++) {
        // Above the disk adapters' default syncBelow: every step is asynchronous.
        const judged = selfVerifyingBytes(70_000 + round, 2 * round + 1);
        const newer = selfVerifyingBytes(70_000 + round, 2 * round + 2);
        await fs.writeFileAtomic(path, judged);
        const [removed] = await Promise.all([
          fs.removeIfUnchanged(path, judged),
          round % 2
            ? fs.writeFileAtomic(path, newer)
            : Promise.resolve().then(() => fs.writeFileAtomic(path, newer)),
        ]);
        assert.equal(typeof removed, "boolean");
        const now = await fs.readFile(path);
        assert.ok(now !== null, `round ${round}: the newer value is there (removed: ${removed})`);
        assert.ok(Buffer.from(now).equals(Buffer.from(newer)), `round ${round}: the newer value`);
      }
      assert.deepEqual(await collect(fs.list(sub, { includeTemporary: true })), ["entry"]);
    });

    test("recursive listing yields relative paths of files at every depth", async () => {
      const tree = join(dir, "tree");
      for (const sub of ["ab", "ab/cd", "empty", "ef"]) await fs.mkdir(join(tree, sub));
      const temporary = ".a.0123456789abcdef.tmp";
      for (
        const file of ["a", ".layout", temporary, "ab/b", `ab/${temporary}`, "ab/cd/c", "ef/e"]
      ) {
        await fs.writeFileAtomic(join(tree, file), encode(file));
      }
      assert.deepEqual(
        (await collect(fs.list(tree, { recursive: true }))).sort(),
        [".layout", "a", "ab/b", "ab/cd/c", "ef/e"],
      );
      assert.deepEqual(
        (await collect(fs.list(tree, { recursive: true, includeTemporary: true }))).sort(),
        [".layout", temporary, "a", "ab/b", `ab/${temporary}`, "ab/cd/c", "ef/e"].sort(),
      );
      assert.deepEqual((await collect(fs.list(tree))).sort(), [".layout", "a"], "not recursive");
      assert.deepEqual(
        (await collect(fs.list(join(tree, "ab"), { recursive: true }))).sort(),
        ["b", "cd/c"],
      );
      assert.deepEqual(await collect(fs.list(join(tree, "empty"), { recursive: true })), []);
      assert.deepEqual(await collect(fs.list(join(tree, "missing"), { recursive: true })), []);
      assert.deepEqual(await collect(fs.list(join(tree, "a"), { recursive: true })), [], "a file");
      // Stopping early is fine.
      for await (const name of fs.list(tree, { recursive: true })) {
        assert.equal(typeof name, "string");
        break;
      }
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
        await assert.rejects(fs.removeIfUnchanged(join(file, "child"), encode("y")), {
          code: "ENOTDIR",
        });
        assert.deepEqual(await collect(fs.list(file)), [], "a file lists nothing");
        assert.deepEqual(await collect(fs.list(file, { recursive: true })), []);
        assert.deepEqual(await collect(fs.list(join(file, "child"))), []);
      });

      test("removeIfUnchanged never removes a directory", async () => {
        const sub = join(dir, "not-removed");
        await fs.mkdir(sub);
        assert.equal(
          await fs.removeIfUnchanged(sub, new Uint8Array(), { prefixOnly: true }),
          false,
        );
        assert.equal(await fs.removeIfUnchanged(sub, new Uint8Array()), false);
        await fs.writeFileAtomic(join(sub, "still-there"), encode("x"));
        assert.deepEqual(await collect(fs.list(sub)), ["still-there"]);
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

    if (setup.onDisk) {
      test("symbolic links are never listed, descended into, touched through or removed", async () => {
        const links = join(dir, "links");
        const outside = join(dir, "outside");
        await fs.mkdir(join(links, "sub"));
        await fs.mkdir(outside);
        await fs.writeFileAtomic(join(links, "real"), encode("real"));
        await fs.writeFileAtomic(join(links, "sub", "inner"), encode("inner"));
        await fs.writeFileAtomic(join(outside, "victim"), encode("victim"));
        const past = new Date(Date.UTC(2020, 0, 2));
        await symlink(join(outside, "victim"), join(links, "to-file"));
        await symlink(outside, join(links, "to-dir"));
        await symlink(join(outside, "victim"), join(links, "sub", "to-file"));
        await symlink(join(dir, "nowhere"), join(links, "dangling"));
        await mkdirOnDisk(join(links, "to-dir-real"));
        await symlink(join(outside, "victim"), join(links, "to-dir-real", "only-a-link"));

        assert.deepEqual((await collect(fs.list(links))).sort(), ["real"]);
        assert.deepEqual(
          (await collect(fs.list(links, { recursive: true, includeTemporary: true }))).sort(),
          ["real", "sub/inner"],
        );

        const victimBefore = (await statOnDisk(join(outside, "victim"))).mtimeMs;
        assert.ok(fs.touch);
        assert.equal(await fs.touch(join(links, "to-file"), past.getTime()), false, "a link");
        assert.equal(await fs.touch(join(links, "dangling"), past.getTime()), false);
        assert.equal(await fs.touch(join(links, "sub"), past.getTime()), false, "a directory");
        assert.equal((await statOnDisk(join(outside, "victim"))).mtimeMs, victimBefore);

        const victim = encode("victim");
        assert.equal(await fs.removeIfUnchanged(join(links, "to-file"), victim), false);
        assert.equal(
          await fs.removeIfUnchanged(join(links, "to-file"), victim, { prefixOnly: true }),
          false,
        );
        assert.equal(
          await fs.removeIfUnchanged(join(links, "dangling"), new Uint8Array(), {
            prefixOnly: true,
          }),
          false,
        );
        assert.equal(
          await fs.removeIfUnchanged(join(links, "to-dir"), new Uint8Array(), { prefixOnly: true }),
          false,
        );
        assert.ok((await lstat(join(links, "to-file"))).isSymbolicLink(), "the link stays");
        assert.ok((await lstat(join(links, "to-dir"))).isSymbolicLink());
        assert.ok((await lstat(join(links, "dangling"))).isSymbolicLink());
        assert.deepEqual(await fs.readFile(join(outside, "victim")), victim, "the target stays");
        assert.deepEqual(
          (await collect(fs.list(links, { includeTemporary: true }))).sort(),
          ["real"],
          "nothing was left under a temporary name",
        );
        assert.deepEqual(await collect(fs.list(outside)), ["victim"]);
      });

      test("removeIfUnchanged skips sockets, FIFOs and other non-regular files", async () => {
        // A FIFO must never be opened (a read would block): only where mkfifo exists.
        const sub = join(dir, "special");
        await fs.mkdir(sub);
        const fifo = join(sub, "fifo");
        const { spawnSync } = await import("node:child_process");
        const made = spawnSync("mkfifo", [fifo]);
        if (made.status !== 0) return;
        assert.equal(
          await fs.removeIfUnchanged(fifo, new Uint8Array(), { prefixOnly: true }),
          false,
        );
        assert.equal(await fs.touch?.(fifo, Date.now()), false);
        assert.deepEqual(await collect(fs.list(sub, { recursive: true })), []);
        assert.ok((await lstat(fifo)).isFIFO(), "left alone");
      });

      const descriptors = openDescriptors();
      const reason = descriptors === undefined ? " (skipped: no /proc/self/fd here)" : "";
      test(
        `400 listings stopped early leave no directory open (a leak would be +400 file descriptors)${reason}`,
        { skip: descriptors === undefined },
        async () => {
          const tree = join(dir, "early");
          await fs.mkdir(join(tree, "ab"));
          for (let i = 0; i < 5; i++) await writeFile(join(tree, `f${i}`), "x");
          for (let i = 0; i < 5; i++) await writeFile(join(tree, "ab", `g${i}`), "x");
          // Warm up whatever the runtime opens once (thread pools, caches).
          for await (const _ of fs.list(tree, { recursive: true })) void _;
          const before = openDescriptors()!;
          for (let i = 0; i < 400; i++) {
            const recursive = i % 2 === 1;
            if (i % 4 < 2) {
              for await (const _ of fs.list(tree, { recursive })) break;
            } else if (i % 4 === 2) {
              await assert.rejects(async () => {
                for await (const _ of fs.list(tree, { recursive })) throw new Error("stop");
              }, /stop/);
            } else {
              // Stop inside the subdirectory.
              for await (const name of fs.list(tree, { recursive: true })) {
                if (name.startsWith("ab/")) break;
              }
            }
          }
          // A leak shows as one descriptor per listing (400); other work of the
          // test process (test files running in parallel, runtime threads) may
          // hold a few dozen at any moment.
          const leaked = openDescriptors()! - before;
          assert.ok(leaked < 100, `${leaked} more file descriptors open after 400 listings`);
        },
      );
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
