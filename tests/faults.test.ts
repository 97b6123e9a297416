// Faults: ENOSPC, EIO and EACCES injected into each storage operation during
// set, sync, delete and a memoised call. The caller gets what the contract
// promises, the previous value stays readable, and no partial file remains.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Bucket, DeferredWriteBucket, NodeFileSystem } from "../mod.ts";
import { temporaryFiles } from "./helpers/bucket.ts";
import { FaultyFileSystem, type FsOperation } from "./helpers/faulty_fs.ts";
import { makeTempDir, removeDir } from "./helpers/temp.ts";

const codes = ["ENOSPC", "EIO", "EACCES"];
const operations: FsOperation[] = [
  "readFile",
  "readPrefix",
  "writeFileAtomic",
  "remove",
  "removeIfUnchanged",
  "list",
  "stat",
  "mkdir",
];

/** A bucket on real files, holding "k" = "old" on disk, with faults to inject. */
async function setup() {
  const dir = await makeTempDir();
  const fs = new FaultyFileSystem(new NodeFileSystem());
  await new Bucket(dir, { fs }).set("k", "old");
  return { dir, fs };
}

/** Runs a scenario on a fresh directory, then checks no partial file remains and cleans up. */
async function withFaults(
  scenario: (dir: string, fs: FaultyFileSystem) => Promise<void>,
): Promise<void> {
  const { dir, fs } = await setup();
  try {
    await scenario(dir, fs);
    await noPartialFiles(dir);
  } finally {
    await removeDir(dir);
  }
}

/** The value on disk, read by a fresh bucket once the faults are healed. */
async function onDisk(dir: string, fs: FaultyFileSystem): Promise<unknown> {
  fs.heal();
  return await new Bucket(dir, { fs, memory: false }).get("k");
}

async function noPartialFiles(dir: string): Promise<void> {
  assert.deepEqual(
    await temporaryFiles(dir),
    [],
    "no temporary file remains",
  );
}

const rejectsWith = (code: string) => (error: unknown) => {
  const found = error instanceof AggregateError
    ? error.errors.some((e) => (e as { cause?: { code?: string } }).cause?.code === code)
    : (error as { code?: string }).code === code;
  assert.ok(found, `rejected with ${code}: ${String(error)}`);
  return true;
};

for (const code of codes) {
  describe(`faults: ${code}`, () => {
    for (const operation of operations) {
      test(`during set, ${operation} fails: the runtime's error, or success; the old or new value, whole`, () =>
        withFaults(async (dir, fs) => {
          const bucket = new Bucket(dir, { fs });
          fs.fail(operation, code);
          let failed = false;
          try {
            await bucket.set("k", "new");
          } catch (error) {
            failed = rejectsWith(code)(error);
          }
          if (failed) {
            assert.equal(
              await bucket.get("k").catch(() => "old"),
              "old",
              "memory keeps the old value",
            );
          }
          assert.equal(await onDisk(dir, fs), failed ? "old" : "new");
        }));

      test(`during sync, ${operation} fails: AggregateError or success; failed entries stay pending`, () =>
        withFaults(async (dir, fs) => {
          const bucket = new DeferredWriteBucket(dir, { fs });
          await bucket.set("k", "new");
          fs.fail(operation, code);
          let failed = false;
          try {
            await bucket.sync();
          } catch (error) {
            assert.ok(error instanceof AggregateError);
            failed = rejectsWith(code)(error);
          }
          assert.equal(
            await onDisk(dir, fs),
            failed ? "old" : "new",
            "the old value until a sync succeeds",
          );
          if (failed) {
            assert.equal((await bucket.sync()).written, 1, "it was still pending");
            assert.equal(await onDisk(dir, fs), "new");
          }
        }));

      test(`during delete, ${operation} fails: the runtime's error, or success`, () =>
        withFaults(async (dir, fs) => {
          const bucket = new Bucket(dir, { fs });
          fs.fail(operation, code);
          let failed = false;
          try {
            await bucket.delete("k");
          } catch (error) {
            failed = rejectsWith(code)(error);
          }
          assert.equal(await onDisk(dir, fs), failed ? "old" : undefined);
        }));

      test(`during a memoised call, ${operation} fails: the computed result`, () =>
        withFaults(async (dir, fs) => {
          let calls = 0;
          const double = new Bucket(dir, { fs }).memoize(function double(n: number) {
            calls++;
            return n * 2;
          });
          fs.fail(operation, code);
          assert.equal(await double(21), 42);
          assert.equal(await double(21), 42);
          assert.ok(calls >= 1);
          fs.heal();
          assert.equal(
            await new Bucket(dir, { fs }).memoize(function double(n: number) {
              return n * 2;
            })(21),
            42,
          );
        }));
    }
  });
}
