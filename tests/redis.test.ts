// The Redis adapter against a real server: the FileSystem contract with each
// client (node-redis 6, node-redis 4, ioredis), buckets, memoisation,
// deferred writes and budgets on top of it, two processes sharing it,
// multi-megabyte values, Redis expiries, and a server restart during use.
//
// The server is BUCKETCACHE_REDIS_URL (default redis://127.0.0.1:6379).
// Without one the tests skip, saying so; .ci/run starts one and sets
// BUCKETCACHE_REDIS_REQUIRED=1, which turns a missing server into a failure.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Bucket, deferredWrite } from "../mod.ts";
import { storeOf } from "../src/bucket.ts";
import { RedisFileSystem } from "../redis.ts";
import { testFileSystem } from "./helpers/fs_contract.ts";
import {
  type AnyRedisClient,
  ioredisClient,
  nodeRedisClient,
  nodeRedisV4Client,
  redisPort,
  redisReachable,
  redisRequired,
  redisRestartable,
  redisUrl,
  uniquePrefix,
} from "./helpers/redis.ts";
import { sleep } from "./helpers/bucket.ts";
import { root, runScript } from "./helpers/runtimes.ts";
import { collect } from "./helpers/temp.ts";

const reachable = await redisReachable();
const clients = [nodeRedisClient, nodeRedisV4Client, ioredisClient];
const open: AnyRedisClient[] = [];
const connected = async (make: () => Promise<AnyRedisClient>) => {
  const made = await make();
  open.push(made);
  return made;
};
after(async () => {
  for (const made of open.splice(0)) await made.close().catch(() => {});
});

