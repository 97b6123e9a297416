import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  linkSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { open, readdir, writeFile } from "node:fs/promises";
import { constants as bufferConstants } from "node:buffer";
import { freemem, totalmem } from "node:os";
import { join } from "node:path";
import { defaultFileSystem, DenoFileSystem, MemoryFileSystem, NodeFileSystem } from "../mod.ts";
import type { FileSystem } from "../src/fs/types.ts";
import { isTemporaryName, temporaryPathFor, temporaryTarget } from "../src/fs/_temp.ts";
import { removeIfUnchangedWith, type RemoveSteps } from "../src/fs/_remove.ts";
import { testFileSystem } from "./helpers/fs_contract.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { makeTempDir, removeDir, runtime } from "./helpers/temp.ts";

const onDisk = { makeDir: () => makeTempDir(), removeDir, onDisk: true };

testFileSystem("NodeFileSystem", () => new NodeFileSystem(), onDisk);
testFileSystem(
  "NodeFileSystem, all asynchronous",
  () => new NodeFileSystem({ syncBelow: 0 }),
  onDisk,
);
testFileSystem(
  "NodeFileSystem, all synchronous up to 64 MiB",
  () => new NodeFileSystem({ syncBelow: 64 << 20 }),
  onDisk,
);
if (runtime === "deno") {
  testFileSystem("DenoFileSystem", () => new DenoFileSystem(), onDisk);
  testFileSystem(
    "DenoFileSystem, all asynchronous",
    () => new DenoFileSystem({ syncBelow: 0 }),
    onDisk,
  );
}
let memoryDirs = 0;
testFileSystem("MemoryFileSystem", () => new MemoryFileSystem(), {
  makeDir: async (fs) => {
    const dir = `/memory-${memoryDirs++}`;
    await fs.mkdir(dir);
    return dir;
  },
});
testFileSystem(
  "FaultyFileSystem without faults",
  () => new FaultyFileSystem(new NodeFileSystem()),
  onDisk,
);

describe("defaultFileSystem", () => {
  test("picks the runtime's own adapter", () => {
    assert.equal(defaultFileSystem().name, runtime === "deno" ? "deno" : "node");
    assert.equal(defaultFileSystem(), defaultFileSystem(), "the instance is shared");
  });
});

describe("disk adapter options", () => {
  test("syncBelow is checked", () => {
    assert.throws(() => new NodeFileSystem({ syncBelow: -1 }), RangeError);
    assert.throws(
      () => new NodeFileSystem({ sync: true } as never),
      /Unknown NodeFileSystem option "sync"/,
    );
    if (runtime === "deno") {
      assert.throws(() => new DenoFileSystem({ syncBelow: 1.5 }), /whole number/);
    }
  });
});

describe("FaultyFileSystem", () => {
  test("fails the chosen operation with the chosen code, then heals", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    await fs.mkdir("/d");
    assert.equal(fs.calls.mkdir, 1);
    fs.fail("writeFileAtomic", "ENOSPC", 1);
    await assert.rejects(fs.writeFileAtomic("/d/x", new Uint8Array([1])), { code: "ENOSPC" });
    assert.equal(await fs.readFile("/d/x"), null, "nothing was written");
    await fs.writeFileAtomic("/d/x", new Uint8Array([1]));
    fs.fail("readFile", "EIO");
    await assert.rejects(fs.readFile("/d/x"), { code: "EIO" });
    await assert.rejects(fs.readFile("/d/x"), { code: "EIO" });
    fs.heal();
    assert.deepEqual(await fs.readFile("/d/x"), new Uint8Array([1]));
    assert.equal(fs.calls.readFile, 4, "every call is counted, failed ones too");
  });
});

