// The command-line tool, through spawned processes of the runtime running
// this test and through main(argv, fs) in-process: every command, its
// --help, its exit codes and its one-line errors; that it touches only the
// library's own files (never foreign files, never through symlinks), that
// read-only commands write nothing, that removals leave a file that changed
// since it was judged, and that `show` stays bounded on shared references;
// `why` against entries a real Bucket and memoize wrote, `ls` and `stats` by
// function and tag, and `invalidate` by tag (seen by another process within
// the documented second) and by function (as memoized.clear() does).

import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { spawn } from "node:child_process";
import { Bucket, JSONBackend, MemoryFileSystem, StructuredCloneBackend } from "../mod.ts";
import { storeOf } from "../src/bucket.ts";
import { defaultFileSystem } from "../src/fs/detect.ts";
import type { FileSystem } from "../src/fs/types.ts";
import { encodeEntryFile } from "../src/format/entry.ts";
import { USAGE_FILE } from "../src/format/layout.ts";
import { encodeUsageFile, parseUsageFile } from "../src/format/usage_file.ts";
import { EXIT, main } from "../src/cli/main.ts";
import { progressBar } from "../src/cli/_progress.ts";
import { entryFiles, temporaryFiles } from "./helpers/bucket.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { root, runScript, runtimeCommand, type RuntimeName } from "./helpers/runtimes.ts";
import process from "node:process";

const runtime: RuntimeName = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const cli = join(root, "cli.ts");
const run = (...args: string[]) => runScript(runtime, cli, args, { timeoutMs: 30_000 });
const COMMANDS = ["stats", "ls", "show", "why", "verify", "prune", "clear", "evict", "invalidate"];
const READ_ONLY = ["stats", "ls", "show", "why"];

/** Runs main() in this process, collecting what it writes. */
async function inProcess(
  args: string[],
  fs: FileSystem = defaultFileSystem(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, fs, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    progress: false,
  });
  return { code, stdout, stderr };
}

/** An adapter that behaves like `base` except for `overrides`. */
function wrapFs(base: FileSystem, overrides: Partial<FileSystem>): FileSystem {
  return new Proxy(base, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof FileSystem];
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The entry file name a bucket gives a key. */
async function nameOf(bucket: Bucket, key: unknown): Promise<string> {
  const store = storeOf(bucket);
  return store.fileName(await store.locate(key));
}

/** Writes an entry file for `key` that expired `agoMs` ago (beyond the clock tolerance). */
async function writeExpired(dir: string, key: string, agoMs: number): Promise<string> {
  const name = await nameOf(new Bucket(dir), key);
  const payload = new StructuredCloneBackend().dump({ value: "gone", expirationDate: null });
  await mkdir(join(dir, name.slice(0, 2)), { recursive: true });
  await writeFile(
    join(dir, name.slice(0, 2), name),
    encodeEntryFile(name, payload as Uint8Array, Date.now() - agoMs, true),
  );
  return name.slice(0, 64);
}

/**
 * A directory with 12 structured entries, one JSON entry, and one entry
 * expired two minutes ago (past the one-minute clock tolerance).
 */
async function filled(): Promise<{ dir: string; jsonHash: string; expiredHash: string }> {
  const dir = join(await makeTempDir(), "cache");
  const bucket = new Bucket(dir);
  for (let i = 0; i < 12; i++) await bucket.set(i, { i, map: new Map([["k", i]]) });
  const json = new Bucket(dir, { backend: JSONBackend });
  await json.set("j", { hello: "world" });
  const expiredHash = await writeExpired(dir, "short", 120_000);
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { dir, jsonHash: (await nameOf(json, "j")).slice(0, 64), expiredHash };
}

/** Every file and link under `dir`: path, kind, size, modification time and a digest. */
async function snapshot(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string) => {
    let names: string[];
    try {
      names = await readdir(join(dir, relative));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(dir, relative, name);
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        found.push(`${relative}/${name} -> ${await readlink(path)}`);
      } else if (info.isDirectory()) {
        found.push(`${relative}/${name}/`);
        await walk(`${relative}/${name}`);
      } else {
        const digest = createHash("sha256").update(await readFile(path)).digest("hex");
        found.push(`${relative}/${name} ${info.size} ${info.mtimeMs} ${digest}`);
      }
    }
  };
  await walk("");
  return found;
}

/** A value where each level references the level below twice: 2^levels paths, few objects. */
function sharedGraph(levels: number): unknown {
  let level: unknown = { leaf: "bottom", values: [1, 2, 3] };
  for (let i = 0; i < levels; i++) {
    level = { left: level, right: level, depth: i, tag: `level-${i}`, pair: [level, level] };
  }
  return level;
}

