// Corruption fuzz: valid entry files of each backend, mutated thousands of
// ways. Every get, has and memoised call must give the right value or
// missing: never a wrong value, never an exception. BUCKETCACHE_SCALE
// multiplies the number of random mutations.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, JSONBackend, MessagePackBackend, StructuredCloneBackend } from "../mod.ts";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { entryFiles } from "./helpers/bucket.ts";
import { seededRandom } from "./helpers/random.ts";

const SCALE = Number(process.env.BUCKETCACHE_SCALE ?? 1);
const RANDOM_MUTATIONS = 1500 * SCALE;

const random = seededRandom(12345);
const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];

type Mutation = (bytes: Uint8Array, others: Uint8Array[]) => Uint8Array;
const mutations: [string, Mutation][] = [
  ["flip bits", (b) => {
    const c = b.slice();
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      c[Math.floor(random() * c.length)] ^= 1 << Math.floor(random() * 8);
    }
    return c;
  }],
  ["truncate", (b) => b.subarray(0, Math.floor(random() * b.length))],
  ["append garbage", (b) => {
    const extra = new Uint8Array(1 + Math.floor(random() * 64)).map(() =>
      Math.floor(random() * 256)
    );
    return new Uint8Array([...b, ...extra]);
  }],
  ["another entry's file", (_b, others) => pick(others)],
  ["zero-fill", (b) => new Uint8Array(b.length)],
  ["future format version", (b) => {
    const c = b.slice();
    c[12] = "2".charCodeAt(0);
    return c;
  }],
  ["random bytes", (b) => new Uint8Array(b.length).map(() => Math.floor(random() * 256))],
  ["overwrite a header field", (b) => {
    const c = b.slice();
    const at = 14 + Math.floor(random() * 40);
    c[at] = "0123456789abcdefob- \n".charCodeAt(Math.floor(random() * 21));
    return c;
  }],
];

const samples: Record<string, Record<string, unknown>> = {
  StructuredCloneBackend: {
    a: { list: [1, 2, 3], when: new Date(5) },
    b: "text",
    c: new Map([[1, 2]]),
    d: 42n,
  },
  JSONBackend: { a: { list: [1, 2, 3] }, b: "text", c: [true, null], d: 42 },
  MessagePackBackend: { a: { list: [1, 2, 3] }, b: "text", c: [true, null], d: 42 },
};

for (const backend of [StructuredCloneBackend, JSONBackend, MessagePackBackend]) {
  describe(`corruption fuzz: ${backend.name}`, () => {
    test(`truncation at every length, ${RANDOM_MUTATIONS} random mutations and swapped files: right value or missing`, async () => {
      const dir = await makeTempDir();
      try {
        const values = samples[backend.name];
        const writer = new Bucket(dir, { backend });
        for (const [key, value] of Object.entries(values)) await writer.set(key, value);
        const compute = (n: number) => ({ n, twice: n * 2 });
        await writer.memoize(compute, { name: "compute" })(7);
        const files = new Map<string, Uint8Array>();
        for (const name of await entryFiles(dir)) {
          files.set(name, new Uint8Array(await readFile(join(dir, name))));
        }
        const nameOf = new Map<string, string>();
        for (const key of Object.keys(values)) {
          const probe = new Bucket(dir, { backend, memory: false });
          // Find the file of each key: remove it and see which get misses.
          for (const [name, bytes] of files) {
            await writeFile(join(dir, name), new Uint8Array());
            const missing = (await probe.get(key)) === undefined;
            await writeFile(join(dir, name), bytes);
            if (missing) nameOf.set(key, name);
          }
        }
        const all = [...files.values()];
        let tried = 0;
        let damaged = 0;
        const check = async (key: string, name: string, bytes: Uint8Array) => {
          await writeFile(join(dir, name), bytes);
          const reader = new Bucket(dir, { backend, memory: false });
          const value = await reader.get(key);
          if (value !== undefined) {
            assert.deepStrictEqual(
              value,
              values[key],
              `a mutated ${key} never reads as a wrong value`,
            );
          } else damaged++;
          await writeFile(join(dir, name), bytes);
          assert.equal(
            await reader.has(key),
            value !== undefined,
            "has agrees with get on the same bytes",
          );
          tried++;
        };
        for (const [key, name] of nameOf) {
          const original = files.get(name)!;
          for (let length = 0; length < original.length; length++) {
            await check(key, name, original.subarray(0, length));
          }
          for (const other of all) if (other !== original) await check(key, name, other);
        }
        const keys = [...nameOf.keys()];
        for (let i = 0; i < RANDOM_MUTATIONS; i++) {
          const key = pick(keys);
          const name = nameOf.get(key)!;
          const [, mutate] = pick(mutations);
          await check(key, name, mutate(files.get(name)!, all));
        }
        // Memoised calls over a damaged entry recompute the right result.
        const memoName = [...files.keys()].find((name) => ![...nameOf.values()].includes(name))!;
        for (let i = 0; i < 50; i++) {
          const [, mutate] = pick(mutations);
          await writeFile(join(dir, memoName), mutate(files.get(memoName)!, all));
          const memo = new Bucket(dir, { backend, memory: false }).memoize(compute, {
            name: "compute",
          });
          assert.deepStrictEqual(await memo(7), { n: 7, twice: 14 });
        }
        assert.ok(damaged > 0 && tried > RANDOM_MUTATIONS);
        console.log(
          `${backend.name}: ${tried} mutated files read, ${damaged} read as missing, 0 wrong`,
        );
      } finally {
        await removeDir(dir);
      }
    });
  });
}
