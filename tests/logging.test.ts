import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Bucket, logger, loggerConfig, MemoryFileSystem } from "../mod.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { onlyFile, overwrite, tempBucket } from "./helpers/bucket.ts";

const records: LogRecord[] = [];
const find = (category: string, text: string) =>
  records.find((r) =>
    r.category.join(".") === `bucketcache.${category}` && String(r.rawMessage).includes(text)
  );

describe("logging is off unless the application turns it on", () => {
  test("no records and no formatting work while LogTape is not configured", async () => {
    assert.equal(logger.isEnabledFor("debug"), false);
    assert.deepEqual(logger.category, ["bucketcache"]);
    const bucket = new Bucket("/quiet", { fs: new MemoryFileSystem() });
    const stringify = JSON.stringify;
    let formatted = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      // A memoised entry's metadata ({ fn, … }) is JSON in the file: not a log.
      const meta = typeof args[0] === "object" && args[0] !== null && "fn" in args[0];
      if (!meta) formatted++;
      return stringify(...args);
    }) as typeof stringify;
    try {
      const key = { long: "k".repeat(500) }; // hashed at once: a debug record if enabled
      await bucket.set(key, 1);
      await bucket.unloadKey(key);
      await bucket.get(key);
      const f = bucket.memoize(function f(a: number) {
        return a;
      });
      await f(1);
      await f(1);
    } finally {
      JSON.stringify = stringify;
    }
    assert.equal(formatted, 0, "keys are never described for a disabled logger");
  });
});

describe("log records", () => {
  before(async () => {
    await configure({
      sinks: { test: (record) => void records.push(record) },
      loggers: [
        { category: ["bucketcache"], lowestLevel: "debug", sinks: ["test"] },
        { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
      ],
      reset: true,
    });
  });
  after(async () => {
    loggerConfig.logFullKeys = false;
    await reset();
  });

  test("key hashing (debug), keys abbreviated to 80 characters unless logFullKeys", async () => {
    const bucket = new Bucket("/log", { fs: new MemoryFileSystem() });
    records.length = 0;
    await bucket.set({ note: "x".repeat(200) }, 1);
    const hashed = find("keys", "Hashed key");
    assert.ok(hashed, "a debug record for the hash");
    assert.equal(hashed.level, "debug");
    assert.equal((hashed.properties.key as string).length, 80);
    assert.match(hashed.properties.hash as string, /^[0-9a-f]{64}$/);
    assert.equal(hashed.properties.backend, "StructuredCloneBackend");
    loggerConfig.logFullKeys = true;
    records.length = 0;
    await bucket.set({ note: "y".repeat(200) }, 1);
    assert.equal(
      (find("keys", "Hashed key")!.properties.key as string).length,
      JSON.stringify({ note: "y".repeat(200) }).length,
    );
    loggerConfig.logFullKeys = false;
  });

  test("file loads (info), damaged files and lifetime-changed expiry (warning)", async () => {
    const bucket = await tempBucket({ hours: 2 });
    await bucket.set("k", 1);
    await bucket.unloadKey("k");
    records.length = 0;
    await bucket.get("k");
    const load = find("file", "Attempt load from file");
    assert.equal(load?.level, "info");
    assert.match(load!.properties.path as string, /[0-9a-f]{64}\.sclone$/);
    assert.equal(load!.properties.key, '"k"');
    bucket.lifetime = { minutes: 1 };
    records.length = 0;
    await bucket.get("k");
    const expiry = find("file", "lifetime");
    assert.equal(expiry?.level, "warning");
    assert.equal(expiry!.properties.lifetime, 60_000);
    await bucket.delete("k");
    await bucket.set("d", 1);
    await bucket.unloadKey("d");
    const { path } = await onlyFile(bucket);
    await overwrite(path, "garbage that is no entry file at all, not even close to one");
    records.length = 0;
    assert.equal(await bucket.get("d"), undefined);
    const foreign = find("file", "Leaving {path} alone");
    assert.equal(foreign?.level, "warning");
    assert.equal(foreign!.properties.reason, "not a bucketcache entry file");
    await overwrite(
      path,
      "bucketcache/1 garbage after our magic, long enough to be a whole header",
    );
    records.length = 0;
    assert.equal(await bucket.get("d"), undefined);
    const damaged = find("file", "Removing damaged entry file");
    assert.equal(damaged?.level, "warning");
    assert.equal(damaged!.properties.path, path);
    assert.equal(damaged!.properties.reason, "damaged header");
    assert.equal(damaged!.properties.backend, "StructuredCloneBackend");
  });

  test("memoised calls and hits (info), write failures (error)", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/memo-log", { fs });
    const add = bucket.memoize(function add(a: number, b: number) {
      return a + b;
    });
    records.length = 0;
    await add(1, 2);
    await add(1, 2);
    const call = find("memoize", "Calling");
    assert.equal(call?.level, "info");
    assert.equal(call!.properties.name, "add");
    assert.equal(call!.properties.reason, "not cached");
    const hit = find("memoize", "loaded from cache");
    assert.equal(hit?.level, "info");
    assert.match(hit!.properties.key as string, /add/);
    fs.fail("writeFileAtomic", "ENOSPC");
    records.length = 0;
    assert.equal(await add(2, 2), 4, "the result is still returned");
    const failure = find("memoize", "Could not cache");
    assert.equal(failure?.level, "error");
    assert.equal((failure!.properties.error as { code: string }).code, "ENOSPC");
  });
});
