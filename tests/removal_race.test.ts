// Removals race real writers: a writer in this test's runtime puts, cycle
// after cycle, a removable version of a key (expired by its own date, or
// damaged) and at once a fresh value, while readers in Deno, Bun and Node
// read the keys (a read deletes what it judges removable), prune the
// directory and run `verify --fix`. A removal must delete exactly the file
// it judged or nothing: no fresh value may disappear or be overwritten.
// BUCKETCACHE_SCALE multiplies the cycles (10 for the long run).

import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { root, runScript, type RuntimeName } from "./helpers/runtimes.ts";

const SCALE = Number(process.env.BUCKETCACHE_SCALE ?? 1);
const CYCLES = 600 * SCALE;
const here = (process.env.BUCKETCACHE_TEST_RUNNER ?? "deno").replace("node24", "node");
const writerRuntime: RuntimeName = here === "bun" || here === "node" ? here : "deno";
const readers: [RuntimeName, string][] = [["deno", "read"], ["bun", "prune"], ["node", "verify"]];

test(
  `removal race: ${CYCLES} cycles of a ${writerRuntime} writer against Deno, Bun and Node readers, ` +
    "pruning and verify --fix: 0 fresh values deleted",
  { timeout: 300_000 },
  async () => {
    const dir = join(await makeTempDir(), "cache");
    const stop = join(dir, "..", "stop");
    try {
      const fixtures = join(root, "tests", "fixtures");
      const running = readers.map(([runtime, mode]) =>
        runScript(runtime, join(fixtures, "race_reader.ts"), [dir, stop, mode], {
          timeoutMs: 280_000,
        })
      );
      const writer = await runScript(
        writerRuntime,
        join(fixtures, "race_writer.ts"),
        [dir, String(CYCLES)],
        { timeoutMs: 280_000 },
      );
      await writeFile(stop, "");
      const finished = await Promise.all(running);
      assert.equal(writer.code, 0, writer.stderr);
      const result = JSON.parse(writer.stdout.trim().split("\n").at(-1)!);
      const work = finished.map((r, i) => {
        assert.equal(r.code, 0, `${readers[i][0]} reader: ${r.stderr}`);
        return { runtime: readers[i][0], ...JSON.parse(r.stdout.trim().split("\n").at(-1)!) };
      });
      console.log(
        `removal race: ${result.cycles} cycles, ${result.deleted} fresh values deleted, ` +
          `${result.replaced} overwritten; readers: ${
            work.map((w) => `${w.runtime} ${w.reads} reads, ${w.passes} passes`).join("; ")
          }`,
      );
      assert.ok(work.every((w) => w.reads > 0), "every reader ran");
      assert.equal(result.deleted, 0, "fresh values deleted");
      assert.equal(result.replaced, 0, "fresh values overwritten");
    } finally {
      await writeFile(stop, "").catch(() => {});
      await removeDir(join(dir, ".."));
    }
  },
);