describe("temporary names", () => {
  test("temporaryPathFor makes .<target>.<16 hex>.tmp next to the target", () => {
    const path = temporaryPathFor("/cache/ab/ab12.sclone");
    assert.match(path, /^\/cache\/ab\/\.ab12\.sclone\.[0-9a-f]{16}\.tmp$/);
    assert.notEqual(path, temporaryPathFor("/cache/ab/ab12.sclone"), "fresh each time");
    const name = path.slice("/cache/ab/".length);
    assert.equal(isTemporaryName(name), true);
    assert.equal(temporaryTarget(name), "ab12.sclone");
  });

  test("temporaryTarget names the target of a temporary name, or undefined", () => {
    assert.equal(temporaryTarget(".x.sclone.0123456789abcdef.tmp"), "x.sclone");
    assert.equal(temporaryTarget("..hidden.0123456789abcdef.tmp"), ".hidden");
    assert.equal(temporaryTarget("ab/.ab12.sclone.0123456789abcdef.tmp"), "ab/ab12.sclone");
    assert.equal(temporaryTarget("a/b/.c.0123456789abcdef.tmp"), "a/b/c");
    for (
      const name of [
        "x.sclone",
        ".x.sclone",
        ".x.sclone.0123456789abcdef",
        ".x.sclone.0123456789ABCDEF.tmp",
        ".x.sclone.0123456789abcde.tmp",
        "..0123456789abcdef.tmp",
        ".ab/.c.0123456789abcdef.tmp/d",
        "",
      ]
    ) {
      assert.equal(temporaryTarget(name), undefined, name);
      assert.equal(isTemporaryName(name), false, name);
    }
  });
});

describe("removeIfUnchanged on disk, step by step", () => {
  /** The steps of _remove.ts on node:fs, with a hook after the rename. */
  const steps = (afterRename: (path: string) => void): RemoveSteps => ({
    lstat(path) {
      try {
        const info = lstatSync(path);
        return { file: info.isFile(), size: info.size };
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return null;
        throw error;
      }
    },
    rename(from, to) {
      renameSync(from, to);
      afterRename(from);
    },
    readStart(path, length) {
      const bytes = readFileSync(path);
      return { size: bytes.byteLength, bytes: bytes.subarray(0, length) };
    },
    link: (existing, created) => linkSync(existing, created),
    unlink: (path) => unlinkSync(path),
  });
  const encode = (text: string) => new TextEncoder().encode(text);

  test("a file replaced before the rename is linked back; a newer one landing meanwhile wins", async () => {
    const dir = await makeTempDir();
    const path = join(dir, "entry");
    try {
      // Replaced between the judgement and the rename: it is put back.
      writeFileSync(path, "replaced");
      assert.equal(
        await removeIfUnchangedWith(steps(() => {}), path, encode("judged!!"), false),
        false,
      );
      assert.equal(readFileSync(path, "utf8"), "replaced");

      // A writer lands while the file is out of the way: link fails with
      // EEXIST, the newer file stays, the private one is discarded.
      writeFileSync(path, "replaced");
      const landing = steps((from) => writeFileSync(from, "newest"));
      assert.equal(await removeIfUnchangedWith(landing, path, encode("judged!!"), false), false);
      assert.equal(readFileSync(path, "utf8"), "newest");

      // The judged file is removed even if a newer one lands meanwhile; that one stays.
      writeFileSync(path, "judged!!");
      assert.equal(await removeIfUnchangedWith(landing, path, encode("judged!!"), false), true);
      assert.equal(readFileSync(path, "utf8"), "newest");

      // The private file vanishing (pruned as an orphan) is no error.
      writeFileSync(path, "replaced");
      const pruned = steps(() => {
        const taken = readdirSync(dir).find((name) => isTemporaryName(name))!;
        unlinkSync(join(dir, taken));
      });
      assert.equal(await removeIfUnchangedWith(pruned, path, encode("judged!!"), false), false);
      assert.deepEqual(await readdir(dir), [], "nothing to put back");
      assert.deepEqual(readdirSync(dir).filter(isTemporaryName), []);
    } finally {
      await removeDir(dir);
    }
  });

  test("errors other than 'missing' reject with the runtime's error", async () => {
    const fs = new NodeFileSystem();
    const dir = await makeTempDir();
    try {
      writeFileSync(join(dir, "file"), "x");
      await assert.rejects(fs.removeIfUnchanged(join(dir, "file", "x"), encode("x")), {
        code: "ENOTDIR",
      });
    } finally {
      await removeDir(dir);
    }
  });
});

