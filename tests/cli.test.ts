// The command-line tool, through spawned processes of the runtime running
// this test: every command, its --help, its exit codes and its one-line errors.

import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, JSONBackend } from "../mod.ts";
import { coreOf } from "../src/bucket.ts";
import { entryFiles, temporaryFiles } from "./helpers/bucket.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { root, runScript, type RuntimeName } from "./helpers/runtimes.ts";
import { progressBar } from "../src/cli/_progress.ts";
import process from "node:process";

const runtime: RuntimeName = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const cli = join(root, "cli.ts");
const run = (...args: string[]) => runScript(runtime, cli, args);

/** A directory with 12 structured entries, one JSON entry, one expired entry. */
async function filled(): Promise<{ dir: string; jsonHash: string; expiredHash: string }> {
  const dir = join(await makeTempDir(), "cache");
  const bucket = new Bucket(dir);
  for (let i = 0; i < 12; i++) await bucket.set(i, { i, map: new Map([["k", i]]) });
  await bucket.set("short", "gone soon", { lifetime: 1 });
  const json = new Bucket(dir, { backend: JSONBackend });
  await json.set("j", { hello: "world" });
  const hashOf = async (b: Bucket, key: string) => {
    const core = coreOf(b);
    return core.fileName(await core.locate(key)).slice(0, 64);
  };
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { dir, jsonHash: await hashOf(json, "j"), expiredHash: await hashOf(bucket, "short") };
}

