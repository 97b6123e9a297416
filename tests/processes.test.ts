// Real processes of all three runtimes on one bucket directory: a stress run
// and a kill -9 torture. They spawn Deno, Bun and Node themselves, so they run
// once per suite, from the Deno run (elsewhere they are skipped, saying so).
// BUCKETCACHE_SCALE multiplies their size: 1 in CI, 10 for the long run
// (`deno task reliability:long`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { utimes } from "node:fs/promises";
import { LAYOUT_FILE, SHARDS } from "../src/format/layout.ts";
import { temporaryFiles } from "./helpers/bucket.ts";
import { join } from "node:path";
import { Bucket, defaultFileSystem } from "../mod.ts";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { root, runScript, runtimeCommand, type RuntimeName } from "./helpers/runtimes.ts";
import { verifyValue } from "./helpers/verified.ts";

const env = process.env;
const SCALE = Number(env.BUCKETCACHE_SCALE ?? 1);
const here = env.BUCKETCACHE_TEST_RUNNER ?? "deno";
const orchestrate = here === "deno";
const skipped = orchestrate
  ? ""
  : ` (skipped in the ${here} run: it runs once, from the Deno run, and spawns all three runtimes)`;
const runtimes: RuntimeName[] = ["deno", "bun", "node"];

test(
  `6 processes (Deno, Bun, Node × 2, one deferred) share a bucket: every read is complete or missing${skipped}`,
  {
    skip: !orchestrate,
  },
  async () => {
    const dir = await makeTempDir();
    const ms = 6000 * SCALE;
    try {
      const workers = runtimes.flatMap((runtime, r) =>
        [0, 1].map((i) => {
          const writer = `${runtime}${i}`;
          const mode = r === 0 && i === 0 ? ["deferred"] : [];
          return runScript(runtime, join(root, "tests/fixtures/stress_worker.ts"), [
            dir,
            writer,
            String(ms),
            String(r * 7 + i + 1),
            ...mode,
          ], {
            timeoutMs: ms + 60_000,
          });
        })
      );
      const results = await Promise.all(workers);
      let ops = 0;
      let hits = 0;
      for (const result of results) {
        assert.equal(result.code, 0, `a worker failed:\n${result.stdout}\n${result.stderr}`);
        const summary = JSON.parse(result.stdout.trim().split("\n").pop()!);
        assert.deepEqual(summary.wrong, [], `${summary.writer} read no wrong value`);
        assert.deepEqual(summary.errors, [], `${summary.writer} saw no exception`);
        assert.ok(summary.sets > 0 && summary.reads > 0, `${summary.writer} did work`);
        ops += summary.ops;
        hits += summary.hits;
      }
      assert.ok(hits > 0, "reads found values written by the processes");
      console.log(
        `stress: 6 processes × ${ms / 1000} s, ${ops} operations, ${hits} verified reads, 0 wrong`,
      );
      const leftover = await temporaryFiles(dir);
      assert.deepEqual(leftover, [], "no temporary files left by processes that exited normally");
    } finally {
      await removeDir(dir);
    }
  },
);

/** Starts a writer, waits for it to start writing, kills it with SIGKILL after a random moment. */
function killWriter(runtime: RuntimeName, dir: string, seed: number): Promise<void> {
  const [command, lead] = runtimeCommand(runtime);
  const flags = runtime === "deno" ? ["--allow-all"] : [];
  const child = spawn(command, [
    ...lead,
    ...flags,
    join(root, "tests/fixtures/kill_writer.ts"),
    dir,
    `${runtime}-${seed}`,
    String(seed),
  ], {
    cwd: root,
    env: { ...process.env, DENO_NO_PACKAGE_JSON: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        setTimeout(() => child.kill("SIGKILL"), Math.random() * 150);
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (signal === "SIGKILL") resolve();
      else {reject(
          new Error(
            `${runtime} writer ended with ${code ?? signal} before it was killed:\n${stderr}`,
          ),
        );}
    });
  });
}

test(
  `kill -9 during writes: every entry reads complete or missing; pruning removes the orphans${skipped}`,
  {
    skip: !orchestrate,
  },
  async () => {
    const dir = await makeTempDir();
    const perRuntime = 40 * SCALE;
    try {
      await Promise.all(runtimes.map(async (runtime, r) => {
        for (let i = 0; i < perRuntime; i++) await killWriter(runtime, dir, r * 100_000 + i + 1);
      }));
      const orphans = await temporaryFiles(dir);
      const reader = new Bucket(dir, { memory: false });
      let complete = 0;
      for (let k = 0; k < 8; k++) {
        const value = await reader.get(`k${k}`);
        if (value !== undefined) {
          assert.equal(verifyValue(`k${k}`, value), undefined, `k${k} is a complete value`);
          complete++;
        }
      }
      assert.ok(complete > 0);
      const visible: string[] = [];
      for (const shard of ["", ...SHARDS]) {
        for await (const name of defaultFileSystem().list(join(dir, shard))) visible.push(name);
      }
      assert.ok(
        visible.every((name) => /^[0-9a-f]{64}\.sclone$/.test(name) || name === LAYOUT_FILE),
        "temporary files are never listed to readers",
      );
      const longAgo = new Date(Date.now() - 16 * 60 * 1000);
      for (const orphan of orphans) await utimes(join(dir, orphan), longAgo, longAgo);
      const pruned = await reader.pruneDirectory();
      assert.equal(
        pruned.num,
        orphans.length,
        "pruning removed exactly the orphaned temporary files (no damaged entries)",
      );
      assert.deepEqual(await temporaryFiles(dir), []);
      console.log(
        `kill -9: ${
          perRuntime * 3
        } kills survived, ${orphans.length} orphaned temporary files pruned, ${complete}/8 keys complete, 0 torn`,
      );
    } finally {
      await removeDir(dir);
    }
  },
);
