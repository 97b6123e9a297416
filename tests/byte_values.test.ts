// A large Uint8Array value goes to the file and comes back without copies
// (issue 19, src/backends/_byte_values.ts): the bytes written are exactly
// what the backend's dump would have written, so a file does not depend on
// the path taken; a subclass with its own dump is never bypassed; what is
// read back is a view on the bytes read, which the caller owns; the checksum
// still covers every byte.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Bucket,
  deferredWrite,
  type Entry,
  JSONBackend,
  MemoryFileSystem,
  MessagePackBackend,
  StructuredCloneBackend,
} from "../mod.ts";
import { BYTE_VALUES_FROM, byteValueParts, byteValueView } from "../src/backends/_byte_values.ts";
import { encodeEntryFile, parseHeader } from "../src/format/entry.ts";
import { entryFiles, tempBucket } from "./helpers/bucket.ts";

const bytes = (length: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const join3 = (parts: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const SIZES = [BYTE_VALUES_FROM, BYTE_VALUES_FROM + 1, 1024 * 1024 + 3, 8 * 1024 * 1024];

describe("the framing is the backend's own encoding", () => {
  for (const Backend of [StructuredCloneBackend, MessagePackBackend]) {
    test(`${Backend.name}: framing + value equals dump, byte for byte (${SIZES.length} sizes)`, () => {
      const backend = new Backend();
      for (const size of SIZES) {
        const value = bytes(size, size);
        const parts = byteValueParts(backend, value);
        assert.ok(parts, `${size} bytes take the path without copies`);
        assert.equal(parts[1], value, "the value itself, not a copy");
        const dumped = backend.dump({ value, expirationDate: null }) as Uint8Array;
        assert.ok(same(join3(parts), dumped), `${size} bytes: the same encoding as dump`);
        const view = byteValueView(backend, dumped)!;
        assert.ok(same(view, value), `${size} bytes: the view holds the value`);
        assert.equal(view.buffer, dumped.buffer, "a view, not a copy");
        assert.ok(same(backend.load(dumped).value as Uint8Array, value), "load agrees");
      }
    });
  }

  test("small values, other types, JSON and subclasses with their own dump use dump", () => {
    const structured = new StructuredCloneBackend();
    assert.equal(byteValueParts(structured, bytes(BYTE_VALUES_FROM - 1)), undefined);
    assert.equal(byteValueParts(structured, Buffer.from(bytes(BYTE_VALUES_FROM))), undefined);
    assert.equal(byteValueParts(structured, new Uint16Array(BYTE_VALUES_FROM)), undefined);
    assert.equal(byteValueParts(structured, { data: bytes(BYTE_VALUES_FROM) }), undefined);
    assert.equal(byteValueParts(new JSONBackend(), bytes(BYTE_VALUES_FROM)), undefined);
    class Tagged extends StructuredCloneBackend {
      override dump(entry: Entry): Uint8Array {
        return super.dump({ ...entry, value: { tagged: entry.value } });
      }
    }
    assert.equal(byteValueParts(new Tagged(), bytes(BYTE_VALUES_FROM)), undefined);
    // A payload of another shape is decoded by load.
    const other = structured.dump({ value: [bytes(BYTE_VALUES_FROM)], expirationDate: null });
    assert.equal(byteValueView(structured, other as Uint8Array), undefined);
    const truncated = structured.dump({ value: bytes(BYTE_VALUES_FROM + 9), expirationDate: null });
    assert.equal(byteValueView(structured, (truncated as Uint8Array).subarray(0, -1)), undefined);
  });
});

describe("a bucket stores a large Uint8Array without copies", () => {
  for (const Backend of [StructuredCloneBackend, MessagePackBackend]) {
    test(`${Backend.name}: the file is what dump would have written; a new bucket reads it back`, async () => {
      const bucket = await tempBucket<Uint8Array>({ backend: Backend });
      for (const size of SIZES) {
        const value = bytes(size, size + 7);
        await bucket.set(`k${size}`, value);
        const [file] = (await entryFiles(bucket)).filter((f) => !f.startsWith(".")).map((f) =>
          join(bucket.path, f)
        );
        const onDisk = new Uint8Array(await readFile(file));
        const header = parseHeader(onDisk) as { size: number };
        const name = file.slice(file.lastIndexOf("/") + 1);
        const expected = encodeEntryFile(
          name,
          new Backend().dump({ value, expirationDate: null }) as Uint8Array,
          null,
          false,
        );
        assert.ok(same(onDisk, expected), `${size} bytes: the file dump + encodeEntryFile make`);
        assert.ok(header.size > 0);
        const fresh = new Bucket<Uint8Array>(bucket.path, { backend: Backend, memory: false });
        const back = (await fresh.get(`k${size}`))!;
        assert.equal(back.constructor, Uint8Array);
        assert.ok(same(back, value), `${size} bytes come back`);
        await bucket.delete(`k${size}`);
      }
    });
  }

  test("the value read is the caller's: changing it changes neither the file nor the next read", async () => {
    const bucket = await tempBucket<Uint8Array>();
    const value = bytes(BYTE_VALUES_FROM * 2, 3);
    await bucket.set("v", value);
    const first = (await new Bucket<Uint8Array>(bucket.path, { memory: false }).get("v"))!;
    first.fill(0);
    const second = (await new Bucket<Uint8Array>(bucket.path, { memory: false }).get("v"))!;
    assert.ok(same(second, value));
    assert.notEqual(second.buffer, first.buffer);
  });

  test("a flipped byte inside the value is caught by the checksum: a miss, the file removed", async () => {
    const bucket = await tempBucket<Uint8Array>();
    await bucket.set("v", bytes(BYTE_VALUES_FROM * 2, 5));
    const [file] = (await entryFiles(bucket)).filter((f) => !f.startsWith("."));
    const path = join(bucket.path, file);
    const onDisk = new Uint8Array(await readFile(path));
    onDisk[onDisk.length - 1000] ^= 0xff;
    await writeFile(path, onDisk);
    const fresh = new Bucket<Uint8Array>(bucket.path, { memory: false });
    assert.equal(await fresh.get("v"), undefined);
    assert.equal(fresh.stats().damaged, 1);
    assert.deepEqual((await entryFiles(bucket)).filter((f) => !f.startsWith(".")), []);
  });

  test("an array changed while its write is under way makes a damaged file (a miss), never a mix", async () => {
    // Fault injection: the adapter changes the value's bytes after the store
    // took the checksum and before they reach the storage, as a caller that
    // changes the array before set resolves might.
    class ChangingWrites extends MemoryFileSystem {
      writeFileAtomicParts(path: string, parts: readonly Uint8Array[]): Promise<void> {
        parts[parts.length - 1][1000] ^= 0xff;
        return this.writeFileAtomic(path, new Uint8Array(Buffer.concat(parts)));
      }
    }
    const fs = new ChangingWrites();
    const value = bytes(BYTE_VALUES_FROM * 2, 13);
    await new Bucket<Uint8Array>("/changing", { fs }).set("v", value);
    const fresh = new Bucket<Uint8Array>("/changing", { fs, memory: false });
    assert.equal(await fresh.get("v"), undefined);
    assert.equal(fresh.stats().damaged, 1);
  });

  test("deferred writes, compression and an adapter without writeFileAtomicParts", async () => {
    const fs = new MemoryFileSystem();
    const value = bytes(BYTE_VALUES_FROM * 3, 9);
    const zeros = new Uint8Array(BYTE_VALUES_FROM * 4);
    const bucket = new Bucket<Uint8Array>("/bytes", { fs, compress: "gzip" });
    await bucket.set("random", value);
    await bucket.set("zeros", zeros);
    await deferredWrite(bucket, async (deferred) => {
      await deferred.set("deferred", value);
    });
    const fresh = new Bucket<Uint8Array>("/bytes", { fs, memory: false });
    assert.ok(same((await fresh.get("random"))!, value));
    assert.ok(same((await fresh.get("zeros"))!, zeros));
    assert.ok(same((await fresh.get("deferred"))!, value));
    const usage = await fresh.usage();
    assert.ok(
      usage.bytes < value.byteLength * 2 + zeros.byteLength / 10,
      `zeros compressed, random bytes stored as they are: ${usage.bytes} bytes`,
    );
  });
});