describe("files over 2 GiB", () => {
  // A sparse file: hardly any disk, but each read holds 2.2 GiB in memory.
  const size = Math.round(2.2 * 2 ** 30);
  const marks = [[0, 1], [2 ** 31 - 1, 2], [2 ** 31, 3], [2 ** 31 + 12345, 4], [size - 1, 5]];
  const GiB = 2 ** 30;
  let skip = "";
  try {
    const tmp = (globalThis as { process?: { env: Record<string, string | undefined> } })
      .process?.env.TMPDIR ?? "/tmp";
    const disk = statfsSync(tmp);
    if (Number(disk.bavail) * Number(disk.bsize) < 3 * GiB) skip = "less than 3 GiB free on disk";
  } catch {
    // No statfs here: a sparse file needs next to no space anyway.
  }
  if (!skip && (totalmem() < 8 * GiB || freemem() < 5 * GiB)) skip = "less than 5 GiB free memory";
  const adapters: [string, () => FileSystem][] = [
    ["NodeFileSystem", () => new NodeFileSystem()],
    ["NodeFileSystem, all asynchronous", () => new NodeFileSystem({ syncBelow: 0 })],
    ["NodeFileSystem, synchronous up to 3 GiB", () => new NodeFileSystem({ syncBelow: 3 * GiB })],
  ];
  if (runtime === "deno") adapters.push(["DenoFileSystem", () => new DenoFileSystem()]);
  test(
    `readFile of a 2.2 GiB file on ${adapters.map(([name]) => name).join(", ")}` +
      (skip ? ` (skipped: ${skip})` : ""),
    // Each read takes a few seconds; Bun's default timeout is 5 s.
    { skip: skip !== "", timeout: 300_000 },
    async () => {
      const dir = await makeTempDir();
      try {
        const path = join(dir, "huge");
        const handle = await open(path, "w");
        try {
          await handle.truncate(size);
          for (const [at, value] of marks) await handle.write(new Uint8Array([value]), 0, 1, at);
        } finally {
          await handle.close();
        }
        for (const [name, create] of adapters) {
          let bytes: Uint8Array | null = await create().readFile(path);
          assert.ok(bytes instanceof Uint8Array, name);
          assert.equal(bytes.byteLength, size, `${name}: the whole file`);
          for (const [at, value] of marks) assert.equal(bytes[at], value, `${name}: byte ${at}`);
          assert.equal(bytes[1], 0);
          assert.equal(bytes[2 ** 31 + 1], 0);
          bytes = null;
        }
        await writeFile(path, "small again");
        assert.deepEqual(
          await new NodeFileSystem().readFile(path),
          new TextEncoder().encode("small again"),
        );
      } finally {
        await removeDir(dir);
      }
    },
  );
});

describe("files larger than a Uint8Array holds", () => {
  const limit = bufferConstants.MAX_LENGTH;
  const small = limit < 2 ** 34;
  test(
    `NodeFileSystem rejects them with a RangeError naming the limit` +
      (small ? "" : ` (skipped: this runtime's Uint8Array holds ${limit} bytes)`),
    { skip: !small },
    async () => {
      const dir = await makeTempDir();
      try {
        const path = join(dir, "too-big");
        const handle = await open(path, "w");
        await handle.truncate(limit + 1); // sparse: no disk, nothing read
        await handle.close();
        await assert.rejects(new NodeFileSystem().readFile(path), (error: Error) => {
          assert.ok(error instanceof RangeError);
          assert.match(error.message, new RegExp(`${limit + 1} bytes`));
          assert.match(error.message, new RegExp(`${limit} bytes`));
          return true;
        });
      } finally {
        await removeDir(dir);
      }
    },
  );
});
