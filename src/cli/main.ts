// The bucketcache command-line tool: look inside a cache directory, check it,
// prune it, clear it or bring it under a size. Run through cli.ts.

import process from "node:process";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { inspect, parseArgs } from "node:util";
import { defaultFileSystem } from "../fs/detect.ts";
import type { FileSystem } from "../fs/types.ts";
import { Bucket } from "../bucket.ts";
import { LAYOUT_FILE } from "../_bucket_core.ts";
import { USAGE_FILE } from "../_budget.ts";
import { checkPayload, HEADER_SIZE, parseHeader } from "../_entry_file.ts";
import { BUILT_IN_BACKENDS } from "./_backends.ts";
import { entryFiles } from "../_shards.ts";
import { progressBar } from "./_progress.ts";

/**
 * Exit codes scripts can rely on.
 *
 * @example
 * ```ts
 * import { EXIT } from "@bucketcache/bucketcache/cli";
 * import assert from "node:assert/strict";
 * assert.equal(EXIT.found, 1);
 * ```
 */
export const EXIT = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** Done, and it found a problem: damaged files left (verify), no such entry (show). */
  found: 1,
  /** The command line is wrong: unknown command or option, missing or bad argument. */
  usage: 2,
  /** The command failed: an I/O error such as a permission denied. */
  failed: 3,
} as const;

class UsageError extends Error {}
class FoundProblem extends Error {}

const HELP: Record<string, string> = {
  main: `bucketcache: look inside and look after a bucketcache directory

Usage: bucketcache <command> DIR [options]

Commands:
  stats DIR                  entries, bytes, expired and unreadable files, recency
  ls DIR [--json]            every entry: hash, backend, size, last use, expiry
  show DIR HASH [--json]     decode an entry and print its value (HASH: 4+ leading hex digits)
  prune DIR                  remove expired and damaged entries and orphaned temporary files
  verify DIR [--fix]         read every file in full and check it; --fix removes damaged ones
  clear DIR                  remove every entry
  evict DIR --max-size SIZE [--max-entries N]
                             remove least recently used entries (expired first) down to 90%

Run "bucketcache <command> --help" for a command's options.
Exit codes: 0 done, 1 a problem was found (verify, show), 2 bad command line, 3 failed.`,
  stats: `Usage: bucketcache stats DIR [--json]

Counts entries (by backend) and their bytes, expired entries and unreadable
headers, and when entries were last used. Reads only file headers.
  --json   print one JSON object`,
  ls: `Usage: bucketcache ls DIR [--json]

Lists every entry: hash, backend (file extension), size, last use, expiry.
  --json   print a JSON array of { hash, backend, size, lastUsed, expires, expired }`,
  show: `Usage: bucketcache show DIR HASH [--json]

Decodes the entry whose hash starts with HASH (at least 4 hex digits; it must
match one entry) and prints its value. Built-in backends only.
  --json   print the value as JSON (fails for values JSON cannot hold)`,
  prune: `Usage: bucketcache prune DIR

Removes expired and damaged entries of the built-in backends, and temporary
files orphaned by interrupted writes (older than 15 minutes). Moves entries
of the old flat layout into shards. Reads only headers.`,
  verify: `Usage: bucketcache verify DIR [--fix]

Reads every entry file in full: header, length, checksum, and the value for
built-in backends. Reports damaged files; exits 1 if any are left.
  --fix    remove the damaged files`,
  clear: `Usage: bucketcache clear DIR

Removes every entry file (all backends) and temporary file; the directory
stays.`,
  evict: `Usage: bucketcache evict DIR --max-size SIZE [--max-entries N]

Removes expired entries, then least recently used ones until the directory
is at 90% of the given budget, as a bucket with maxSize/maxEntries does.
  --max-size SIZE     bytes: 5000000, 500KB, 1.5GB, 2GiB (KB/MB/GB/TB are
                      powers of 1000; KiB/MiB/GiB/TiB of 1024)
  --max-entries N     entries`,
};

const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** Parses a size such as "1GB", "500MiB" or "1000" into bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(
      `--max-size takes a size such as 1GB, 500MiB or 1000000 (bytes), got "${text}"`,
    );
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 1) throw new UsageError(`--max-size must be at least 1 byte, got "${text}"`);
  return bytes;
}