describe(`command-line tool (${runtime})`, () => {
  let dir: string;
  let jsonHash: string;
  let expiredHash: string;
  before(async () => ({ dir, jsonHash, expiredHash } = await filled()));

  test("--help, on the tool and on every command; no command is a usage error", async () => {
    const top = await run("--help");
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: bucketcache <command> DIR/);
    for (const command of ["stats", "ls", "show", "prune", "verify", "clear", "evict"]) {
      const help = await run(command, "--help");
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, new RegExp(`Usage: bucketcache ${command}`));
    }
    assert.equal((await run()).code, 2);
  });

  test("stats: counts by backend, bytes, expired; --json for scripts; quiet stderr off a terminal", async () => {
    const human = await run("stats", dir);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stderr, "", "no progress bar when stderr is not a terminal");
    assert.match(human.stdout, /entries +14 \(sclone 13, json 1\)/);
    assert.match(human.stdout, /expired +1/);
    const json = JSON.parse((await run("stats", dir, "--json")).stdout);
    assert.equal(json.entries, 14);
    assert.equal(json.expired, 1);
    assert.equal(json.layout, 2);
    assert.deepEqual(Object.keys(json.backends).sort(), ["json", "sclone"]);
    const usage = await new Bucket(dir).usage();
    const jsonUsage = await new Bucket(dir, { backend: JSONBackend }).usage();
    assert.equal(json.bytes, usage.bytes + jsonUsage.bytes);
  });

  test("ls: a line per entry; --json is an array with hash, backend, size, last use, expiry", async () => {
    const human = await run("ls", dir);
    assert.equal(human.code, 0);
    assert.equal(human.stdout.trim().split("\n").length, 14);
    const rows = JSON.parse((await run("ls", dir, "--json")).stdout);
    assert.equal(rows.length, 14);
    const expired = rows.find((row: { hash: string }) => row.hash === expiredHash);
    assert.equal(expired.expired, true);
    assert.ok(!Number.isNaN(Date.parse(expired.expires)));
    const json = rows.find((row: { hash: string }) => row.hash === jsonHash);
    assert.equal(json.backend, "json");
    assert.equal(json.expires, null);
  });

  test("show: decodes by hash prefix; --json; a missing entry exits 1, a bad hash 2", async () => {
    const shown = await run("show", dir, jsonHash.slice(0, 10));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /hello: 'world'/);
    const json = await run("show", dir, jsonHash, "--json");
    assert.deepEqual(JSON.parse(json.stdout), { hello: "world" });
    const missing = await run("show", dir, "ffff".repeat(16));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^bucketcache: no entry's hash starts with f+\n$/);
    assert.equal((await run("show", dir, "xyz")).code, 2);
  });

  test("verify: reports damaged files and exits 1; --fix removes them and exits 0", async () => {
    const { dir } = await filled();
    const [victim] = await entryFiles(dir);
    const bytes = await readFile(join(dir, victim));
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(join(dir, victim), bytes);
    const found = await run("verify", dir);
    assert.equal(found.code, 1);
    assert.match(found.stdout, /^damaged .*: .*checksum/m);
    assert.match(found.stdout, /checked 14 files: 1 damaged \(run with --fix/);
    const fixed = await run("verify", dir, "--fix");
    assert.equal(fixed.code, 0);
    assert.equal((await entryFiles(dir)).includes(victim), false);
    assert.equal((await run("verify", dir)).code, 0);
  });

  test("prune: removes expired entries and old orphaned temporary files", async () => {
    const { dir } = await filled();
    const [some] = await entryFiles(dir);
    const orphan = join(dir, some.slice(0, 2), `.${some.slice(3)}.0123456789abcdef.tmp`);
    await writeFile(orphan, "partial");
    const old = new Date(Date.now() - 20 * 60 * 1000);
    await utimes(orphan, old, old);
    const pruned = await run("prune", dir);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^removed 2 files/);
    assert.deepEqual(await temporaryFiles(dir), []);
    assert.equal((await entryFiles(dir)).length, 13);
  });

  test("evict --max-size / --max-entries; clear", async () => {
    const { dir } = await filled();
    const evicted = await run("evict", dir, "--max-entries", "10");
    assert.equal(evicted.code, 0, evicted.stderr);
    assert.match(evicted.stdout, /evicted 4 least recently used and 1 expired entries/);
    assert.equal((await entryFiles(dir)).length, 9);
    const bySize = await run("evict", dir, "--max-size", "300B");
    assert.equal(bySize.code, 0, bySize.stderr);
    const { bytes } = await new Bucket(dir).usage();
    assert.ok(bytes <= 270, `${bytes} bytes left, within 90% of 300`);
    assert.equal((await run("evict", dir)).code, 2, "a budget is required");
    assert.equal((await run("evict", dir, "--max-size", "1XB")).code, 2);
    const cleared = await run("clear", dir);
    assert.equal(cleared.code, 0);
    assert.deepEqual(await entryFiles(dir), []);
  });

  test("the progress bar draws on a terminal, and clears itself", () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof write;
    try {
      const bar = progressBar("prune", true);
      bar.update(128, 257, "5 files");
      bar.update(257, 257, "9 files");
      bar.done();
      const silent = progressBar("prune", false);
      silent.update(1, 2);
      silent.done();
    } finally {
      process.stderr.write = write;
    }
    assert.match(written[0], /^\rprune \[#{15}\.{15}\] 49% 5 files/);
    assert.match(written[1], /\[#{30}\] 100% 9 files/);
    assert.equal(written[2], "\r\x1b[K");
    assert.equal(written.length, 3, "nothing when not a terminal");
  });

  test("errors are one line with what to change; exit 2 for the command line, 3 for failures", async () => {
    for (
      const [args, pattern] of [
        [["frobnicate", dir], /unknown command "frobnicate"/],
        [["ls"], /missing DIR/],
        [["ls", join(dir, "nope")], /no such directory/],
        [["ls", dir, "--colour"], /unknown option '--colour' for ls/],
        [["ls", dir, "extra"], /too many arguments/],
      ] as const
    ) {
      const result = await run(...args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line, no stack trace");
    }
    // A shard that is a file: listing it fails with ENOTDIR, an I/O failure.
    const { dir: broken } = await filled();
    const [first] = await entryFiles(broken);
    await rm(join(broken, first.slice(0, 2)), { recursive: true });
    await writeFile(join(broken, first.slice(0, 2)), "not a directory");
    const failed = await run("ls", broken);
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /^bucketcache: .*ENOTDIR|not a directory/i);
  });
});
