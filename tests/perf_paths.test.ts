// The adapters' fast paths (issue 19): synchronous calls only when nothing
// else is in flight, and the same results whichever path an operation takes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Bucket, DenoFileSystem, NodeFileSystem } from "../mod.ts";
import type { FileSystem } from "../src/fs/types.ts";
import { InFlight } from "../src/fs/_in_flight.ts";
import { makeTempDir, removeDir, runtime } from "./helpers/temp.ts";

describe("InFlight", () => {
  test("a sequential caller finds nothing in flight each time", async () => {
    const flight = new InFlight();
    const seen: boolean[] = [];
    const op = (alone: boolean) => {
      seen.push(alone);
      return Promise.resolve(alone);
    };
    for (let i = 0; i < 5; i++) await flight.run(op);
    // Through another async layer (as Store awaits the adapter).
    const layered = async () => await flight.run(op);
    for (let i = 0; i < 5; i++) await layered();
    assert.deepEqual(seen, Array(10).fill(true));
    assert.equal(flight.count, 0);
  });

  test("operations started together find the earlier ones in flight", async () => {
    const flight = new InFlight();
    const seen: boolean[] = [];
    const op = (alone: boolean) => {
      seen.push(alone);
      return Promise.resolve();
    };
    const layered = async () => {
      await Promise.resolve();
      await flight.run(op);
    };
    await Promise.all(Array.from({ length: 10 }, layered));
    assert.deepEqual(seen, [true, ...Array(9).fill(false)]);
    assert.equal(flight.count, 0);
  });

  test("a failed operation leaves the count", async () => {
    const flight = new InFlight();
    await assert.rejects(flight.run(() => Promise.reject(new Error("x"))), /x/);
    assert.throws(() =>
      flight.run(() => {
        throw new Error("sync");
      }), /sync/);
    assert.equal(flight.count, 0);
  });
});

const adapters: [string, () => FileSystem][] = [["NodeFileSystem", () => new NodeFileSystem()]];
if (runtime === "deno") adapters.push(["DenoFileSystem", () => new DenoFileSystem()]);

for (const [name, make] of adapters) {
  describe(`${name}: concurrent small operations`, () => {
    test("500 concurrent atomic writes, reads, prefixes, stats and removals", async () => {
      const dir = await makeTempDir();
      try {
        const fs = make();
        const n = 500;
        const bytes = (i: number) => new TextEncoder().encode(`value ${i} `.repeat(50));
        await Promise.all(
          Array.from({ length: n }, (_, i) => fs.writeFileAtomic(join(dir, `f${i}`), bytes(i))),
        );
        const read = await Promise.all(
          Array.from({ length: n }, (_, i) => fs.readFile(join(dir, `f${i}`))),
        );
        read.forEach((got, i) => assert.deepEqual(got, bytes(i)));
        const prefixes = await Promise.all(
          Array.from({ length: n }, (_, i) => fs.readPrefix(join(dir, `f${i}`), 8)),
        );
        prefixes.forEach((got, i) => assert.deepEqual(got, bytes(i).subarray(0, 8)));
        const stats = await Promise.all(
          Array.from({ length: n }, (_, i) => fs.stat(join(dir, `f${i}`))),
        );
        stats.forEach((got, i) => assert.equal(got?.size, bytes(i).length));
        const removed = await Promise.all(
          Array.from({ length: n }, (_, i) => fs.remove(join(dir, `f${i}`))),
        );
        assert.deepEqual(removed, Array(n).fill(true));
        assert.deepEqual(
          await Promise.all(Array.from({ length: 20 }, (_, i) => fs.readFile(join(dir, `f${i}`)))),
          Array(20).fill(null),
        );
      } finally {
        await removeDir(dir);
      }
    });

    test("a bucket's concurrent sets and cold gets read back", async () => {
      const dir = await makeTempDir();
      try {
        const values = Array.from({ length: 300 }, (_, i) => ({ i, text: "x".repeat(i) }));
        const writer = new Bucket(dir, { fs: make() });
        await Promise.all(values.map((v, i) => writer.set(`k${i}`, v)));
        const reader = new Bucket(dir, { fs: make() });
        assert.deepEqual(await Promise.all(values.map((_, i) => reader.get(`k${i}`))), values);
      } finally {
        await removeDir(dir);
      }
    });
  });
}

describe("large values: header and payload written as parts", () => {
  test("the file is byte for byte the framed entry, and reads back", async () => {
    const { encodeEntryFile, encodeEntryParts } = await import("../src/format/entry.ts");
    const payload = new Uint8Array(300_000).map((_, i) => i % 251);
    const framed = encodeEntryFile("a".repeat(64) + ".sclone", payload, 1e12, true, {
      staleUntil: 2e12,
      meta: { fn: "f" },
    });
    const [head, same] = encodeEntryParts("a".repeat(64) + ".sclone", payload, 1e12, true, {
      staleUntil: 2e12,
      meta: { fn: "f" },
    });
    assert.equal(same, payload, "the payload is not copied");
    assert.deepEqual(framed, new Uint8Array([...head, ...payload]));
    for (const [name, make] of adapters) {
      const dir = await makeTempDir();
      try {
        const fs = make() as FileSystem & {
          writeFileAtomicParts(path: string, parts: Uint8Array[]): Promise<void>;
        };
        await fs.writeFileAtomicParts(join(dir, "x"), [head, payload]);
        assert.deepEqual(await fs.readFile(join(dir, "x")), framed, name);
        const value = new Uint8Array(1 << 20).map((_, i) => i % 253);
        const bucket = new Bucket(dir, { fs });
        await bucket.set("big", value);
        assert.deepEqual(await new Bucket(dir, { fs: make() }).get("big"), value, name);
        const temporary = [];
        for await (const file of fs.list(dir, { recursive: true, includeTemporary: true })) {
          if (file.endsWith(".tmp")) temporary.push(file);
        }
        assert.deepEqual(temporary, [], "no temporary file is left");
      } finally {
        await removeDir(dir);
      }
    }
  });
});