/** Bytes for people: 1.2 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A duration for people: "3 min", "2 h", "5 days". */
function formatAge(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

const count = (n: number) => n.toLocaleString("en");
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? "" : "s"}`;
const out = (line: string) => process.stdout.write(line + "\n");

interface Command {
  options: Record<string, { type: "string" | "boolean" }>;
  positionals: number;
}

/** The directory argument, which must exist and be a directory. */
function checkDirectory(dir: string | undefined): string {
  if (dir === undefined) throw new UsageError("missing DIR: name the bucket directory");
  const path = resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw new UsageError(`no such directory: ${path}`);
    }
    throw error;
  }
  if (!isDirectory) throw new UsageError(`not a directory: ${path}`);
  return path;
}

async function stats(dir: string, fs: FileSystem, json: boolean): Promise<number> {
  const progress = progressBar("stats");
  const now = Date.now();
  const byBackend: Record<string, { entries: number; bytes: number }> = {};
  let entries = 0;
  let bytes = 0;
  let expired = 0;
  let unreadable = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  let flat = 0;
  for await (const entry of entryFiles(fs, dir, (done, total) => progress.update(done, total))) {
    const stat = await fs.stat(entry.path);
    const prefix = await fs.readPrefix(entry.path, HEADER_SIZE);
    if (stat === null || prefix === null) continue;
    entries++;
    bytes += stat.size;
    if (!entry.path.endsWith(`${entry.hash.slice(0, 2)}/${entry.name}`)) flat++;
    const slot = byBackend[entry.extension] ??= { entries: 0, bytes: 0 };
    slot.entries++;
    slot.bytes += stat.size;
    oldest = Math.min(oldest, stat.mtimeMs);
    newest = Math.max(newest, stat.mtimeMs);
    const header = parseHeader(prefix);
    if (typeof header === "string") unreadable++;
    else if (header.expiresAt !== null && header.expiresAt < now) expired++;
  }
  progress.done();
  const layout = (await fs.readPrefix(`${dir}/${LAYOUT_FILE}`, 1)) !== null
    ? 2
    : flat > 0
    ? 1
    : entries === 0
    ? "none yet"
    : 2;
  const usageText = await fs.readPrefix(`${dir}/${USAGE_FILE}`, 128);
  const estimate = usageText && /usage 1: (\d+) (\d+)/.exec(new TextDecoder().decode(usageText));
  const result = {
    directory: dir,
    layout,
    entries,
    bytes,
    backends: byBackend,
    expired,
    unreadable,
    lastUsed: entries === 0 ? null : {
      oldest: new Date(oldest).toISOString(),
      newest: new Date(newest).toISOString(),
    },
    budgetEstimate: estimate ? { entries: Number(estimate[1]), bytes: Number(estimate[2]) } : null,
  };
  if (json) {
    out(JSON.stringify(result, null, 2));
    return EXIT.ok;
  }
  const backends = Object.entries(byBackend).map(([ext, s]) => `${ext} ${count(s.entries)}`);
  out(`directory  ${dir}`);
  out(
    `layout     ${layout}${layout === 1 ? " (flat; prune moves entries into shards)" : ""}`,
  );
  out(`entries    ${count(entries)}${backends.length ? ` (${backends.join(", ")})` : ""}`);
  out(`bytes      ${formatBytes(bytes)} (${count(bytes)})`);
  out(`expired    ${count(expired)}${expired ? " (prune removes them)" : ""}`);
  out(`unreadable ${count(unreadable)}${unreadable ? " (verify --fix removes them)" : ""}`);
  if (entries > 0) {
    out(`last used  oldest ${formatAge(now - oldest)} ago, newest ${formatAge(now - newest)} ago`);
  }
  if (result.budgetEstimate) {
    out(
      `budget     estimate ${count(result.budgetEstimate.entries)} entries, ${
        formatBytes(result.budgetEstimate.bytes)
      }`,
    );
  }
  return EXIT.ok;
}

async function ls(dir: string, fs: FileSystem, json: boolean): Promise<number> {
  const now = Date.now();
  let first = true;
  if (json) process.stdout.write("[");
  for await (const entry of entryFiles(fs, dir)) {
    const stat = await fs.stat(entry.path);
    const prefix = await fs.readPrefix(entry.path, HEADER_SIZE);
    if (stat === null || prefix === null) continue;
    const header = parseHeader(prefix);
    const expires = typeof header === "string" ? undefined : header.expiresAt;
    const row = {
      hash: entry.hash,
      backend: entry.extension,
      size: stat.size,
      lastUsed: new Date(stat.mtimeMs).toISOString(),
      expires: expires === undefined || expires === null ? null : new Date(expires).toISOString(),
      expired: expires !== undefined && expires !== null && expires < now,
      ...(typeof header === "string" ? { unreadable: header } : {}),
    };
    if (json) {
      process.stdout.write(`${first ? "" : ","}\n  ${JSON.stringify(row)}`);
    } else {
      const expiry = typeof header === "string"
        ? "unreadable header"
        : expires === null
        ? "never expires"
        : row.expired
        ? `expired ${formatAge(now - expires!)} ago`
        : `expires in ${formatAge(expires! - now)}`;
      out(
        `${entry.hash}  ${entry.extension.padEnd(7)}  ${formatBytes(stat.size).padStart(9)}  ` +
          `used ${formatAge(now - stat.mtimeMs)} ago  ${expiry}`,
      );
    }
    first = false;
  }
  if (json) process.stdout.write(first ? "]\n" : "\n]\n");
  return EXIT.ok;
}

async function show(dir: string, fs: FileSystem, prefix: string, json: boolean): Promise<number> {
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw new UsageError(
      `HASH must be 4 to 64 lowercase hex digits (as "ls" prints them), got "${prefix}"`,
    );
  }
  const matches = [];
  for await (const entry of entryFiles(fs, dir)) {
    if (entry.hash.startsWith(prefix)) matches.push(entry);
  }
  if (matches.length === 0) throw new FoundProblem(`no entry's hash starts with ${prefix}`);
  if (matches.length > 1) {
    throw new UsageError(
      `${matches.length} entries' hashes start with ${prefix}: give more digits`,
    );
  }
  const [entry] = matches;
  const Backend = BUILT_IN_BACKENDS[entry.extension];
  if (Backend === undefined) {
    throw new FoundProblem(
      `cannot decode ${entry.name}: .${entry.extension} is not a built-in backend's file`,
    );
  }
  const file = await fs.readFile(entry.path);
  if (file === null) throw new FoundProblem(`${entry.name} was removed meanwhile`);
  const header = parseHeader(file);
  if (typeof header === "string") throw new FoundProblem(`${entry.name} is damaged: ${header}`);
  const payload = checkPayload(entry.name, file, header);
  if (typeof payload === "string") throw new FoundProblem(`${entry.name} is damaged: ${payload}`);
  const { value } = new Backend().load(payload);
  if (json) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value, null, 2);
    } catch (error) {
      throw new FoundProblem(
        `the value cannot be printed as JSON (${(error as Error).message}); leave out --json`,
      );
    }
    if (text === undefined) {
      throw new FoundProblem("the value cannot be printed as JSON; leave out --json");
    }
    out(text);
  } else {
    out(inspect(value, { depth: 8, colors: process.stdout.isTTY === true }));
  }
  return EXIT.ok;
}

