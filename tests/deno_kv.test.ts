/// <reference lib="deno.unstable" />
// DenoKvFileSystem on a real Deno KV database (`Deno.openKv(path)`, SQLite):
// the FileSystem contract suite; chunking, retired chunks and interrupted
// writes; readers racing chunked replaces; KV expiry; buckets, memoisation,
// budgets and pruning on top; two Deno processes sharing one database file.
//
// Deno only: the other runtimes skip it, saying so. Deno 2.9 still needs
// --unstable-kv for Deno.openKv: when this process lacks it (the README's
// `deno test -A tests/`), the suite re-runs itself in a child
// `deno test --unstable-kv` and passes or fails with it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Bucket } from "../mod.ts";
import { DenoKvFileSystem, type DenoKvLike } from "../deno-kv.ts";
import { selfVerifyingBytes, testFileSystem, verifiesItself } from "./helpers/fs_contract.ts";
import { collect, makeTempDir, runtime } from "./helpers/temp.ts";
import { root } from "./helpers/runtimes.ts";
import { sleep } from "./helpers/bucket.ts";

const openKv = runtime === "deno"
  ? (globalThis as unknown as { Deno: { openKv?: (path?: string) => Promise<Deno.Kv> } }).Deno
    .openKv
  : undefined;

/** Runs a command and collects its output. */
function run(
  command: string,
  args: string[],
  timeoutMs = 300_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `deno SUBCOMMAND …` as the suite runs Deno: through BUCKETCACHE_DENO (tools/test_deno.sh,
 * which adds --node-modules-dir=manual --no-lock) when set, else this Deno with --no-lock,
 * so that no child changes deno.lock.
 */
function deno(subcommand: string, args: string[]): [string, string[]] {
  const wrapper = process.env.BUCKETCACHE_DENO;
  if (wrapper !== undefined) return [wrapper, [subcommand, ...args]];
  const self = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
  return [self, [subcommand, "--no-lock", ...args]];
}

if (runtime !== "deno") {
  test(`DenoKvFileSystem (skipped: Deno KV exists in Deno only, this is ${runtime})`, {
    skip: true,
  }, () => {});
} else if (openKv === undefined) {
  test("DenoKvFileSystem suite, in a child `deno test --unstable-kv` (Deno 2.9 needs the flag for Deno.openKv)", async () => {
    const result = await run(
      ...deno("test", ["--unstable-kv", "--allow-all", "--no-check", "tests/deno_kv.test.ts"]),
      600_000,
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 0, `the child run failed:\n${output.slice(-6000)}`);
    assert.match(output, /ok \| \d+ passed/);
    assert.doesNotMatch(output, /DenoKvFileSystem suite, in a child/, "the child ran the suite");
  });
} else {
  await kvSuite(openKv);
}

/** The keys under a prefix, as arrays. */
async function keys(kv: Deno.Kv, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const found: Deno.KvKey[] = [];
  for await (const entry of kv.list({ prefix })) found.push(entry.key);
  return found;
}

let prefixes = 0;
const uniquePrefix = (): string[] => ["test", `${Date.now().toString(36)}-${prefixes++}`];

async function kvSuite(open: (path?: string) => Promise<Deno.Kv>): Promise<void> {
  const dir = await makeTempDir("bucketcache-kv-");
  const path = join(dir, "kv.sqlite");
  const kv = await open(path);
  after(() => kv.close());

  // A Deno.Kv is a DenoKvLike: this must type-check.
  const typed: DenoKvLike = kv;
  void typed;

  testFileSystem(
    "DenoKvFileSystem",
    () => new DenoKvFileSystem(kv, { prefix: uniquePrefix() }),
    { makeDir: () => Promise.resolve("/contract"), directories: false },
  );

  const encode = (text: string) => new TextEncoder().encode(text);

  describe("DenoKvFileSystem records and chunks", () => {
    test("small files live in their record; large ones in 63 KiB chunks named by the write", async () => {
      const prefix = uniquePrefix();
      const fs = new DenoKvFileSystem(kv, { prefix });
      await fs.writeFileAtomic("/a/small", encode("hello"));
      const big = selfVerifyingBytes(5 * 1024 * 1024, 3);
      await fs.writeFileAtomic("/a/big", big);
      const record = (await kv.get<{ id: string; chunks: number; data?: Uint8Array }>(
        [...prefix, "f", "a", "big"],
      )).value!;
      assert.equal(record.chunks, Math.ceil(big.byteLength / (63 * 1024)));
      assert.equal(record.data, undefined);
      const chunkKeys = await keys(kv, [...prefix, "c", record.id]);
      assert.equal(chunkKeys.length, record.chunks);
      for await (const chunk of kv.list<Uint8Array>({ prefix: [...prefix, "c"] })) {
        assert.ok(chunk.value.byteLength <= 64 * 1024, "each chunk fits Deno KV's 64 KiB");
      }
      const small = (await kv.get<{ chunks: number; data: Uint8Array }>(
        [...prefix, "f", "a", "small"],
      )).value!;
      assert.equal(small.chunks, 0);
      assert.deepEqual(new Uint8Array(small.data), encode("hello"));
      assert.ok(verifiesItself((await fs.readFile("/a/big"))!));
      assert.deepEqual(
        (await fs.readPrefix("/a/big", 70_000))!,
        big.subarray(0, 70_000),
        "a prefix spanning two chunks",
      );

      // Replaced by a small value, then removed: no chunk is left behind.
      await fs.writeFileAtomic("/a/big", encode("now small"));
      assert.deepEqual(await keys(kv, [...prefix, "c"]), []);
      await fs.writeFileAtomic("/a/big", big);
      assert.equal(await fs.remove("/a/big"), true);
      assert.deepEqual(await keys(kv, [...prefix, "c"]), []);
      assert.deepEqual(await keys(kv, [...prefix, "g"]), []);
    });

    test("a file of more than 200 chunks: the replaced one's chunks are deleted after the commit", async () => {
      const prefix = uniquePrefix();
      const fs = new DenoKvFileSystem(kv, { prefix });
      const huge = selfVerifyingBytes(13 * 1024 * 1024, 5);
      await fs.writeFileAtomic("/h", huge);
      assert.ok(verifiesItself((await fs.readFile("/h"))!));
      await fs.writeFileAtomic("/h", encode("small"));
      assert.deepEqual(await keys(kv, [...prefix, "c"]), []);
      assert.deepEqual(await keys(kv, [...prefix, "g"]), [], "the garbage record is gone too");
    });

    test("chunks a crash left retired are swept by a listing with temporary files", async () => {
      const prefix = uniquePrefix();
      let failDeletes = true;
      const flaky = failingChunkDeletes(kv, () => failDeletes);
      const fs = new DenoKvFileSystem(flaky, { prefix });
      await fs.writeFileAtomic("/h", selfVerifyingBytes(13 * 1024 * 1024, 6));
      await assert.rejects(fs.writeFileAtomic("/h", encode("small")), /simulated crash/);
      assert.deepEqual(await fs.readFile("/h"), encode("small"), "the new value was committed");
      assert.equal((await keys(kv, [...prefix, "g"])).length, 1, "a garbage record");
      assert.ok((await keys(kv, [...prefix, "c"])).length > 200, "the old chunks");
      failDeletes = false;
      await collect(fs.list("/", { includeTemporary: true }));
      assert.deepEqual(await keys(kv, [...prefix, "c"]), []);
      assert.deepEqual(await keys(kv, [...prefix, "g"]), []);
    });

    test("an interrupted large write is a temporary file, which pruning removes with its chunks", async () => {
      const prefix = uniquePrefix();
      const fs = new DenoKvFileSystem(kv, { prefix });
      const bucket = new Bucket("/pruned", { fs });
      await bucket.set("kept", "value");
      // A write that stops after its chunks (its final commit never comes), 20 minutes ago.
      const realNow = Date.now;
      Date.now = () => realNow() - 20 * 60_000;
      try {
        const stopping = new DenoKvFileSystem(failingCommit(kv), { prefix });
        await assert.rejects(
          stopping.writeFileAtomic("/pruned/aa/" + "a".repeat(64) + ".sclone", new Uint8Array(2e6)),
          /simulated crash/,
        );
      } finally {
        Date.now = realNow;
      }
      const temporary = await collect(
        fs.list("/pruned", { recursive: true, includeTemporary: true }),
      );
      assert.ok(
        temporary.some((name) => /^aa\/\.a+\.sclone\.[0-9a-f]{16}\.tmp$/.test(name)),
        `${temporary}`,
      );
      assert.deepEqual(
        (await collect(fs.list("/pruned", { recursive: true }))).filter((n) => n.includes(".tmp")),
        [],
        "hidden from ordinary listings",
      );
      assert.ok((await keys(kv, [...prefix, "c"])).length > 0);
      const pruned = await bucket.pruneDirectory();
      assert.equal(pruned.num, 1, "the orphan");
      assert.deepEqual(await keys(kv, [...prefix, "c"]), [], "its chunks went with it");
      assert.equal(await bucket.get("kept"), "value");
    });

    test("readers racing chunked replaces (staged and single-operation) never see a mix", async () => {
      const fs = new DenoKvFileSystem(kv, { prefix: uniquePrefix() });
      const path = "/race/big";
      await fs.writeFileAtomic(path, selfVerifyingBytes(1_000_000, 1));
      let done = false;
      let reads = 0;
      const writer = (async () => {
        try {
          for (let i = 0; i < 30; i++) {
            const size = i % 3 === 0 ? 2_000_000 + i : i % 3 === 1 ? 400_000 + i : 10_000 + i;
            await fs.writeFileAtomic(path, selfVerifyingBytes(size, i + 2));
          }
        } finally {
          done = true;
        }
      })();
      const reader = async () => {
        while (!done) {
          const bytes = await fs.readFile(path);
          assert.ok(bytes !== null && verifiesItself(bytes), "a complete value");
          reads++;
        }
      };
      await Promise.all([writer, reader(), reader()]);
      assert.ok(reads > 0);
      assert.deepEqual(await collect(fs.list("/race", { includeTemporary: true })), ["big"]);
    });

    test("createExclusive of a large (staged) file: one creator wins, the others leave nothing", async () => {
      const prefix = uniquePrefix();
      const fs = new DenoKvFileSystem(kv, { prefix });
      const values = [1, 2, 3].map((seed) => selfVerifyingBytes(1_500_000, seed));
      const won = await Promise.all(values.map((value) => fs.createExclusive("/x/lease", value)));
      assert.equal(won.filter(Boolean).length, 1);
      assert.deepEqual(await fs.readFile("/x/lease"), values[won.indexOf(true)]);
      assert.deepEqual(await collect(fs.list("/x", { includeTemporary: true })), ["lease"]);
      const record = (await kv.get<{ id: string; chunks: number }>([...prefix, "f", "x", "lease"]))
        .value!;
      assert.equal((await keys(kv, [...prefix, "c"])).length, record.chunks, "losers' chunks gone");
    });

    test("a non-recursive listing skips over deeper keys", async () => {
      const fs = new DenoKvFileSystem(kv, { prefix: uniquePrefix() });
      for (const p of ["/d/a", "/d/a/x", "/d/a/y/z", "/d/ab", "/d/b/c", "/d/c", "/e/f"]) {
        await fs.writeFileAtomic(p, encode(p));
      }
      assert.deepEqual(await collect(fs.list("/d")), ["a", "ab", "c"]);
      assert.deepEqual(await collect(fs.list("/d", { recursive: true })), [
        "a",
        "a/x",
        "a/y/z",
        "ab",
        "b/c",
        "c",
      ]);
      assert.deepEqual(await collect(fs.list("/")), []);
      assert.deepEqual(await collect(fs.list("/d/a")), ["x"]);
    });

    test("entries with an expiry get expireIn on their record and chunks; others none", async () => {
      const prefix = uniquePrefix();
      const fs = new DenoKvFileSystem(kv, { prefix });
      await fs.writeFileAtomic("/x/short", new Uint8Array(200_000), {
        expiresAt: Date.now() + 300,
      });
      await fs.writeFileAtomic("/x/long", encode("v"), { expiresAt: Date.now() + 3_600_000 });
      await fs.writeFileAtomic("/x/forever", encode("v"));
      await sleep(600);
      // A point read or a listing may still see an expired key until Deno KV deletes it; a
      // newly opened database deletes what has expired: open a second one on the same file.
      const second = await open(path);
      try {
        let left: Deno.KvKey[] = [];
        for (let i = 0; i < 50; i++) {
          left = await keys(second, prefix);
          if (left.length === 2) break;
          await sleep(100);
        }
        assert.deepEqual(left, [[...prefix, "f", "x", "forever"], [...prefix, "f", "x", "long"]]);
      } finally {
        second.close();
      }
    });

    test("options and databases are checked", () => {
      assert.throws(() => new DenoKvFileSystem({} as never), /open Deno KV database/);
      assert.throws(() => new DenoKvFileSystem(kv, { prefx: [] } as never), /Unknown/);
      assert.throws(() => new DenoKvFileSystem(kv, { prefix: "x" as never }), /Deno KV key/);
      assert.deepEqual(new DenoKvFileSystem(kv).prefix, ["bucketcache"]);
      assert.deepEqual(new DenoKvFileSystem(kv).capabilities, { directories: false });
    });
  });

  describe("buckets on Deno KV", () => {
    let fs: DenoKvFileSystem;
    before(() => {
      fs = new DenoKvFileSystem(kv, { prefix: uniquePrefix() });
    });

    test("set, get, has, delete, expiry and prune work as on disk", async () => {
      const bucket = new Bucket("/b1", { fs });
      await bucket.set({ user: 1 }, { rows: [1, 2], when: new Date(0) });
      assert.deepEqual(await new Bucket("/b1", { fs }).get({ user: 1 }), {
        rows: [1, 2],
        when: new Date(0),
      });
      assert.equal(await bucket.has({ user: 1 }), true);
      assert.equal(await bucket.delete({ user: 1 }), true);
      assert.equal(await new Bucket("/b1", { fs }).get({ user: 1 }), undefined);
      await bucket.set("short", 1, { lifetime: 20 });
      await bucket.set("long", 2, { lifetime: { hours: 1 } });
      await sleep(30);
      assert.equal(await new Bucket("/b1", { fs }).get("short"), undefined);
      assert.equal(await new Bucket("/b1", { fs }).get("long"), 2);
      await bucket.set("pruned", 3, { lifetime: 1 });
      await sleep(5);
      // Deno KV deletes expired keys eventually; pruning (here with no clock tolerance) now.
      const pruned = await new Bucket("/b1", { fs, memory: false, clockTolerance: 0 })
        .pruneDirectory();
      assert.equal(pruned.num, 2);
      assert.equal((await new Bucket("/b1", { fs }).usage()).entries, 1);
    });

    test("values of several megabytes", async () => {
      const bucket = new Bucket("/big", { fs });
      const big = new Uint8Array(6 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
      await bucket.set("big", big);
      assert.deepEqual(await new Bucket("/big", { fs, memory: false }).get("big"), big);
      const text = "é".repeat(3 * 1024 * 1024);
      await bucket.set("text", text);
      assert.equal(await new Bucket("/big", { fs, memory: false }).get("text"), text);
    });

    test("memoisation: a second bucket reads the first one's result", async () => {
      let calls = 0;
      const square = new Bucket("/memo", { fs }).memoize((n: number) => (calls++, n * n), {
        name: "square",
      });
      assert.equal(await square(7), 49);
      const again = new Bucket("/memo", { fs }).memoize((n: number) => (calls++, n * n), {
        name: "square",
      });
      assert.equal(await again(7), 49);
      assert.equal(calls, 1);
    });

    test("a budget holds on Deno KV (recency in the record)", async () => {
      const bucket = new Bucket("/budget", { fs });
      for (let i = 0; i < 30; i++) await bucket.set(i, i);
      const result = await bucket.evict({ maxEntries: 10 });
      assert.equal(result.usage.entries, 9);
      assert.equal((await bucket.usage()).entries, 9);
      assert.equal(await new Bucket("/budget", { fs, memory: false }).get(29), 29, "newest kept");
    });
  });

  describe("two Deno processes on one database file", () => {
    const peer = (code: string) =>
      run(...deno("eval", [
        "--unstable-kv",
        `import { Bucket } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
import { DenoKvFileSystem } from ${JSON.stringify(new URL("../deno-kv.ts", import.meta.url).href)};
const kv = await Deno.openKv(${JSON.stringify(path)});
const fs = new DenoKvFileSystem(kv, { prefix: ["shared"] });
${code}
kv.close();`,
      ]));

    test("a memoised result computed in one process is a hit in the other, both ways", async () => {
      const wrote = await peer(`
let calls = 0;
const f = new Bucket("/shared", { fs }).memoize((n) => (calls++, { n, square: n * n }), { name: "sq" });
console.log(JSON.stringify([await f(12), calls]));`);
      assert.equal(wrote.code, 0, wrote.stderr);
      assert.deepEqual(JSON.parse(wrote.stdout), [{ n: 12, square: 144 }, 1]);
      const fs = new DenoKvFileSystem(kv, { prefix: ["shared"] });
      let calls = 0;
      const f = new Bucket("/shared", { fs }).memoize(
        (n: number) => (calls++, { n, square: n * n }),
        { name: "sq" },
      );
      assert.deepEqual(await f(12), { n: 12, square: 144 });
      assert.equal(calls, 0, "the other process's result was read");
      await new Bucket("/shared", { fs }).set("from-test", { ok: true });
      const read = await peer(
        `console.log(JSON.stringify(await new Bucket("/shared", { fs }).get("from-test")));`,
      );
      assert.equal(read.code, 0, read.stderr);
      assert.deepEqual(JSON.parse(read.stdout), { ok: true });
    });

    test("memoize's lock across two processes: one computes, the other waits and reads it", async () => {
      const call = () =>
        peer(`
let calls = 0;
const slow = new Bucket("/locked", { fs }).memoize(async (n) => {
  calls++;
  await new Promise((resolve) => setTimeout(resolve, 800));
  return n * 2;
}, { name: "slow", lock: true });
console.log(JSON.stringify([await slow(21), calls]));`);
      const results = await Promise.all([call(), call()]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const outcomes = results.map((r) => JSON.parse(r.stdout) as [number, number]);
      assert.deepEqual(outcomes.map(([value]) => value), [42, 42]);
      assert.equal(outcomes[0][1] + outcomes[1][1], 1, "computed once in all");
    });

    test("two processes replacing one large file while this one reads: every read is whole", async () => {
      const fs = new DenoKvFileSystem(kv, { prefix: ["shared"] });
      await fs.writeFileAtomic("/contended", selfVerifyingBytes(900_000, 1));
      const writer = (seed: number) =>
        peer(`
const { selfVerifyingBytes } = await import(${
          JSON.stringify(new URL("./helpers/fs_contract.ts", import.meta.url).href)
        });
for (let i = 0; i < 12; i++) {
  await fs.writeFileAtomic("/contended", selfVerifyingBytes(i % 2 ? 900_000 + i : 30_000 + i, ${seed} + i));
}
console.log("done");`);
      let done = false;
      let reads = 0;
      const writers = Promise.all([writer(100), writer(200)]).finally(() => (done = true));
      while (!done) {
        const bytes = await fs.readFile("/contended");
        assert.ok(bytes !== null && verifiesItself(bytes), "a whole value");
        reads++;
        await sleep(1);
      }
      for (const result of await writers) assert.equal(result.code, 0, result.stderr);
      assert.ok(reads > 0);
      assert.ok(verifiesItself((await fs.readFile("/contended"))!));
      assert.deepEqual(await collect(fs.list("/", { includeTemporary: true })), ["contended"]);
    });
  });
}

/** A database whose atomic operations made only of chunk deletions fail (while `failing()`). */
function failingChunkDeletes(kv: Deno.Kv, failing: () => boolean): DenoKvLike {
  return {
    get: (key) => kv.get(key as Deno.KvKey),
    list: (selector, options) => kv.list(selector as Deno.KvListSelector, options),
    atomic() {
      const operation = kv.atomic();
      let onlyChunkDeletes = true;
      const wrapper = {
        check(...checks: Deno.AtomicCheck[]) {
          onlyChunkDeletes = false;
          operation.check(...checks);
          return wrapper;
        },
        set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) {
          onlyChunkDeletes = false;
          operation.set(key, value, options);
          return wrapper;
        },
        delete(key: Deno.KvKey) {
          if (key[key.length - 3] !== "c") onlyChunkDeletes = false;
          operation.delete(key);
          return wrapper;
        },
        commit() {
          if (onlyChunkDeletes && failing()) return Promise.reject(new Error("simulated crash"));
          return operation.commit();
        },
      };
      return wrapper as never;
    },
  };
}

/** A database whose checked commit of a file record fails: a write that stops after its chunks. */
function failingCommit(kv: Deno.Kv): DenoKvLike {
  return {
    get: (key) => kv.get(key as Deno.KvKey),
    list: (selector, options) => kv.list(selector as Deno.KvListSelector, options),
    atomic() {
      const operation = kv.atomic();
      let deletesPending = false;
      const wrapper = {
        check(...checks: Deno.AtomicCheck[]) {
          operation.check(...checks);
          return wrapper;
        },
        set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) {
          operation.set(key, value, options);
          return wrapper;
        },
        delete(key: Deno.KvKey) {
          // The final commit deletes the pending record; clean-ups after a failure do too.
          deletesPending = true;
          operation.delete(key);
          return wrapper;
        },
        commit() {
          if (deletesPending) return Promise.reject(new Error("simulated crash"));
          return operation.commit();
        },
      };
      return wrapper as never;
    },
  };
}