describe(`command-line tool (${runtime})`, () => {
  let dir: string;
  let jsonHash: string;
  let expiredHash: string;
  before(async () => ({ dir, jsonHash, expiredHash } = await filled()));

  test("--help on the tool and on every command; no command is a one-line usage error", async () => {
    const top = await run("--help");
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /Usage: bucketcache <command> DIR/);
    const none = await run();
    assert.equal(none.code, 2);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /^bucketcache: missing command: use stats, ls, show/);
    assert.equal(none.stderr.trim().split("\n").length, 1);
    const ls = await run("ls", "--help");
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, /^Usage: bucketcache ls DIR \[--json\] \[--fn NAME\] \[--tag TAG\]$/m);
  });

  test("help: the top level lists every command with every flag; each says what it may remove", async () => {
    const top = (await inProcess(["--help"])).stdout;
    for (const command of COMMANDS) {
      const help = await inProcess([command, "--help"]);
      assert.equal(help.code, 0, `${command} --help`);
      assert.equal((await inProcess(["help", command])).stdout, help.stdout);
      const usage = /^Usage: bucketcache (.*)$/m.exec(help.stdout)![1];
      assert.ok(top.includes(`  ${usage}`), `the top-level help lists "${usage}"`);
      for (const flag of help.stdout.match(/--[a-z-]+/g) ?? []) {
        if (flag !== "--help") assert.ok(usage.includes(flag), `${command}'s usage lists ${flag}`);
      }
      if (READ_ONLY.includes(command)) {
        assert.match(help.stdout, /Removes nothing and writes nothing/, command);
      } else {
        const text = help.stdout.replace(/\s+/g, " ");
        assert.ok(
          text.includes(
            "removes only the library's own entry files (named like an entry and carrying its header)",
          ),
          command,
        );
        assert.ok(text.includes("never follows symlinks"), command);
        assert.match(text, /changed since it was (read|judged) is left/, command);
      }
    }
    assert.match((await inProcess(["clear", "--help"])).stdout, /temporary\s+files/);
    assert.match(
      top.replace(/\s+/g, " "),
      /stats, ls, show and verify without --fix never write, and neither does why/,
    );
  });

  test("stats: counts by backend, bytes, expired, damaged, temporary; --json; quiet stderr off a terminal", async () => {
    const human = await run("stats", dir);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stderr, "", "no progress bar when stderr is not a terminal");
    assert.match(human.stdout, /entries +14 \((sclone 13, json 1|json 1, sclone 13)\)/);
    assert.match(human.stdout, /expired +1 \(prune removes it\)/);
    assert.match(human.stdout, /modified +oldest .* ago, newest .* ago/);
    assert.doesNotMatch(human.stdout, /last used/);
    const json = JSON.parse((await run("stats", dir, "--json")).stdout);
    assert.equal(json.entries, 14);
    assert.equal(json.expired, 1);
    assert.equal(json.expiredPrunable, 1);
    assert.equal(json.damaged, 0);
    assert.deepEqual(json.temporary, { files: 0, bytes: 0, orphaned: 0 });
    assert.equal(json.layout, 2);
    assert.ok(!Number.isNaN(Date.parse(json.modified.oldest)));
    assert.equal(json.lastUsed, undefined);
    assert.deepEqual(Object.keys(json.backends).sort(), ["json", "sclone"]);
    const usage = await new Bucket(dir).usage();
    const jsonUsage = await new Bucket(dir, { backend: JSONBackend }).usage();
    assert.equal(json.bytes, usage.bytes + jsonUsage.bytes);
  });

  test("ls: a line per entry with its modification time; --json rows with `modified`", async () => {
    const human = await run("ls", dir);
    assert.equal(human.code, 0);
    const lines = human.stdout.trim().split("\n");
    assert.equal(lines.length, 14);
    for (const line of lines) {
      assert.match(line, /^[0-9a-f]{64} {2}\w+ +\d.* {2}modified .* ago {2}/);
    }
    const rows = JSON.parse((await run("ls", dir, "--json")).stdout);
    assert.equal(rows.length, 14);
    const expired = rows.find((row: { hash: string }) => row.hash === expiredHash);
    assert.equal(expired.expired, true);
    assert.ok(!Number.isNaN(Date.parse(expired.expires)));
    assert.ok(!Number.isNaN(Date.parse(expired.modified)));
    assert.equal(expired.lastUsed, undefined);
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

  test("show: a valid header and checksum around a value the backend cannot decode exits 1", async () => {
    const { dir } = await filled();
    const name = await nameOf(new Bucket(dir, { backend: JSONBackend }), "broken");
    await mkdir(join(dir, name.slice(0, 2)), { recursive: true });
    await writeFile(
      join(dir, name.slice(0, 2), name),
      encodeEntryFile(name, new TextEncoder().encode("{not json"), null, false),
    );
    const shown = await run("show", dir, name.slice(0, 12));
    assert.equal(shown.code, EXIT.found, shown.stderr);
    assert.match(shown.stderr, /^bucketcache: .* is damaged: the json backend cannot decode it: /);
    assert.equal(shown.stderr.trim().split("\n").length, 1);
    const verified = await run("verify", dir);
    assert.equal(verified.code, EXIT.found);
    assert.match(verified.stdout, /checked 15 entries: 1 damaged/);
  });

  test("show: shared references print once, text and --json, bounded and quick", async () => {
    const dir = join(await makeTempDir(), "cache");
    const bucket = new Bucket(dir);
    await bucket.set("graph", sharedGraph(24));
    const hash = (await nameOf(bucket, "graph")).slice(0, 16);
    const size =
      (await stat(join(dir, hash.slice(0, 2), `${(await nameOf(bucket, "graph"))}`))).size;
    assert.ok(size < 4096, `a small entry (${size} bytes)`);
    for (const args of [[], ["--depth", "100"], ["--depth", "100", "--items", "1000"]]) {
      const shown = await run("show", dir, hash, ...args);
      assert.equal(shown.code, 0, shown.stderr);
      assert.ok(shown.stdout.length < 100_000, `${shown.stdout.length} characters for ${args}`);
      assert.match(shown.stdout, /^<ref \*1> \{|^\{/);
      assert.match(shown.stdout, /<ref \*1>/);
      assert.match(shown.stdout, /\[Ref \*1\]/);
    }
    const deep = await run("show", dir, hash, "--depth", "100");
    assert.match(deep.stdout, /leaf: 'bottom'/, "at depth 100 the whole graph shows");
    const json = await run("show", dir, hash, "--json");
    assert.equal(json.code, 0, json.stderr);
    assert.ok(json.stdout.length < 100_000, `${json.stdout.length} characters of JSON`);
    const value = JSON.parse(json.stdout);
    assert.deepEqual(value.right, { $ref: "#/left" });
    assert.deepEqual(value.pair, [{ $ref: "#/left" }, { $ref: "#/left" }]);
    assert.equal(value.left.left.depth, 21);
    // A value JSON cannot hold exactly is refused, naming where.
    const { dir: mapDir } = await filled();
    const mapHash = (await nameOf(new Bucket(mapDir), 0)).slice(0, 16);
    const refused = await run("show", mapDir, mapHash, "--json");
    assert.equal(refused.code, EXIT.found);
    assert.match(
      refused.stderr,
      /^bucketcache: the value at "\/map" is a Map, which JSON cannot hold/,
    );
  });

  test("a circular value prints [Circular *1]; --depth and --items bound the text", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/cache", { fs });
    const value: Record<string, unknown> = { list: Array.from({ length: 500 }, (_, i) => i) };
    value.self = value;
    await bucket.set("cycle", value);
    const hash = (await nameOf(bucket, "cycle")).slice(0, 8);
    const shown = await inProcess(["show", "/cache", hash], fs);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^<ref \*1> \{/);
    assert.match(shown.stdout, /self: \[Circular \*1\]/);
    assert.match(shown.stdout, /\.\.\. 400 more items/);
    const few = await inProcess(["show", "/cache", hash, "--items", "3", "--depth", "0"], fs);
    assert.match(few.stdout, /list: \[Array\(500\)\]/);
    const json = JSON.parse((await inProcess(["show", "/cache", hash, "--json"], fs)).stdout);
    assert.deepEqual(json.self, { $ref: "#" });
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
    assert.match(found.stdout, /checked 14 entries: 1 damaged \(run with --fix/);
    const fixed = await run("verify", dir, "--fix");
    assert.equal(fixed.code, 0);
    assert.match(fixed.stdout, /^removed .*checksum/m);
    assert.equal((await entryFiles(dir)).includes(victim), false);
    assert.equal((await run("verify", dir)).code, 0);
  });

  test("verify --fix leaves a damaged file that changed since it was read", async () => {
    const { dir } = await filled();
    const [victim] = await entryFiles(dir);
    const path = join(dir, victim);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(path, bytes);
    const changed = new Uint8Array([...bytes, 0x20]);
    const base = defaultFileSystem();
    const fs = wrapFs(base, {
      async removeIfUnchanged(target, seen, options) {
        await writeFile(target, changed); // another process rewrote it meanwhile
        return await base.removeIfUnchanged(target, seen, options);
      },
    });
    const result = await inProcess(["verify", dir, "--fix"], fs);
    assert.equal(result.code, EXIT.found);
    assert.match(result.stdout, /^left \(changed since it was read\) /m);
    assert.match(result.stdout, /1 damaged, 0 removed/);
    assert.deepEqual(new Uint8Array(await readFile(path)), changed);
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

  test("evict --max-size / --max-entries; no usage file left where there was none", async () => {
    const { dir } = await filled();
    const usagePath = join(dir, USAGE_FILE);
    const evicted = await run("evict", dir, "--max-entries", "10");
    assert.equal(evicted.code, 0, evicted.stderr);
    assert.match(
      evicted.stdout,
      /^evicted 4 least recently used entries and 1 expired entry \(.*\); 9 entries, .* left$/m,
    );
    assert.equal((await entryFiles(dir)).length, 9);
    await assert.rejects(
      stat(usagePath),
      { code: "ENOENT" },
      "a cache without a budget keeps none",
    );
    const bySize = await run("evict", dir, "--max-size", "300B");
    assert.equal(bySize.code, 0, bySize.stderr);
    const { bytes } = await new Bucket(dir).usage();
    assert.ok(bytes <= 270, `${bytes} bytes left, within 90% of 300`);
    await assert.rejects(stat(usagePath), { code: "ENOENT" });
    // A budget's usage file is corrected, and stays.
    await writeFile(usagePath, encodeUsageFile({ entries: 1000, bytes: 1_000_000 }));
    assert.equal((await run("evict", dir, "--max-entries", "1000")).code, 0);
    const recorded = parseUsageFile(new Uint8Array(await readFile(usagePath)));
    const sclone = await new Bucket(dir).usage();
    const json = await new Bucket(dir, { backend: JSONBackend }).usage();
    assert.deepEqual(recorded, {
      entries: sclone.entries + json.entries,
      bytes: sclone.bytes + json.bytes,
    });
    assert.equal((await run("evict", dir)).code, 2, "a budget is required");
    assert.equal((await run("evict", dir, "--max-size", "1XB")).code, 2);
  });

  test("clear: removes entries, the library's temporary files (young and old) and the usage file", async () => {
    const { dir } = await filled();
    const [some] = await entryFiles(dir);
    const young = join(dir, some.slice(0, 2), `.${some.slice(3)}.0123456789abcdef.tmp`);
    const old = join(dir, some.slice(0, 2), `.${some.slice(3)}.fedcba9876543210.tmp`);
    await writeFile(young, "in progress");
    await writeFile(old, "orphaned");
    const then = new Date(Date.now() - 20 * 60 * 1000);
    await utimes(old, then, then);
    await writeFile(join(dir, USAGE_FILE), encodeUsageFile({ entries: 14, bytes: 1400 }));
    const cleared = await run("clear", dir);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /^removed 14 entries, 2 temporary files and the usage file \(/);
    assert.deepEqual(await entryFiles(dir), []);
    assert.deepEqual(await temporaryFiles(dir), []);
    await assert.rejects(stat(join(dir, USAGE_FILE)), { code: "ENOENT" });
    const again = await run("clear", dir);
    assert.match(again.stdout, /^removed 0 entries \(0 B\)$/m);
    const bucket = new Bucket(dir);
    await bucket.set("one", 1);
    assert.match((await run("clear", dir)).stdout, /^removed 1 entry \(/);
  });

  test("clear leaves an entry rewritten since it was read", async () => {
    const { dir } = await filled();
    const base = defaultFileSystem();
    let rewrites = 0;
    const fs = wrapFs(base, {
      async removeIfUnchanged(target, seen, options) {
        if (rewrites === 0 && target.endsWith(".sclone")) {
          rewrites++;
          const name = target.slice(target.lastIndexOf("/") + 1);
          const payload = new StructuredCloneBackend().dump({
            value: "fresh",
            expirationDate: null,
          });
          await writeFile(target, encodeEntryFile(name, payload as Uint8Array, null, false));
        }
        return await base.removeIfUnchanged(target, seen, options);
      },
    });
    const result = await inProcess(["clear", dir], fs);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^removed 13 entries \(.*\); left 1 file changed since it was read$/m,
    );
    assert.equal((await entryFiles(dir)).length, 1);
  });

  test("foreign files, symlinked shards and a file named like a shard: never counted, touched or removed", async () => {
    const { dir } = await filled();
    const [some] = await entryFiles(dir);
    const shards = new Set((await entryFiles(dir)).map((path) => path.slice(0, 2)));
    const hex = (byte: string) => byte.repeat(32);
    // Another cache, outside, whose files are reached through symlinks.
    const outside = join(await makeTempDir(), "outside");
    const other = new Bucket(outside);
    let linkedShard: string | undefined;
    let linkedFile: string | undefined;
    for (let i = 0; linkedShard === undefined || linkedFile === undefined; i++) {
      const name = await nameOf(other, `key-${i}`);
      const shard = name.slice(0, 2);
      if (linkedShard === undefined && !shards.has(shard)) {
        await other.set(`key-${i}`, i);
        await symlink(join(outside, shard), join(dir, shard));
        linkedShard = shard;
        shards.add(shard);
      } else if (linkedFile === undefined && shards.has(shard) && shard !== linkedShard) {
        await other.set(`key-${i}`, i);
        await symlink(join(outside, shard, name), join(dir, shard, name));
        linkedFile = name;
      }
    }
    const shardFile = ["ee", "ef", "fe", "fd", "dd"].find((shard) => !shards.has(shard))!;
    const foreign: Record<string, string> = {
      [`${hex("ab")}.txt`]: "a user's notes",
      [`${some.slice(0, 2)}/${some.slice(0, 2)}${"0".repeat(62)}.pdf`]: "%PDF-1.7",
      [`${some.slice(0, 2)}/${some.slice(0, 2)}${"1".repeat(62)}.sclone`]: "not ours at all",
      [`${hex("cd")}.sclone`]: "",
      [".keep.0123456789abcdef.tmp"]: "kept",
      [shardFile]: "a file named like a shard",
    };
    for (const [path, text] of Object.entries(foreign)) await writeFile(join(dir, path), text);
    const then = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(join(dir, ".keep.0123456789abcdef.tmp"), then, then);
    const before = await snapshot(dir);
    const outsideBefore = await snapshot(outside);
    const keep = (lines: string[]) =>
      lines.filter((line) =>
        Object.keys(foreign).some((path) => line.startsWith(`/${path} `)) || line.includes(" -> ")
      );
    const expectedForeign = keep(before);
    assert.equal(expectedForeign.length, Object.keys(foreign).length + 2);

    const stats = await run("stats", dir, "--json");
    assert.equal(stats.code, 0, stats.stderr);
    const summary = JSON.parse(stats.stdout);
    assert.equal(summary.entries, 14);
    assert.equal(summary.damaged, 0);
    assert.equal(summary.temporary.files, 0);
    const listed = await run("ls", dir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim().split("\n").length, 14);
    assert.equal((await run("show", dir, linkedFile.slice(0, 64))).code, EXIT.found);
    assert.equal((await run("show", dir, hex("cd"))).code, EXIT.found);
    const verified = await run("verify", dir, "--fix");
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^checked 14 entries: 0 damaged, 0 removed$/m);
    assert.deepEqual(await snapshot(dir), before, "read-only and verify write nothing");
    const pruned = await run("prune", dir);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^removed 1 file /, "only the expired entry");
    const evicted = await run("evict", dir, "--max-entries", "2");
    assert.equal(evicted.code, 0, evicted.stderr);
    const cleared = await run("clear", dir);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /^removed 1 entry \(/);
    const files = (await snapshot(dir))
      .filter((line) => !line.endsWith("/") && !line.includes(" -> "))
      .map((line) => line.split(" ")[0]);
    assert.deepEqual(
      files.sort(),
      [".bucketcache-layout", ...Object.keys(foreign)].map((path) => `/${path}`).sort(),
      "only the layout file and the foreign files are left",
    );
    assert.deepEqual(
      keep(await snapshot(dir)),
      expectedForeign,
      "foreign files and links unchanged",
    );
    assert.deepEqual(await snapshot(outside), outsideBefore, "nothing behind a symlink changed");
  });

  test("read-only commands create nothing, not even a missing directory", async () => {
    const { dir } = await filled();
    const hash = (await entryFiles(dir))[0].slice(3, 67);
    const before = await snapshot(dir);
    for (
      const args of [
        ["stats", dir],
        ["stats", dir, "--json"],
        ["ls", dir],
        ["ls", dir, "--json"],
        ["show", dir, hash],
        ["show", dir, hash, "--json"],
        ["verify", dir],
        ["why", dir, '"k"'],
        ["why", dir, "1", "--json"],
        ["why", dir, "--hash", hash],
      ]
    ) {
      const result = await inProcess(args);
      assert.ok(result.code === 0 || result.code === 1, `${args.join(" ")}: ${result.stderr}`);
    }
    assert.deepEqual(await snapshot(dir), before);
    const missing = join(dir, "missing");
    for (const command of COMMANDS) {
      const args = command === "show"
        ? [missing, "abcd"]
        : command === "evict"
        ? [missing, "--max-entries", "1"]
        : command === "why"
        ? [missing, '"k"']
        : command === "invalidate"
        ? [missing, "--tag", "t"]
        : [missing];
      const result = await inProcess([command, ...args]);
      assert.equal(result.code, EXIT.usage, command);
      assert.match(result.stderr, /^bucketcache: no such directory: /);
    }
    await assert.rejects(stat(missing), { code: "ENOENT" });
  });

  test("main(argv, fs) works on any adapter: the directory is checked through it", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/cache", { fs });
    await bucket.set("a", 1);
    await bucket.set("b", { x: [1, 2] });
    const stats = await inProcess(["stats", "/cache"], fs);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /entries +2 \(sclone 2\)/);
    assert.equal((await inProcess(["ls", "/cache"], fs)).stdout.trim().split("\n").length, 2);
    assert.equal((await inProcess(["stats", "/elsewhere"], fs)).code, EXIT.usage);
    await fs.writeFileAtomic("/file", new Uint8Array([1]));
    assert.match((await inProcess(["ls", "/file"], fs)).stderr, /not a directory: \/file/);
    const cleared = await inProcess(["clear", "/cache"], fs);
    assert.match(cleared.stdout, /^removed 2 entries/);
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

  test("errors are one line with what to change; exit 2 for the command line", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate", dir], /unknown command "frobnicate"/],
      [["ls"], /missing DIR/],
      [["ls", join(dir, "nope")], /no such directory/],
      [["ls", dir, "--colour"], /unknown option '--colour' for ls/],
      [["ls", dir, "-x"], /unknown option '-x' for ls/],
      [["ls", dir, "--json=yes"], /--json takes no value/],
      [["ls", dir, "extra"], /too many arguments for ls: "extra"/],
      [
        ["evict", dir, "--max-entries", "-3"],
        /--max-entries takes a whole number of at least 1, got "-3"/,
      ],
      [["evict", dir, "--max-entries", "1.5"], /--max-entries takes a whole number/],
      [["evict", dir, "--max-entries"], /--max-entries needs a value/],
      [["evict", dir, "--max-size", "-1GB"], /--max-size takes a size/],
      [["evict", dir, "--max-size=1\nGB"], /--max-size takes a size .*got "1\\nGB"/],
      [["evict", dir, "--max-entries", "1", "--max-entries", "2"], /given twice/],
      [["show", dir], /missing HASH/],
      [["show", dir, "XYZ1"], /HASH must be 4 to 64 lowercase hex digits/],
      [["show", dir, "abcd", "--depth", "-1"], /--depth takes a whole number of at least 0/],
      [["show", dir, "abcd", "--items", "0"], /--items takes a whole number of at least 1/],
      [["show", dir, "abcd", "--json", "--depth", "2"], /leave out --depth and --items/],
      [["help", "nothing"], /no help on "nothing"/],
      [["ls", dir, "--fn", ""], /--fn takes the name of a memoised function/],
      [["ls", dir, "--tag", ""], /--tag takes a tag of 1 to 1,000 characters, got ""/],
      [["ls", dir, "--tag", "a", "--tag", "b"], /--tag is given twice/],
      [["why", dir], /missing KEY: give the key as JSON/],
      [["why", dir, "user-42"], /KEY must be JSON.*quote a string as '"user-42"'/],
      [["why", dir, "{user: 42}"], /KEY must be JSON/],
      [["why", dir, "-1"], /a KEY that starts with "-" goes after "--"/],
      [["why", dir, '"k"', "--hash", "abcd"], /give KEY or --hash PREFIX, not both/],
      [["why", dir, "--hash", "abc"], /--hash takes 4 to 64 lowercase hex digits/],
      [["why", dir, "--hash", "ABCD"], /--hash takes 4 to 64 lowercase hex digits/],
      [["why", dir, '"k"', "--backend", "yaml"], /--backend takes sclone, json or msgpack/],
      [["why", dir, '"k"', "extra"], /too many arguments for why: "extra"/],
      [["invalidate", dir], /invalidate needs --tag TAG or --fn NAME/],
      [["invalidate", dir, "--tag"], /--tag needs a value/],
      [["invalidate", dir, "--tag", ""], /--tag takes a tag of 1 to 1,000 characters/],
      [["invalidate", dir, "--tag", "x".repeat(1001)], /--tag takes a tag of 1 to 1,000/],
      [["invalidate", dir, "--tag", "t", "--fn", "f"], /give --tag or --fn, not both/],
      [["invalidate", dir, "--version", "2"], /--version goes with --fn NAME/],
      [["invalidate", dir, "--fn", "f", "--version", "1", "--version", "2"], /given twice/],
      [["invalidate", dir, "--fn", ""], /--fn takes the name of a memoised function/],
    ];
    for (const [args, pattern] of cases) {
      const result = await inProcess(args);
      assert.equal(result.code, EXIT.usage, args.join(" "));
      assert.match(result.stderr, pattern, args.join(" "));
      assert.equal(
        result.stderr.split("\n").length,
        2,
        `one line: ${JSON.stringify(result.stderr)}`,
      );
      assert.equal(result.stdout, "");
    }
    // The same through the runtime: its own argument parser never speaks.
    for (const args of [["evict", dir, "--max-entries", "-3"], ["ls", dir, "--colour"]]) {
      const result = await run(...args);
      assert.equal(result.code, EXIT.usage, args.join(" "));
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });

  test("an I/O failure exits 3 with one line", async () => {
    const failing = wrapFs(defaultFileSystem(), {
      list() {
        throw Object.assign(new Error("EACCES: permission denied,\nscandir"), { code: "EACCES" });
      },
    });
    const result = await inProcess(["stats", dir], failing);
    assert.equal(result.code, EXIT.failed);
    assert.equal(result.stderr, "bucketcache: EACCES: permission denied, scandir\n");
  });
});

/**
 * A bucket written by a real Bucket and memoize: a plain entry, two tagged
 * ones, two calls of `report` (no version), one of `load` (version 2,
 * tagged), and a JSON-backend entry.
 */
async function labelled() {
  const dir = join(await makeTempDir(), "cache");
  const bucket = new Bucket(dir);
  await bucket.set("k", "plain");
  await bucket.set({ user: 42, page: 1 }, "profile", { tags: ["user:42"] });
  await bucket.set([1, 2], "pair", { tags: ["user:42", "team:7"] });
  const report = bucket.memoize(function report(year: number, region: string) {
    return `${region} ${year}`;
  });
  await report(2024, "eu");
  await report(2025, "eu");
  const load = bucket.memoize(function load(id: number) {
    return { id };
  }, { version: 2, tags: ["loads"] });
  await load(1);
  await new Bucket(dir, { backend: JSONBackend }).set("j", { hello: "world" });
  return { dir, bucket, report, load };
}

/** The entry file (relative) and full path a bucket gives a key. */
async function fileOf(dir: string, bucket: Bucket, key: unknown) {
  const name = await nameOf(bucket, key);
  return { name, hash: name.slice(0, 64), path: join(dir, name.slice(0, 2), name) };
}

/** Spawns a script in this runtime, resolving each line of its output as it comes. */
function spawnLines(script: string, args: string[]) {
  const [command, lead] = runtimeCommand(runtime);
  const flags = runtime === "deno" ? ["--allow-all"] : [];
  const child = spawn(command, [...lead, ...flags, script, ...args], {
    cwd: root,
    env: { ...process.env, DENO_NO_PACKAGE_JSON: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let stderr = "";
  let buffer = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end !== -1; end = buffer.indexOf("\n")) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  child.on("close", () => {
    clearTimeout(timer);
    for (const waiter of waiting.splice(0)) waiter(`(closed) ${stderr}`);
  });
  return {
    next: (): Promise<string> =>
      lines.length > 0
        ? Promise.resolve(lines.shift()!)
        : child.exitCode !== null
        ? Promise.resolve(`(closed) ${stderr}`)
        : new Promise((resolve) => waiting.push(resolve)),
  };
}

describe(`why, ls and stats by function and tag, invalidate (${runtime})`, () => {
  test("why: a key given as JSON is the key bucket.set() wrote: hit, exit 0", async () => {
    const { dir, bucket } = await labelled();
    for (
      const [text, key] of [['"k"', "k"], ['{"page":1,"user":42}', { user: 42, page: 1 }], [
        "[1,2]",
        [1, 2],
      ]] as const
    ) {
      const why = await inProcess(["why", dir, text]);
      assert.equal(why.code, EXIT.ok, `${text}: ${why.stderr}`);
      const { path } = await fileOf(dir, bucket, key);
      assert.match(why.stdout, /^hit: never expires \(file .*, stored \d+ s ago/, text);
      assert.ok(why.stdout.includes(`(file ${path}, `), `${text}: ${why.stdout}`);
      assert.equal(why.stdout.split("\n").length, 2, "one line");
    }
    const tagged = await inProcess(["why", dir, '{"user":42,"page":1}']);
    assert.match(tagged.stdout, /, tag user:42\)$/m);
    const pair = await inProcess(["why", dir, "[1,2]"]);
    assert.match(pair.stdout, /, tags user:42, team:7\)$/m);
    // Through the runtime's own process, with the shell's quoting.
    const spawned = await run("why", dir, '"k"');
    assert.equal(spawned.code, EXIT.ok, spawned.stderr);
    assert.match(spawned.stdout, /^hit: never expires \(file /);
    assert.equal(spawned.stderr, "");
  });

  test("why --json prints what bucket.explain() says; absent exits 1", async () => {
    const { dir } = await labelled();
    const fresh = new Bucket(dir, { memory: false });
    const json = await inProcess(["why", dir, '"k"', "--json"]);
    assert.equal(json.code, EXIT.ok, json.stderr);
    const printed = JSON.parse(json.stdout);
    assert.deepEqual(printed, JSON.parse(JSON.stringify(await fresh.explain("k"))));
    assert.equal(printed.status, "hit");
    assert.equal(Object.keys(printed)[0], "status");
    const absent = await inProcess(["why", dir, '"nothing"']);
    assert.equal(absent.code, EXIT.found);
    assert.match(absent.stdout, /^miss: absent \(no file at .*\.sclone\)$/m);
    assert.equal(absent.stderr, "");
    const absentJson = await inProcess(["why", dir, '"nothing"', "--json"]);
    assert.equal(absentJson.code, EXIT.found);
    assert.equal(JSON.parse(absentJson.stdout).reason, "absent");
    const spawned = await run("why", dir, '"nothing"');
    assert.equal(spawned.code, EXIT.found);
    assert.match(spawned.stdout, /^miss: absent/);
  });

  test("why: expired, stale, damaged and invalidated, each with its reason", async () => {
    const { dir, bucket } = await labelled();
    await writeExpired(dir, "old", 180_000);
    const expired = await inProcess(["why", dir, '"old"']);
    assert.equal(expired.code, EXIT.found);
    assert.match(expired.stdout, /^miss: expired 3 min ago \(file .*, stored \d+ s ago\)$/m);
    // Expired a second ago, servable stale for five minutes more: exit 0.
    const stale = await fileOf(dir, bucket, "stale");
    const payload = new StructuredCloneBackend().dump({ value: 1, expirationDate: null });
    await mkdir(dirname(stale.path), { recursive: true });
    await writeFile(
      stale.path,
      encodeEntryFile(stale.name, payload as Uint8Array, Date.now() - 1000, true, {
        staleUntil: Date.now() + 300_000,
      }),
    );
    await bucket.set("soon", 1, { lifetime: { minutes: 5 } });
    const soon = await inProcess(["why", dir, '"soon"']);
    assert.equal(soon.code, EXIT.ok, soon.stdout);
    assert.match(soon.stdout, /^hit: expires in 5 min \(file .*, stored \d+ s ago\)$/m);
    // A foreign file where the entry would be: absent, and the line says what it is.
    const foreign = await fileOf(dir, bucket, "foreign");
    await mkdir(dirname(foreign.path), { recursive: true });
    await writeFile(foreign.path, "a user's notes");
    const notOurs = await inProcess(["why", dir, '"foreign"']);
    assert.equal(notOurs.code, EXIT.found);
    assert.match(
      notOurs.stdout,
      /^miss: absent \(.*\.sclone is not an entry this library reads: not a bucketcache entry file\)$/m,
    );
    const staleWhy = await inProcess(["why", dir, '"stale"']);
    assert.equal(staleWhy.code, EXIT.ok, staleWhy.stdout);
    assert.match(
      staleWhy.stdout,
      /^stale: expired \d s ago, may be served stale for 5 min more \(file /,
    );
    // A flipped byte: the checksum check says so.
    const { path } = await fileOf(dir, bucket, "k");
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(path, bytes);
    const damaged = await inProcess(["why", dir, '"k"']);
    assert.equal(damaged.code, EXIT.found);
    assert.match(damaged.stdout, /^miss: damaged \(checksum mismatch .*, file .*, stored /);
    assert.equal(
      JSON.parse((await inProcess(["why", dir, '"k"', "--json"])).stdout).damage.includes(
        "checksum",
      ),
      true,
    );
    // A tag invalidated by the CLI.
    assert.equal((await inProcess(["invalidate", dir, "--tag", "team:7"])).code, EXIT.ok);
    const invalidated = await inProcess(["why", dir, "[1,2]"]);
    assert.equal(invalidated.code, EXIT.found);
    assert.match(
      invalidated.stdout,
      /^miss: invalidated by tag team:7 \(file .*, tags user:42, team:7\)$/m,
    );
    const asJson = JSON.parse((await inProcess(["why", dir, "[1,2]", "--json"])).stdout);
    assert.deepEqual([asJson.status, asJson.reason, asJson.invalidatedBy], [
      "miss",
      "invalidated",
      ["team:7"],
    ]);
    assert.equal((await inProcess(["why", dir, '{"user":42,"page":1}'])).code, EXIT.ok);
  });

  test('why on a memoised call: the key is ["bucketcache.memoize/1", name, version, [args]]', async () => {
    const { dir, report, load } = await labelled();
    const key = JSON.stringify(["bucketcache.memoize/1", "report", null, [2024, "eu"]]);
    const why = await inProcess(["why", dir, key]);
    assert.equal(why.code, EXIT.ok, why.stderr);
    assert.match(why.stdout, /^hit: never expires \(file .*, fn report\)$/m);
    assert.ok(why.stdout.includes(`file ${(await report.explain(2024, "eu")).file},`));
    const versioned = JSON.stringify(["bucketcache.memoize/1", "load", 2, [1]]);
    const loadWhy = await inProcess(["why", dir, versioned]);
    assert.equal(loadWhy.code, EXIT.ok, loadWhy.stdout);
    assert.match(loadWhy.stdout, /, fn load version 2, tag loads\)$/m);
    assert.ok(loadWhy.stdout.includes((await load.explain(1)).file));
    const json = JSON.parse((await inProcess(["why", dir, versioned, "--json"])).stdout);
    assert.deepEqual([json.fn, json.version, json.tags], ["load", "2", ["loads"]]);
    const other = await inProcess([
      "why",
      dir,
      JSON.stringify(["bucketcache.memoize/1", "report", null, [1999, "eu"]]),
    ]);
    assert.equal(other.code, EXIT.found);
    assert.match(other.stdout, /^miss: absent/);
  });

  test("why --hash PREFIX and --backend: the file name depends on the backend", async () => {
    const { dir, bucket } = await labelled();
    const { hash } = await fileOf(dir, bucket, "k");
    const byHash = await inProcess(["why", dir, "--hash", hash.slice(0, 8)]);
    assert.equal(byHash.code, EXIT.ok, byHash.stderr);
    assert.equal(byHash.stdout, (await inProcess(["why", dir, '"k"'])).stdout);
    const jsonName = await nameOf(new Bucket(dir, { backend: JSONBackend }), "j");
    const jsonHash = await inProcess(["why", dir, "--hash", jsonName.slice(0, 10)]);
    assert.equal(jsonHash.code, EXIT.ok, jsonHash.stderr);
    assert.match(jsonHash.stdout, /\.json, stored /);
    const restricted = await inProcess([
      "why",
      dir,
      "--hash",
      jsonName.slice(0, 10),
      "--backend",
      "sclone",
    ]);
    assert.equal(restricted.code, EXIT.found);
    assert.match(restricted.stderr, /^bucketcache: no sclone entry's hash starts with /);
    // The JSON entry read as sclone is absent; the line says where it is.
    const wrong = await inProcess(["why", dir, '"j"']);
    assert.equal(wrong.code, EXIT.found);
    assert.match(
      wrong.stdout,
      /^miss: absent \(no file at .*\.sclone, the json backend has an entry for this key: add --backend json\)$/m,
    );
    const right = await inProcess(["why", dir, '"j"', "--backend", "json"]);
    assert.equal(right.code, EXIT.ok, right.stdout);
    assert.ok(right.stdout.includes(jsonName));
    const none = await inProcess(["why", dir, "--hash", "ffffffff"]);
    assert.equal(none.code, EXIT.found);
    assert.match(none.stderr, /^bucketcache: no entry's hash starts with ffffffff\n$/);
  });

  test("ls: the function and tags of each entry; --fn and --tag filter; --json fields", async () => {
    const { dir, bucket } = await labelled();
    const all = await inProcess(["ls", dir]);
    assert.equal(all.code, EXIT.ok, all.stderr);
    const lines = all.stdout.trim().split("\n");
    assert.equal(lines.length, 7);
    assert.equal(lines.filter((line) => /never expires {2}fn report$/.test(line)).length, 2);
    assert.equal(
      lines.filter((line) => / {2}fn load version 2 {2}tag loads$/.test(line)).length,
      1,
    );
    assert.equal(lines.filter((line) => / {2}tags user:42, team:7$/.test(line)).length, 1);
    const reports = (await inProcess(["ls", dir, "--fn", "report"])).stdout.trim().split("\n");
    assert.equal(reports.length, 2);
    assert.ok(reports.every((line) => line.endsWith("fn report")));
    const tagged = (await inProcess(["ls", dir, "--tag", "user:42"])).stdout.trim().split("\n");
    assert.equal(tagged.length, 2);
    assert.equal((await inProcess(["ls", dir, "--fn", "nothing"])).stdout, "");
    assert.equal((await inProcess(["ls", dir, "--fn", "load", "--tag", "user:42"])).stdout, "");
    const rows = JSON.parse((await inProcess(["ls", dir, "--json"])).stdout);
    assert.equal(rows.length, 7);
    const byHash = (key: unknown) =>
      fileOf(dir, bucket, key).then(({ hash }) =>
        rows.find((row: { hash: string }) => row.hash === hash)
      );
    const plain = await byHash("k");
    assert.deepEqual([plain.fn, plain.version, plain.tags, plain.invalidatedBy], [
      null,
      null,
      [],
      [],
    ]);
    const pair = await byHash([1, 2]);
    assert.deepEqual(pair.tags, ["user:42", "team:7"]);
    const loads = rows.filter((row: { fn: string }) => row.fn === "load");
    assert.deepEqual([loads[0].version, loads[0].tags], ["2", ["loads"]]);
    const filtered = JSON.parse((await inProcess(["ls", dir, "--json", "--fn", "report"])).stdout);
    assert.deepEqual(filtered.map((row: { fn: string }) => row.fn), ["report", "report"]);
    assert.deepEqual(
      JSON.parse((await inProcess(["ls", dir, "--json", "--tag", "none"])).stdout),
      [],
    );
    // After invalidating a tag, its entries say so in place of their expiry.
    await inProcess(["invalidate", dir, "--tag", "user:42"]);
    const after = (await inProcess(["ls", dir, "--tag", "user:42"])).stdout.trim().split("\n");
    assert.ok(
      after.every((line) => / {2}invalidated by tag user:42 {2}tags? user:42/.test(line)),
      after.join("\n"),
    );
    const afterRows = JSON.parse(
      (await inProcess(["ls", dir, "--json", "--tag", "user:42"])).stdout,
    );
    assert.deepEqual(afterRows.map((row: { invalidatedBy: string[] }) => row.invalidatedBy), [[
      "user:42",
    ], ["user:42"]]);
  });

  test("stats: entries and bytes by function, (none) for the rest; invalidated entries", async () => {
    const { dir } = await labelled();
    const json = JSON.parse((await inProcess(["stats", dir, "--json"])).stdout);
    assert.deepEqual(Object.keys(json.functions).sort(), ["(none)", "load", "report"]);
    assert.equal(json.functions.report.entries, 2);
    assert.equal(json.functions.load.entries, 1);
    assert.equal(json.functions["(none)"].entries, 4);
    const sum = Object.values(json.functions as Record<string, { entries: number; bytes: number }>)
      .reduce(
        (total, f) => ({ entries: total.entries + f.entries, bytes: total.bytes + f.bytes }),
        {
          entries: 0,
          bytes: 0,
        },
      );
    assert.deepEqual(sum, { entries: json.entries, bytes: json.bytes });
    assert.equal(json.invalidated, 0);
    const text = await run("stats", dir);
    assert.equal(text.code, EXIT.ok, text.stderr);
    assert.match(text.stdout, /^by function report +2 entries +\d+ B$/m);
    assert.match(text.stdout, /^ {12}load +1 entry +\d+ B$/m);
    assert.match(text.stdout, /^ {12}\(none\) +4 entries +\d+ B$/m);
    assert.match(text.stdout, /^invalidated 0$/m);
    await inProcess(["invalidate", dir, "--tag", "user:42"]);
    const after = (await inProcess(["stats", dir])).stdout;
    assert.match(
      after,
      /^invalidated 2 \(read as missing: a tag each carries was invalidated; they stay/m,
    );
    assert.equal(JSON.parse((await inProcess(["stats", dir, "--json"])).stdout).invalidated, 2);
  });

  test("invalidate --tag: entries carrying it read as missing, others stay; no entry changes", async () => {
    const { dir } = await labelled();
    const before = (await snapshot(dir)).filter((line) => !line.includes(".bucketcache-tags"));
    const result = await run("invalidate", dir, "--tag", "user:42");
    assert.equal(result.code, EXIT.ok, result.stderr);
    assert.equal(
      result.stdout,
      "invalidated tag user:42 (entries carrying it read as missing; other processes see it within a second)\n",
    );
    const fresh = new Bucket(dir);
    assert.equal(await fresh.get({ user: 42, page: 1 }), undefined);
    assert.equal(await fresh.get([1, 2]), undefined);
    assert.equal(await fresh.get("k"), "plain");
    assert.deepEqual(
      (await snapshot(dir)).filter((line) => !line.includes(".bucketcache-tags")),
      before,
      "no entry file read, changed or removed",
    );
    const two = await inProcess([
      "invalidate",
      dir,
      "--tag",
      "team:7",
      "--tag",
      "loads",
      "--tag",
      "team:7",
    ]);
    assert.equal(
      two.stdout,
      "invalidated tags team:7, loads (entries carrying any of them read as missing; other processes see it within a second)\n",
    );
    assert.equal(await new Bucket(dir).get(["bucketcache.memoize/1", "load", 2, [1]]), undefined);
    // A tag nothing carries is fine too.
    assert.equal((await inProcess(["invalidate", dir, "--tag", "nobody"])).code, EXIT.ok);
  });

  test("invalidate --tag: a running process sees it within a second", async () => {
    const { dir } = await labelled();
    const reader = spawnLines(join(root, "tests", "fixtures", "cli_tag_reader.ts"), [dir]);
    assert.equal(await reader.next(), "ready");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await inProcess(["invalidate", dir, "--tag", "user:42"]);
    assert.equal(result.code, EXIT.ok, result.stderr);
    const done = Date.now();
    const line = await reader.next();
    const match = /^missed (\d+)$/.exec(line);
    assert.ok(match, line);
    const took = Number(match[1]) - done;
    assert.ok(took <= 1000 + 500, `seen ${took} ms after the invalidation`);
  });

  test("invalidate --fn: removes every entry of the function and version, as clear() does", async () => {
    const { dir } = await labelled();
    const other = await labelled();
    const result = await run("invalidate", dir, "--fn", "report");
    assert.equal(result.code, EXIT.ok, result.stderr);
    assert.equal(result.stdout, "removed 2 entries of report\n");
    const cleared = await other.report.clear();
    assert.equal(cleared, 2, "memoized.clear() removes as many");
    const left = (await entryFiles(dir)).length;
    assert.equal(left, (await entryFiles(other.dir)).length);
    assert.equal(left, 5);
    assert.equal(
      (await new Bucket(dir).explain(["bucketcache.memoize/1", "report", null, [2024, "eu"]]))
        .reason,
      "absent",
    );
    assert.equal(await new Bucket(dir).get("k"), "plain");
    // load has version 2: without --version nothing of it goes, and the line says so.
    const unversioned = await inProcess(["invalidate", dir, "--fn", "load"]);
    assert.equal(
      unversioned.stdout,
      "removed 0 entries of load; 1 entry of load with another version stays (version 2: 1)\n",
    );
    const versioned = await inProcess(["invalidate", dir, "--fn", "load", "--version", "2"]);
    assert.equal(versioned.stdout, "removed 1 entry of load version 2\n");
    assert.equal((await entryFiles(dir)).length, 4);
    assert.equal(
      (await inProcess(["invalidate", dir, "--fn", "report"])).stdout,
      "removed 0 entries of report\n",
    );
  });

  test("invalidate --fn leaves an entry rewritten since it was judged", async () => {
    const { dir, bucket } = await labelled();
    const victim = await fileOf(dir, bucket, ["bucketcache.memoize/1", "report", null, [
      2024,
      "eu",
    ]]);
    const base = defaultFileSystem();
    const fs = wrapFs(base, {
      async removeIfUnchanged(target, seen, options) {
        if (target === victim.path) {
          const payload = new StructuredCloneBackend().dump({ value: "new", expirationDate: null });
          await writeFile(target, encodeEntryFile(victim.name, payload as Uint8Array, null, false));
        }
        return await base.removeIfUnchanged(target, seen, options);
      },
    });
    const result = await inProcess(["invalidate", dir, "--fn", "report"], fs);
    assert.equal(result.code, EXIT.ok, result.stderr);
    assert.equal(result.stdout, "removed 1 entry of report\n");
    assert.equal(
      await new Bucket(dir).get(["bucketcache.memoize/1", "report", null, [2024, "eu"]]),
      "new",
    );
  });

  test("why and invalidate on any adapter", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/cache", { fs });
    await bucket.set("a", 1, { tags: ["t"] });
    const f = bucket.memoize(function f(x: number) {
      return x;
    });
    await f(1);
    assert.match(
      (await inProcess(["why", "/cache", '"a"'], fs)).stdout,
      /^hit: never expires \(file \/cache\//,
    );
    assert.match(
      (await inProcess(["invalidate", "/cache", "--tag", "t"], fs)).stdout,
      /^invalidated tag t /,
    );
    assert.match(
      (await inProcess(["why", "/cache", '"a"'], fs)).stdout,
      /^miss: invalidated by tag t /,
    );
    assert.equal(
      (await inProcess(["invalidate", "/cache", "--fn", "f"], fs)).stdout,
      "removed 1 entry of f\n",
    );
    assert.equal((await inProcess(["ls", "/cache"], fs)).stdout.trim().split("\n").length, 1);
  });
});