async function prune(dir: string, fs: FileSystem): Promise<number> {
  const progress = progressBar("prune");
  let num = 0;
  let size = 0;
  const backends = Object.values(BUILT_IN_BACKENDS);
  for (const [i, backend] of backends.entries()) {
    const bucket = new Bucket(dir, { backend, fs, memory: false });
    const result = await bucket.pruneDirectory({
      onProgress: (p) =>
        progress.update(
          i * p.of + p.directories,
          backends.length * p.of,
          `${count(p.files)} files`,
        ),
    });
    num += result.num;
    size += result.size;
  }
  progress.done();
  out(`removed ${plural(num, "file")} (${formatBytes(size)})`);
  return EXIT.ok;
}

async function verify(dir: string, fs: FileSystem, fix: boolean): Promise<number> {
  const progress = progressBar("verify");
  let checked = 0;
  let damaged = 0;
  let removed = 0;
  for await (const entry of entryFiles(fs, dir, (d, t) => progress.update(d, t))) {
    const file = await fs.readFile(entry.path);
    if (file === null) continue;
    checked++;
    let reason: string | undefined;
    const header = parseHeader(file);
    if (typeof header === "string") reason = header;
    else {
      const payload = checkPayload(entry.name, file, header);
      if (typeof payload === "string") reason = payload;
      else if (BUILT_IN_BACKENDS[entry.extension]) {
        try {
          new BUILT_IN_BACKENDS[entry.extension]().load(payload);
        } catch (error) {
          reason = `the ${entry.extension} backend cannot load it: ${(error as Error).message}`;
        }
      }
    }
    if (reason === undefined) continue;
    damaged++;
    progress.done();
    if (fix && await fs.remove(entry.path)) removed++;
    out(`${fix ? "removed" : "damaged"} ${entry.path}: ${reason}`);
  }
  progress.done();
  out(
    `checked ${count(checked)} files: ${count(damaged)} damaged${
      fix ? `, ${count(removed)} removed` : damaged ? " (run with --fix to remove them)" : ""
    }`,
  );
  return damaged > removed ? EXIT.found : EXIT.ok;
}

