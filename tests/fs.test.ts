import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultFileSystem, DenoFileSystem, MemoryFileSystem, NodeFileSystem } from "../mod.ts";
import { testFileSystem } from "./helpers/fs_contract.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { makeTempDir, removeDir, runtime } from "./helpers/temp.ts";

const onDisk = { makeDir: () => makeTempDir(), removeDir };

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
