// `lock`: one computation per key across real processes of Deno, Bun and
// Node, on the disk adapter and on Redis; and a lease holder killed with
// SIGKILL mid-computation, whose lease exactly one waiter takes over.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { root, runScript, runtimeCommand, type RuntimeName } from "./helpers/runtimes.ts";
import { nodeRedisClient, redisReachable, redisRequired } from "./helpers/redis.ts";
import { RedisFileSystem } from "../redis.ts";
import { spawn } from "node:child_process";

const worker = join(root, "tests", "fixtures", "lock_worker.ts");
const reachable = await redisReachable();
const mix: RuntimeName[] = ["deno", "bun", "node", "deno", "bun", "node", "deno", "bun"];

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, "utf8")).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Every file under `dir`, relative (leases are dotfiles next to their entry). */
async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(entry.name);
  }
  return found;
}

async function eightAtOnce(store: string, countFile: string) {
  const startAt = String(Date.now() + 4000);
  const results = await Promise.all(
    mix.map((runtime) =>
      runScript(runtime, worker, [store, countFile, startAt, "300", "5000"], { timeoutMs: 60_000 })
    ),
  );
  for (const [i, result] of results.entries()) {
    assert.equal(result.code, 0, `${mix[i]}: ${result.stderr}`);
  }
  return results.map((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!).value);
}

describe("lock: one computation across processes", () => {
  test("8 processes (Deno, Bun, Node) call one key at once on disk: it runs once, all get its value", async () => {
    const base = await makeTempDir();
    try {
      const dir = join(base, "cache");
      const countFile = join(base, "count");
      const values = await eightAtOnce(dir, countFile);
      const computed = await lines(countFile);
      assert.equal(computed.length, 1, `computed by: ${computed.join(", ")}`);
      for (const value of values) assert.deepEqual(value, values[0]);
      assert.ok(!(await filesUnder(dir)).some((f) => f.endsWith(".lease")), "no lease left");
    } finally {
      await removeDir(base);
    }
  });

  test(
    `8 processes call one key at once on Redis: it runs once, all get its value${
      reachable ? "" : " (skipped: no Redis server; set BUCKETCACHE_REDIS_URL)"
    }`,
    { skip: !reachable && !redisRequired },
    async () => {
      const base = await makeTempDir();
      try {
        const countFile = join(base, "count");
        const prefix = `lock-${Date.now()}-${Math.random().toString(16).slice(2)}:`;
        const values = await eightAtOnce(`redis:${prefix}`, countFile);
        const computed = await lines(countFile);
        assert.equal(computed.length, 1, `computed by: ${computed.join(", ")}`);
        for (const value of values) assert.deepEqual(value, values[0]);
      } finally {
        await removeDir(base);
      }
    },
  );

  for (const on of ["disk", "Redis"] as const) {
    const skip = on === "Redis" && !reachable && !redisRequired;
    test(
      `a lease holder killed with SIGKILL on ${on}: exactly one waiter takes over within leaseMs + 1 s${
        skip ? " (skipped: no Redis server; set BUCKETCACHE_REDIS_URL)" : ""
      }`,
      { skip },
      () => killHolder(on),
    );
  }
});

async function killHolder(on: "disk" | "Redis"): Promise<void> {
  const base = await makeTempDir();
  const prefix = `lock-kill-${Date.now()}-${Math.random().toString(16).slice(2)}:`;
  const dir = on === "disk" ? join(base, "cache") : `redis:${prefix}`;
  const countFile = join(base, "count");
  await writeFile(countFile, "");
  const leaseMs = 1500;
  try {
    // The holder: computes for a long time.
    const [command, lead] = runtimeCommand("node");
    const holder = spawn(
      command,
      [...lead, worker, dir, countFile, "0", "60000", String(leaseMs)],
      {
        cwd: root,
        env: { ...process.env, DENO_NO_PACKAGE_JSON: "1" },
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 200 && (await lines(countFile)).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await lines(countFile)).length, 1, "the holder started computing");
    const waiters = (["deno", "bun", "node", "deno", "bun"] as RuntimeName[]).map((runtime) =>
      runScript(runtime, worker, [dir, countFile, "0", "200", String(leaseMs)], {
        timeoutMs: 60_000,
      })
    );
    // Let the waiters start and find the lease held.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const killedAt = Date.now();
    holder.kill("SIGKILL");
    const results = await Promise.all(waiters);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const values = results.map((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!).value);
    const computed = await lines(countFile);
    assert.equal(computed.length, 2, `the holder, then exactly one waiter: ${computed.join(", ")}`);
    for (const value of values) assert.deepEqual(value, values[0]);
    const tookOver = Number(computed[1].split(" ")[2]) - killedAt;
    console.log(`lease taken over ${tookOver} ms after the kill (lease ${leaseMs} ms)`);
    assert.ok(tookOver <= leaseMs + 1000, `taken over ${tookOver} ms after the kill`);
    const left = on === "disk" ? await filesUnder(dir) : await redisFiles(prefix);
    assert.ok(!left.some((f) => f.endsWith(".lease")), `no lease left: ${left.join(", ")}`);
  } finally {
    await removeDir(base);
  }
}

/** The paths of every file a Redis store with `prefix` holds. */
async function redisFiles(prefix: string): Promise<string[]> {
  const made = await nodeRedisClient();
  try {
    const fs = new RedisFileSystem(made.client as never, { prefix });
    const found: string[] = [];
    for await (const path of fs.list("/locked", { recursive: true, includeTemporary: true })) {
      found.push(path);
    }
    return found;
  } finally {
    await made.close();
  }
}