async function clear(dir: string, fs: FileSystem): Promise<number> {
  const progress = progressBar("clear");
  let removed = 0;
  let bytes = 0;
  for await (const entry of entryFiles(fs, dir, (d, t) => progress.update(d, t))) {
    const stat = await fs.stat(entry.path);
    if (await fs.remove(entry.path)) {
      removed++;
      bytes += stat?.size ?? 0;
    }
  }
  await fs.remove(`${dir}/${USAGE_FILE}`);
  progress.done();
  out(`removed ${plural(removed, "entry").replace("entrys", "entries")} (${formatBytes(bytes)})`);
  return EXIT.ok;
}

async function evict(dir: string, fs: FileSystem, values: Record<string, unknown>) {
  const maxSize = values["max-size"] === undefined
    ? undefined
    : parseSize(String(values["max-size"]));
  let maxEntries: number | undefined;
  if (values["max-entries"] !== undefined) {
    maxEntries = Number(values["max-entries"]);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new UsageError(
        `--max-entries takes a whole number ≥ 1, got "${values["max-entries"]}"`,
      );
    }
  }
  if (maxSize === undefined && maxEntries === undefined) {
    throw new UsageError("evict needs --max-size SIZE or --max-entries N (or both)");
  }
  const result = await new Bucket(dir, { fs, memory: false }).evict({ maxSize, maxEntries });
  out(
    `evicted ${count(result.evicted)} least recently used and ${
      count(result.expired)
    } expired entries (${formatBytes(result.bytes)}); ${count(result.usage.entries)} entries, ${
      formatBytes(result.usage.bytes)
    } left`,
  );
  return EXIT.ok;
}

/** Each command's options and how many positional arguments it takes. */
const COMMANDS: Record<string, Command> = {
  stats: { options: { json: { type: "boolean" } }, positionals: 1 },
  ls: { options: { json: { type: "boolean" } }, positionals: 1 },
  show: { options: { json: { type: "boolean" } }, positionals: 2 },
  prune: { options: {}, positionals: 1 },
  verify: { options: { fix: { type: "boolean" } }, positionals: 1 },
  clear: { options: {}, positionals: 1 },
  evict: {
    options: { "max-size": { type: "string" }, "max-entries": { type: "string" } },
    positionals: 1,
  },
};

/**
 * Runs the tool with command-line arguments (without the program name) and
 * returns the exit code. Messages go to standard output; errors, one line
 * each, to standard error.
 *
 * @param args the arguments, such as `["stats", "./cache"]`
 * @param fs the storage adapter (default: the runtime's)
 * @returns the exit code, one of {@linkcode EXIT}
 * @example
 * ```ts
 * import { EXIT, main } from "@bucketcache/bucketcache/cli";
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const dir = await mkdtemp(join(tmpdir(), "bc-"));
 * assert.equal(await main(["verify", dir]), EXIT.ok); // prints "checked 0 files: 0 damaged"
 * assert.equal(await main(["frobnicate", dir]), EXIT.usage);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function main(args: string[], fs: FileSystem = defaultFileSystem()): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out(HELP.main);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    const command = COMMANDS[name];
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}": use ${Object.keys(COMMANDS).join(", ")}`);
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...command.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      const reason = (error as Error).message.split(". ")[0].replace(/^\w/, (c) => c.toLowerCase());
      throw new UsageError(`${reason} for ${name} (see "bucketcache ${name} --help")`);
    }
    if (parsed.values.help) {
      out(HELP[name]);
      return EXIT.ok;
    }
    const { positionals } = parsed;
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (positionals.length > command.positionals) {
      throw new UsageError(
        `too many arguments for ${name}: ${positionals.slice(command.positionals).join(" ")}`,
      );
    }
    const dir = checkDirectory(positionals[0]);
    switch (name) {
      case "stats":
        return await stats(dir, fs, values.json === true);
      case "ls":
        return await ls(dir, fs, values.json === true);
      case "show":
        if (positionals[1] === undefined) throw new UsageError('missing HASH: see "ls"');
        return await show(dir, fs, positionals[1], values.json === true);
      case "verify":
        return await verify(dir, fs, values.fix === true);
      case "prune":
        return await prune(dir, fs);
      case "clear":
        return await clear(dir, fs);
      default:
        return await evict(dir, fs, values);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bucketcache: ${message}\n`);
    if (error instanceof UsageError) return EXIT.usage;
    if (error instanceof FoundProblem) return EXIT.found;
    return EXIT.failed;
  }
}