if (!reachable && redisRequired) {
  test(`Redis server required (BUCKETCACHE_REDIS_REQUIRED=1) at ${redisUrl}`, () => {
    assert.fail(`no Redis server answers at ${redisUrl}: .ci/run should have started one`);
  });
} else if (!reachable) {
  test(
    `Redis adapter tests skipped: no Redis server at ${redisUrl} (start redis-server or set BUCKETCACHE_REDIS_URL)`,
    { skip: true },
    () => {},
  );
} else {
  // The contract suite, with each client.
  for (const make of clients) {
    let made: AnyRedisClient;
    const prefix = uniquePrefix();
    before(async () => (made = await connected(make)));
    testFileSystem(
      `RedisFileSystem (${make.name.replace(/Client$/, "")})`,
      () => new RedisFileSystem(made.client, { prefix }),
      { makeDir: () => Promise.resolve("/contract"), directories: false, raceRounds: 100 },
    );
  }

  describe("RedisFileSystem keys, listings, removals and value sizes", () => {
    let made: AnyRedisClient;
    before(async () => (made = await connected(nodeRedisClient)));
    const client = () =>
      made.client as { sendCommand(args: unknown[], options?: unknown): Promise<unknown> };
    /** An adapter that records the commands it sends. */
    const recording = (prefix = uniquePrefix()) => {
      const sent: string[][] = [];
      const fs = new RedisFileSystem({
        sendRedisCommand: (args: (string | Uint8Array)[]) => {
          sent.push(args.map((a) => typeof a === "string" ? a : `<${a.byteLength} bytes>`));
          return client().sendCommand(
            args.map((a) => typeof a === "string" ? a : Buffer.from(a)),
            { typeMapping: { 36: Buffer } },
          );
        },
      }, { prefix });
      return { fs, sent };
    };
    const encode = (text: string) => new TextEncoder().encode(text);

    test("prefix and path join unambiguously: a prefix with '/' and a relative path are refused", async () => {
      assert.throws(
        () => new RedisFileSystem(made.client, { prefix: "app:/x" }),
        (error: Error) => error instanceof TypeError && /must not contain "\/"/.test(error.message),
      );
      const fs = new RedisFileSystem(made.client, { prefix: uniquePrefix() });
      await assert.rejects(fs.readFile("x/cache/f"), /must be absolute/);
      await assert.rejects(fs.writeFileAtomic("cache/f", encode("x")), /must be absolute/);
      await assert.rejects(collect(fs.list("cache")), /must be absolute/);
      // The default prefix and prefixes without "/" keep the key form of 0.1.
      assert.equal(new RedisFileSystem(made.client).prefix, "bucketcache:");
      await fs.writeFileAtomic("/x/cache/f", encode("x"));
      const keys = await client().sendCommand(["KEYS", `${fs.prefix}*`]) as unknown[];
      assert.deepEqual(keys.map(String), [`${fs.prefix}/x/cache/f`]);
    });

    test("capabilities: no real directories", () => {
      const fs = new RedisFileSystem(made.client);
      assert.deepEqual(fs.capabilities, { directories: false });
      assert.equal("noLegacyLayout" in fs, false);
    });

    test("a recursive listing is one SCAN pass over <prefix><dir>/*", async () => {
      const { fs, sent } = recording();
      for (const path of ["/b/.layout", "/b/ab/x.sclone", "/b/ab/cd/y.sclone", "/b/ef/z.sclone"]) {
        await fs.writeFileAtomic(path, encode(path));
      }
      await fs.writeFileAtomic("/bb/ab/not-mine.sclone", encode("other bucket"));
      sent.length = 0;
      assert.deepEqual(
        (await collect(fs.list("/b", { recursive: true }))).sort(),
        [".layout", "ab/cd/y.sclone", "ab/x.sclone", "ef/z.sclone"],
      );
      const scans = sent.filter((args) => args[0] === "SCAN");
      assert.equal(sent.length, scans.length, `only SCAN: ${sent.map((a) => a[0])}`);
      assert.equal(scans.filter((args) => args[1] === "0").length, 1, "one pass from cursor 0");
      for (const args of scans) assert.equal(args[3], `${fs.prefix}/b/*`);
    });

    test("removeIfUnchanged is one script that compares and deletes", async () => {
      const { fs, sent } = recording();
      await fs.writeFileAtomic("/r/f", encode("header+value"));
      sent.length = 0;
      assert.equal(await fs.removeIfUnchanged("/r/f", encode("header")), false);
      assert.equal(
        await fs.removeIfUnchanged("/r/f", encode("header!"), { prefixOnly: true }),
        false,
      );
      assert.equal(
        await fs.removeIfUnchanged("/r/f", encode("header"), { prefixOnly: true }),
        true,
      );
      assert.equal(
        await fs.removeIfUnchanged("/r/f", encode("header"), { prefixOnly: true }),
        false,
      );
      assert.deepEqual(sent.map((args) => args[0]), ["EVAL", "EVAL", "EVAL", "EVAL"]);
      assert.equal(await fs.readFile("/r/f"), null);
    });

    test("a value over the server's proto-max-bulk-len is refused before it is sent, naming the limit", async () => {
      const redis = client();
      const reply = await redis.sendCommand(["CONFIG", "GET", "proto-max-bulk-len"]);
      // An array [name, value] in RESP2, a map (an object in node-redis) in RESP3.
      const original = String(
        Array.isArray(reply) ? reply[1] : Object.values(reply as Record<string, unknown>)[0],
      );
      assert.match(original, /^\d+$/);
      await redis.sendCommand(["CONFIG", "SET", "proto-max-bulk-len", "1048576"]);
      try {
        const { fs, sent } = recording();
        await fs.writeFileAtomic("/big/ok", new Uint8Array(1024 * 1024 - 1024));
        await assert.rejects(
          fs.writeFileAtomic("/big/too-big", new Uint8Array(1024 * 1024 + 1)),
          (error: Error) => {
            assert.ok(error instanceof RangeError, String(error));
            assert.match(error.message, /too large for Redis/);
            assert.match(error.message, /proto-max-bulk-len/);
            assert.match(error.message, /1048576 bytes/);
            assert.match(error.message, /1048577 bytes/);
            return true;
          },
        );
        assert.equal(
          sent.filter((args) => args[0] === "CONFIG").length,
          1,
          "the limit is read once",
        );
        assert.equal(
          sent.some((args) => args.includes("<1048577 bytes>")),
          false,
          "the value was never sent",
        );
        assert.equal(await fs.readFile("/big/too-big"), null);
        assert.equal((await fs.readFile("/big/ok"))!.byteLength, 1024 * 1024 - 1024);
      } finally {
        await redis.sendCommand(["CONFIG", "SET", "proto-max-bulk-len", original]);
      }
      // Where CONFIG is refused (managed services), 512 MiB is assumed.
      const refusing = new RedisFileSystem({
        sendRedisCommand: (args: (string | Uint8Array)[]) =>
          args[0] === "CONFIG"
            ? Promise.reject(new Error("ERR unknown command 'CONFIG'"))
            : client().sendCommand(
              args.map((a) => typeof a === "string" ? a : Buffer.from(a)),
              { typeMapping: { 36: Buffer } },
            ),
      }, { prefix: uniquePrefix() });
      await refusing.writeFileAtomic("/big/two-mib", new Uint8Array(2 * 1024 * 1024));
      assert.equal((await refusing.stat("/big/two-mib"))!.size, 2 * 1024 * 1024);
    });
  });

  describe("buckets on Redis", () => {
    let made: AnyRedisClient;
    let fs: RedisFileSystem;
    before(async () => {
      made = await connected(nodeRedisClient);
      fs = new RedisFileSystem(made.client, { prefix: uniquePrefix() });
    });
    const redis = () => made.client as { sendCommand(args: string[]): Promise<unknown> };

    test("set, get, has, delete, expiry and prune work as on disk", async () => {
      const bucket = new Bucket("/b1", { fs, clockTolerance: 0 });
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
      const pruned = await new Bucket("/b1", { fs, memory: false }).pruneDirectory();
      assert.ok(pruned.num <= 1, "expired by Redis already, or pruned");
      assert.equal((await new Bucket("/b1", { fs }).usage()).entries, 1);
    });

    test("two machines whose clocks are 3 s apart share entries: 20 of 20 found, none deleted", async () => {
      const realNow = Date.now;
      Date.now = () => realNow() + 3000;
      try {
        const ahead = new Bucket("/clocks", { fs, hours: 1 });
        for (let i = 0; i < 20; i++) await ahead.set(i, `v${i}`);
      } finally {
        Date.now = realNow;
      }
      const behind = new Bucket("/clocks", { fs, hours: 1, memory: false });
      for (let i = 0; i < 20; i++) assert.equal(await behind.get(i), `v${i}`);
      assert.deepEqual(await behind.pruneDirectory(), { size: 0, num: 0 });
      assert.equal((await behind.usage()).entries, 20);
    });

    test("explain, invalidation by call, function and tag work on Redis across two buckets", async () => {
      const a = new Bucket("/explained", { fs, clockTolerance: 0 });
      const b = new Bucket("/explained", { fs, clockTolerance: 0 });
      assert.equal((await a.explain("none")).reason, "absent");
      await a.set("old", 1, { lifetime: 1 });
      await a.getOrSet("stale", () => 1, { lifetime: 1, staleWhileRevalidate: 60_000 });
      await a.set("tagged", 1, { tags: ["user:42"] });
      await a.set("broken", 1);
      const store = storeOf(a);
      const broken = store.entryPath(store.fileName(await store.locate("broken")));
      await fs.writeFileAtomic(
        broken,
        new TextEncoder().encode("bucketcache/1 damaged".padEnd(60)),
      );
      await sleep(5);
      const old = await b.explain("old");
      assert.ok(
        old.reason === "expired" || old.reason === "absent",
        "expired, or dropped by Redis",
      );
      const stale = await b.explain("stale");
      assert.deepEqual([stale.status, stale.reason], ["stale", "expired"], "kept for its window");
      const damaged = await b.explain("broken");
      assert.deepEqual([damaged.reason, damaged.damage], ["damaged", "damaged header"]);
      assert.equal((await b.explain("tagged")).status, "hit");
      assert.equal(await b.get("tagged"), 1);
      await a.invalidateTags(["user:42"]);
      assert.equal((await a.explain("tagged")).reason, "invalidated");
      await sleep(1100);
      assert.equal(await b.get("tagged"), undefined, "the other bucket sees it within a second");
      const f = a.memoize(function f(n: number) {
        return n;
      });
      await f(1);
      await f(2);
      assert.equal(await f.invalidate(1), true);
      assert.equal((await f.explain(1)).reason, "absent");
      assert.equal(await f.clear(), 1);
      assert.equal((await f.explain(2)).reason, "absent");
    });

    test("entries with an expiry get a Redis expiry (plus the clock tolerance); others none", async () => {
      const bucket = new Bucket("/b2", { fs, minutes: 10 });
      await bucket.set("k", "v");
      const forever = new Bucket("/b2f", { fs });
      await forever.set("k", "v");
      const ttl = async (b: Bucket) => {
        for await (const shard of fs.list(b.path)) void shard;
        const keys = await redis().sendCommand(["KEYS", `${fs.prefix}${b.path}/*`]) as Buffer[];
        const key = keys.map(String).find((k) => /\.sclone$/.test(k))!;
        return Number(await redis().sendCommand(["PTTL", key]));
      };
      const left = await ttl(bucket);
      // The lifetime, then the clock tolerance (a minute) for readers whose clock is behind.
      assert.ok(left > 10 * 60_000 && left <= 11 * 60_000, `PTTL ${left} ms, about 11 minutes`);
      assert.equal(await ttl(forever), -1, "no expiry");
    });

    test("values of several megabytes", async () => {
      const bucket = new Bucket("/big", { fs });
      const big = new Uint8Array(6 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
      await bucket.set("big", big);
      const back = await new Bucket("/big", { fs }).get("big") as Uint8Array;
      assert.equal(back.length, big.length);
      assert.deepEqual(back, big);
      const text = "é".repeat(3 * 1024 * 1024);
      await bucket.set("text", text);
      assert.equal(await new Bucket("/big", { fs, memory: false }).get("text"), text);
    });

    test("memoisation and deferred writes", async () => {
      const bucket = new Bucket("/memo", { fs });
      let calls = 0;
      const square = bucket.memoize((n: number) => (calls++, n * n), { name: "square" });
      assert.equal(await square(7), 49);
      const again = new Bucket("/memo", { fs }).memoize((n: number) => (calls++, n * n), {
        name: "square",
      });
      assert.equal(await again(7), 49);
      assert.equal(calls, 1, "the second bucket read the first one's result from Redis");
      await deferredWrite(bucket, async (deferred) => {
        for (let i = 0; i < 20; i++) await deferred.set(`d${i % 5}`, i);
      });
      assert.equal(await new Bucket("/memo", { fs }).get("d4"), 19);
    });

    test("a budget holds on Redis (recency in a hash field)", async () => {
      const bucket = new Bucket("/budget", { fs });
      for (let i = 0; i < 30; i++) await bucket.set(i, i);
      const result = await bucket.evict({ maxEntries: 10 });
      assert.equal(result.usage.entries, 9);
      assert.equal((await bucket.usage()).entries, 9);
      assert.equal(await new Bucket("/budget", { fs, memory: false }).get(29), 29, "newest kept");
    });

    test("two processes with their own memory layers see each other's writes", async () => {
      const prefix = fs.prefix;
      const peer = join(root, "tests/fixtures/redis_peer.ts");
      const env = { BUCKETCACHE_REDIS_URL: redisUrl };
      const wrote = await runScript("bun", peer, [prefix, "write", "from-peer", "42"], { env });
      assert.equal(wrote.code, 0, wrote.stderr);
      const mine = new Bucket("/shared", { fs });
      assert.equal(await mine.get("from-peer"), 42);
      await mine.set("from-test", { ok: true });
      const read = await runScript("deno", peer, [prefix, "read", "from-test"], { env });
      assert.equal(read.code, 0, read.stderr);
      assert.deepEqual(JSON.parse(read.stdout.trim()), { ok: true });
      // Memory layers are per process: an overwrite elsewhere is seen once ours lets go.
      await runScript("bun", peer, [prefix, "write", "from-peer", "43"], { env });
      assert.equal(await mine.get("from-peer"), 42, "still this process's memory copy");
      await mine.unloadKey("from-peer");
      assert.equal(await mine.get("from-peer"), 43);
    });

    test("a client through RedisCommandSender; a new bucket's first read lists nothing", async () => {
      const sent: string[] = [];
      const sender = {
        sendRedisCommand: (args: (string | Uint8Array)[]) => {
          sent.push(String(args[0]));
          return (made.client as {
            sendCommand(args: unknown[], options: unknown): Promise<unknown>;
          }).sendCommand(
            args.map((a) => typeof a === "string" ? a : Buffer.from(a)),
            { typeMapping: { 36: Buffer } },
          );
        },
      };
      const own = new RedisFileSystem(sender, { prefix: uniquePrefix() });
      const bucket = new Bucket("/fresh", { fs: own });
      assert.equal(await bucket.get("nothing yet"), undefined);
      await bucket.set("k", new Uint8Array([0, 255]));
      assert.deepEqual(await new Bucket("/fresh", { fs: own }).get("k"), new Uint8Array([0, 255]));
      assert.equal(sent.includes("SCAN"), false, `no SCAN on the way of get or set: ${sent}`);
    });

    test("bad clients and options are refused with what to change", () => {
      assert.throws(() => new RedisFileSystem({}), /node-redis or ioredis client/);
      assert.throws(() => new RedisFileSystem(made.client, { prefx: "x" } as never), TypeError);
      assert.throws(() => new RedisFileSystem(made.client, { scanCount: 0 }), RangeError);
    });
  });

  describe("a Redis restart during use", () => {
    const reason = redisRestartable
      ? ""
      : " (skipped: the server is not ours to stop; .ci/run sets BUCKETCACHE_REDIS_RESTARTABLE=1)";
    test(
      `operations reject while the server is down and work again once it is back${reason}`,
      { skip: !redisRestartable },
      async () => {
        for (const make of [nodeRedisClient, ioredisClient]) {
          const made = await connected(make);
          const fs = new RedisFileSystem(made.client, { prefix: uniquePrefix() });
          const bucket = new Bucket("/restart", { fs });
          await bucket.set("before", 1);
          const admin = await connected(ioredisClient);
          await (admin.client as { call(...a: string[]): Promise<unknown> })
            .call("SHUTDOWN", "NOSAVE").catch(() => {});
          await sleep(200);
          await assert.rejects(new Bucket("/restart", { fs }).get("before"), `${made.kind}: get`);
          await assert.rejects(bucket.set("during", 2), `${made.kind}: set`);
          const started = spawnSync("redis-server", [
            "--port",
            String(redisPort),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
          ]);
          assert.equal(started.status, 0, String(started.stderr));
          // The client reconnects by itself.
          let recovered = false;
          for (let i = 0; i < 100 && !recovered; i++) {
            await sleep(50);
            recovered = await bucket.set("after", 3).then(() => true, () => false);
          }
          assert.ok(recovered, `${made.kind} recovered`);
          assert.equal(await new Bucket("/restart", { fs }).get("after"), 3);
          assert.equal(
            await new Bucket("/restart", { fs }).get("before"),
            undefined,
            "a server without persistence came back empty: a miss, not an error",
          );
        }
      },
    );
  });
}
