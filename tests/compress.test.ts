// The compress option (issue 19): entries compressed through CompressionStream,
// declared in the header (format version 3), read by every bucket whatever its
// own setting and by every runtime; skipped where it does not pay.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, JSONBackend, MessagePackBackend } from "../mod.ts";
import {
  checkPayload,
  compressedHead,
  encodeEntryParts,
  isProblem,
  parseHeader,
  payloadInflated,
  readMeta,
} from "../src/format/entry.ts";
import { entryFiles } from "./helpers/bucket.ts";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { root, runScript, type RuntimeName } from "./helpers/runtimes.ts";
import { values } from "./fixtures/compress_worker.ts";

/** The header line of the only entry file for `key`... of a bucket with one entry. */
async function onlyEntry(dir: string): Promise<{ path: string; bytes: Uint8Array; head: string }> {
  const files = await entryFiles(dir);
  assert.equal(files.length, 1);
  const path = join(dir, files[0]);
  const bytes = new Uint8Array(await readFile(path));
  return { path, bytes, head: new TextDecoder().decode(bytes.subarray(0, 13)) };
}

describe("compress", () => {
  for (const codec of ["gzip", "deflate"] as const) {
    test(`${codec}: stored compressed (version 3), read back by buckets with and without compress`, async () => {
      const dir = await makeTempDir();
      try {
        const text = JSON.stringify(values().rows);
        await new Bucket(dir, { compress: codec }).set("k", text);
        const { bytes, head } = await onlyEntry(dir);
        assert.equal(head, "bucketcache/3");
        assert.equal(String.fromCharCode(bytes[70]), codec[0]);
        assert.ok(bytes.length < text.length / 3, `${bytes.length} bytes for ${text.length}`);
        assert.equal(await new Bucket(dir).get("k"), text);
        assert.equal(await new Bucket(dir, { compress: "gzip" }).get("k"), text);
        assert.equal(await new Bucket(dir, { backend: JSONBackend }).get("k"), undefined);
      } finally {
        await removeDir(dir);
      }
    });
  }

  test("skipped below minBytes and where it does not pay (random bytes): version 1, raw", async () => {
    const dir = await makeTempDir();
    try {
      const random = values().random as Uint8Array;
      await new Bucket(dir, { compress: "gzip" }).set("r", random);
      let entry = await onlyEntry(dir);
      assert.equal(entry.head, "bucketcache/1");
      assert.deepEqual(await new Bucket(dir).get("r"), random);
      await new Bucket(dir).delete("r");
      await new Bucket(dir, { compress: { codec: "deflate", minBytes: 100_000 } }).set(
        "t",
        "a".repeat(50_000),
      );
      entry = await onlyEntry(dir);
      assert.equal(entry.head, "bucketcache/1");
    } finally {
      await removeDir(dir);
    }
  });

  test("a version-2 entry (stale window, metadata) keeps them when compressed", () => {
    const payload = new TextEncoder().encode("x".repeat(5000));
    const [head] = encodeEntryParts("f".repeat(64) + ".sclone", payload, 1e12, true, {
      staleUntil: 2e12,
      meta: { fn: "f", tags: { t: 3 } },
    });
    const stored = new Uint8Array([1, 2, 3]);
    const v3 = compressedHead("f".repeat(64) + ".sclone", head, stored, "gzip");
    const header = parseHeader(v3);
    assert.ok(!isProblem(header));
    assert.equal(header.version, 3);
    assert.equal(header.size, 81);
    assert.equal(header.codec, "gzip");
    assert.equal(header.expiresAt, 1e12);
    assert.equal(header.staleUntil, 2e12);
    assert.equal(header.own, true);
    assert.equal(header.length, 3);
    assert.deepEqual(readMeta(v3, header), { fn: "f", tags: { t: 3 } });
  });

  test("an entry of another codec letter is damaged; a flipped stored byte fails the checksum", async () => {
    const dir = await makeTempDir();
    try {
      await new Bucket(dir, { compress: "gzip" }).set("k", "words ".repeat(2000));
      const { path, bytes } = await onlyEntry(dir);
      const flipped = bytes.slice();
      flipped[flipped.length - 5] ^= 0xff;
      await writeFile(path, flipped);
      assert.equal(await new Bucket(dir).get("k"), undefined);
      assert.deepEqual(await entryFiles(dir), [], "the damaged file was removed");
      const letter = bytes.slice();
      letter[70] = "z".charCodeAt(0);
      const problem = parseHeader(letter);
      assert.ok(isProblem(problem) && problem.damaged);
    } finally {
      await removeDir(dir);
    }
  });

  test("memoize and MessagePack entries round-trip compressed", async () => {
    const dir = await makeTempDir();
    try {
      const bucket = new Bucket(dir, { compress: "deflate", backend: MessagePackBackend });
      const f = bucket.memoize((n: number) => Array.from({ length: n }, (_, i) => `item ${i}`), {
        name: "f",
      });
      const first = await f(500);
      assert.deepEqual(
        await new Bucket(dir, { backend: MessagePackBackend }).memoize(
          (_n: number): string[] => {
            throw new Error("not called");
          },
          { name: "f" },
        )(500),
        first,
      );
    } finally {
      await removeDir(dir);
    }
  });

  test("checkPayload gives readers without the store (explain, inspect) the backend's bytes", async () => {
    const dir = await makeTempDir();
    try {
      const text = "words ".repeat(3000);
      await new Bucket(dir, { compress: "deflate", backend: JSONBackend }).set("k", text);
      const { path, bytes } = await onlyEntry(dir);
      const header = parseHeader(bytes);
      assert.ok(!isProblem(header));
      const payload = checkPayload(path.split("/").pop()!, bytes, header);
      assert.ok(typeof payload !== "string", String(payload));
      if (payloadInflated()) assert.equal(JSON.parse(new TextDecoder().decode(payload)), text);
      assert.equal(await new Bucket(dir, { backend: JSONBackend }).get("k"), text);
    } finally {
      await removeDir(dir);
    }
  });

  test("bad compress options are refused", () => {
    assert.throws(() => new Bucket("x", { compress: "zstd" as "gzip" }), TypeError);
    assert.throws(
      () => new Bucket("x", { compress: { codec: "gzip", minBytes: -1 } }),
      RangeError,
    );
    assert.throws(
      () => new Bucket("x", { compress: { codec: "gzip", level: 9 } as { codec: "gzip" } }),
      /Unknown compress option "level"/,
    );
  });

  // Twelve child processes: more than a runner's default timeout on a busy machine.
  test("files written by each runtime are read by every other", { timeout: 300_000 }, async () => {
    const runtimes: RuntimeName[] = ["deno", "bun", "node"];
    const script = join(root, "tests/fixtures/compress_worker.ts");
    const base = await makeTempDir();
    try {
      for (const [i, runtime] of runtimes.entries()) {
        const codec = i % 2 ? "deflate" : "gzip";
        const result = await runScript(runtime, script, ["write", join(base, runtime), codec]);
        assert.equal(result.code, 0, `${runtime} writes:\n${result.stderr}`);
      }
      let expected: string | undefined;
      for (const reader of runtimes) {
        for (const writer of runtimes) {
          const result = await runScript(reader, script, ["read", join(base, writer)]);
          assert.equal(result.code, 0, `${reader} reads ${writer}'s files:\n${result.stderr}`);
          const got = JSON.parse(result.stdout);
          assert.ok(!Object.values(got).includes(undefined));
          expected ??= result.stdout;
          assert.deepEqual(got, JSON.parse(expected), `${reader} reads what ${writer} wrote`);
        }
      }
      const first = JSON.parse(expected!);
      assert.equal(first["structured/small"], JSON.stringify("tiny"));
      assert.match(first["structured/random"], /^bytes:200000:/);
    } finally {
      await removeDir(dir(base));
    }
  });
});
const dir = (base: string) => base;
