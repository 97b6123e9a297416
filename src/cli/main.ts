// The bucketcache command-line tool: look inside a cache directory, check it,
// prune it, clear it or bring it under a size. Run through cli.ts.
//
// This file is the presentation: the command line, help texts, formatting
// and printing. What the commands find and remove is in inspect.ts (through
// the FileSystem adapter only), how values print in render.ts.

import process from "node:process";
import { resolve } from "node:path";
import { defaultFileSystem } from "../fs/detect.ts";
import type { FileSystem } from "../fs/types.ts";
import {
  clearBucket,
  directoryState,
  evictBucket,
  findEntry,
  listEntries,
  pruneBucket,
  readEntry,
  summarize,
  verifyBucket,
} from "./inspect.ts";
import { isStackOverflow, JsonRefusal, renderJson, renderText, TEXT_LIMITS } from "./render.ts";
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
  /**
   * Done, and it found a problem: damaged files left (verify), no such
   * entry, a damaged entry or a value --json cannot print (show).
   */
  found: 1,
  /** The command line is wrong: unknown command or option, missing or bad argument. */
  usage: 2,
  /** The command failed: an I/O error such as a permission denied. */
  failed: 3,
} as const;

/** Where the tool writes: standard output and standard error, and whether to draw progress. */
export interface CliOutput {
  /** Writes text (lines end in "\n") to standard output. */
  stdout(text: string): void;
  /** Writes text to standard error. */
  stderr(text: string): void;
  /** Whether to draw a progress bar on standard error (default: when it is a terminal). */
  progress?: boolean;
}

class UsageError extends Error {}
class FoundProblem extends Error {}

const OWN_FILES =
  "Only the library's own files are read or removed: entry files of the built-in\n" +
  "backends (.sclone, .json, .msgpack) named like an entry and carrying its\n" +
  "header, its temporary files and its usage file. Symlinks are never followed.";

const REMOVES_NOTHING = "Removes nothing and writes nothing.";

const HELP: Record<string, string> = {
  main: `bucketcache: look inside and look after a bucketcache directory

Usage: bucketcache <command> DIR [options]

Commands:
  stats DIR [--json]        entries by backend, bytes, expired, damaged and
                            temporary files, modification times
  ls DIR [--json]           every entry: hash, backend, size, modified, expiry
  show DIR HASH [--json] [--depth N] [--items N]
                            decode one entry (HASH: 4+ leading hex digits) and
                            print its value, bounded
  verify DIR [--fix]        read every entry in full and check it; --fix
                            removes the damaged ones
  prune DIR                 remove expired and damaged entries and orphaned
                            temporary files; move old flat-layout entries
  clear DIR                 remove every entry, temporary file and the usage file
  evict DIR [--max-size SIZE] [--max-entries N]
                            remove expired, then least recently used entries
                            down to 90% of the budget (at least one option)
  Every command takes -h / --help.

Only the library's own files are read or removed: entry files of the built-in
backends (.sclone, .json, .msgpack) named like an entry and carrying its
header, its temporary files and its usage file. Symlinks are never followed;
a file that changed since it was read is left. stats, ls, show and verify
without --fix never write.

Exit codes: 0 done, 1 a problem was found (verify, show), 2 bad command line,
3 failed (an I/O error).`,
  stats: `Usage: bucketcache stats DIR [--json]

Counts the entries (by backend) and their bytes, expired entries, damaged
entry files, temporary files, the oldest and newest modification time, and a
size budget's estimate. Reads only file headers.
${REMOVES_NOTHING}
  --json   print one JSON object: { directory, layout, entries, bytes,
           backends: { EXT: { entries, bytes } }, expired, expiredPrunable,
           damaged, temporary: { files, bytes, orphaned },
           modified: { oldest, newest } | null, budgetEstimate }

"modified" is the files' modification time: when an entry was last written
or, in a bucket with maxSize/maxEntries, last used (reads touch the file).
An expired entry reads as missing; prune removes it once it is a minute past
(the clock tolerance between processes).

${OWN_FILES}`,
  ls: `Usage: bucketcache ls DIR [--json]

Lists every entry: hash, backend (file extension), size, modified, expiry.
Reads only file headers. ${REMOVES_NOTHING}
  --json   print a JSON array of { hash, backend, path, size, modified,
           expires, expired } (and "damaged": the reason, for a damaged
           header); times are ISO strings, "expires" null for never

"modified" is the file's modification time: when the entry was last written
or, in a bucket with maxSize/maxEntries, last used (reads touch the file).
It is what eviction orders by.

${OWN_FILES}`,
  show: `Usage: bucketcache show DIR HASH [--json] [--depth N] [--items N]

Decodes the entry whose hash starts with HASH (at least 4 hex digits, as ls
prints them; it must match one entry) and prints its value. Reads one file.
${REMOVES_NOTHING}

The text is bounded: containers nested deeper than --depth print as
[Object], [Array(3)], [Map(2)]; each array, object, Map, Set shows at most
--items entries; strings are cut at 1,000 characters; the output stops at
500,000 characters. An object reached again (shared or circular) is printed
once: its first place is marked <ref *1>, later ones print [Ref *1], or
[Circular *1] inside itself.
  --depth N   nesting levels shown (default 8)
  --items N   entries shown per container (default 100)
  --json      print the whole value as JSON instead (no --depth, --items):
              an object reached again prints {"$ref": "#/json/pointer"}, a
              JSON Pointer to where it was printed first; a Date prints as
              its ISO string. A value JSON cannot hold exactly (Map, Set,
              bigint, undefined, NaN, Infinity, typed arrays, array holes,
              ...) is refused naming where it is, and so is JSON longer than
              32 times the entry file (or 8 MiB, whichever is more).

Exits 1 when no entry matches, when the entry is damaged (header, length,
checksum, or a value its backend cannot decode) or --json refuses the value.`,
  verify: `Usage: bucketcache verify DIR [--fix]

Reads every entry file in full and checks its header, length, checksum and
value (decoded by its backend). Reports each damaged file; exits 1 if any
are left. Without --fix: ${REMOVES_NOTHING.toLowerCase()}
  --fix    remove the damaged files

--fix removes only the library's own entry files (named like an entry and
carrying its header) that it found damaged, and only if a file still holds
the bytes it judged: a file that changed since it was judged is left. It
never follows symlinks, never removes anything else.`,
  prune: `Usage: bucketcache prune DIR

Removes, for each built-in backend, entries past their expiry by more than
the clock tolerance (a minute), damaged entry files, and the library's
temporary files orphaned by interrupted writes (older than 15 minutes).
Moves entries of the old flat layout into their shards. Reads only headers.

It removes only the library's own entry files (named like an entry and
carrying its header) and its temporary files; never follows symlinks; an
entry that changed since it was judged is left.`,
  clear: `Usage: bucketcache clear DIR

Removes every entry file of the built-in backends, the library's temporary
files (also those of writes in progress, which the library then retries)
and the usage file. The directory, its shard directories and the layout
file stay.

It removes only the library's own entry files (named like an entry and
carrying its header), its temporary files and its usage file; never follows
symlinks; a file that changed since it was read is left (and counted).`,
  evict: `Usage: bucketcache evict DIR [--max-size SIZE] [--max-entries N]

Removes expired entries, then least recently used ones until the directory
is at 90% of the given budget, as a bucket with maxSize/maxEntries does.
Recency is the entry file's modification time. At least one option:
  --max-size SIZE     bytes: 5000000, 500KB, 1.5GB, 2GiB (KB/MB/GB/TB are
                      powers of 1000; KiB/MiB/GiB/TiB of 1024)
  --max-entries N     entries, a whole number of at least 1

It removes only the library's own entry files (named like an entry and
carrying its header); never follows symlinks; an entry used or changed since
it was judged is left. The pass corrects a budget's usage file; where there
was none (a cache without a budget) none is left behind.`,
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

/** An argument quoted for a one-line message (newlines and quotes escaped). */
const quoted = (text: string) => JSON.stringify(text);

/**
 * Parses a size such as "1GB", "500MiB" or "1000" into bytes.
 *
 * @param text the size
 * @returns whole bytes, at least 1
 * @throws {Error} a usage error (exit 2) for anything else
 */
export function parseSize(text: string): number {
  const match = /^ *(\d+(?:\.\d+)?) *([a-zA-Z]*) *$/.exec(text);
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(
      `--max-size takes a size such as 1GB, 500MiB or 1000000 (bytes), got ${quoted(text)}`,
    );
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!(bytes >= 1)) {
    throw new UsageError(`--max-size must be at least 1 byte, got ${quoted(text)}`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`--max-size is too large: ${quoted(text)}`);
  }
  return bytes;
}

/** A whole number option such as `--max-entries 10`, at least `min`. */
function parseCount(option: string, text: string, min: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `--${option} takes a whole number of at least ${min}, got ${quoted(text)}`,
    );
  }
  return value;
}

/**
 * Bytes for people: 1.2 MiB.
 *
 * @param bytes a byte count
 * @returns such as "512 B", "1.2 KiB", "34 MiB"
 */
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

/** How long ago `time` was: "3 min ago", or "in 2 s" for a clock ahead of ours. */
function ago(now: number, time: number): string {
  return now >= time ? `${formatAge(now - time)} ago` : `in ${formatAge(time - now)}`;
}

const count = (n: number) => n.toLocaleString("en");

/**
 * A count with its noun: "1 entry", "2 entries", "0 files".
 *
 * @param n the count
 * @param word the singular noun (its last word makes the plural: entry, file)
 * @returns the phrase
 */
export function plural(n: number, word: string): string {
  const many = word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`;
  return `${count(n)} ${n === 1 ? word : many}`;
}

/** The options a command takes: boolean flags, or options with a value. */
interface Command {
  positionals: readonly string[];
  flags: readonly string[];
  valued: readonly string[];
}

/** Each command's arguments and options. */
const COMMANDS: Record<string, Command> = {
  stats: { positionals: ["DIR"], flags: ["json"], valued: [] },
  ls: { positionals: ["DIR"], flags: ["json"], valued: [] },
  show: { positionals: ["DIR", "HASH"], flags: ["json"], valued: ["depth", "items"] },
  verify: { positionals: ["DIR"], flags: ["fix"], valued: [] },
  prune: { positionals: ["DIR"], flags: [], valued: [] },
  clear: { positionals: ["DIR"], flags: [], valued: [] },
  evict: { positionals: ["DIR"], flags: [], valued: ["max-size", "max-entries"] },
};

interface Parsed {
  help: boolean;
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/**
 * Parses a command's arguments. An option's value is the next argument
 * whatever it looks like (`--max-entries -3` reads "-3" and then refuses
 * it), or follows `=`; `--` ends the options.
 */
function parseArguments(name: string, command: Command, args: readonly string[]): Parsed {
  const parsed: Parsed = { help: false, positionals: [], flags: new Set(), values: new Map() };
  const end = args.indexOf("--");
  const options = end === -1 ? args : args.slice(0, end);
  if (options.includes("--help") || options.includes("-h")) return { ...parsed, help: true };
  const see = `(see "bucketcache ${name} --help")`;
  for (let i = 0; i < options.length; i++) {
    const arg = options[i];
    if (!arg.startsWith("-") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const option = arg.startsWith("--") ? arg.slice(2, equals === -1 ? undefined : equals) : "";
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    const shown = arg.startsWith("--") ? `--${option}` : arg;
    if (command.flags.includes(option)) {
      if (inline !== undefined) throw new UsageError(`${shown} takes no value, got ${quoted(arg)}`);
      if (parsed.flags.has(option)) throw new UsageError(`${shown} is given twice`);
      parsed.flags.add(option);
    } else if (command.valued.includes(option)) {
      const value = inline ?? options[++i];
      if (value === undefined) throw new UsageError(`${shown} needs a value ${see}`);
      if (parsed.values.has(option)) throw new UsageError(`${shown} is given twice`);
      parsed.values.set(option, value);
    } else {
      throw new UsageError(`unknown option '${shown}' for ${name} ${see}`);
    }
  }
  if (end !== -1) parsed.positionals.push(...args.slice(end + 1));
  if (parsed.positionals.length > command.positionals.length) {
    throw new UsageError(
      `too many arguments for ${name}: ${
        parsed.positionals.slice(command.positionals.length).map(quoted).join(" ")
      } ${see}`,
    );
  }
  return parsed;
}

/** What a command needs: where to read, and where to write. */
interface Context {
  fs: FileSystem;
  dir: string;
  out: (line: string) => void;
  output: CliOutput;
  progress: boolean;
}

async function stats(ctx: Context, json: boolean): Promise<number> {
  const progress = progressBar("stats", ctx.progress);
  const now = Date.now();
  const summary = await summarize(ctx.fs, ctx.dir, now, (d, t) => progress.update(d, t));
  progress.done();
  if (json) {
    const { modified, budgetEstimate, ...counts } = summary;
    const times = modified && {
      oldest: new Date(modified.oldestMs).toISOString(),
      newest: new Date(modified.newestMs).toISOString(),
    };
    ctx.out(
      JSON.stringify({ directory: ctx.dir, ...counts, modified: times, budgetEstimate }, null, 2),
    );
    return EXIT.ok;
  }
  const { backends, expired, expiredPrunable, damaged, temporary } = summary;
  const byBackend = Object.entries(backends).map(([ext, s]) => `${ext} ${count(s.entries)}`);
  const them = (n: number) => n === 1 ? "it" : "them";
  ctx.out(`directory  ${ctx.dir}`);
  ctx.out(
    `layout     ${summary.layout}${
      summary.layout === 1 ? " (flat; prune moves entries into shards)" : ""
    }`,
  );
  ctx.out(
    `entries    ${count(summary.entries)}${byBackend.length ? ` (${byBackend.join(", ")})` : ""}`,
  );
  ctx.out(`bytes      ${formatBytes(summary.bytes)} (${count(summary.bytes)})`);
  ctx.out(
    `expired    ${count(expired)}${
      expired === 0
        ? ""
        : expiredPrunable === expired
        ? ` (prune removes ${them(expired)})`
        : ` (${count(expiredPrunable)} over a minute past expiry, which prune removes now)`
    }`,
  );
  ctx.out(
    `damaged    ${count(damaged)}${
      damaged ? ` (prune or verify --fix removes ${them(damaged)})` : ""
    }`,
  );
  ctx.out(
    `temporary  ${count(temporary.files)}${
      temporary.orphaned
        ? ` (${count(temporary.orphaned)} over 15 min old, orphaned: prune removes ${
          them(temporary.orphaned)
        })`
        : ""
    }`,
  );
  if (summary.modified !== null) {
    ctx.out(
      `modified   oldest ${ago(now, summary.modified.oldestMs)}, newest ${
        ago(now, summary.modified.newestMs)
      } (written, or used under a budget)`,
    );
  }
  if (summary.budgetEstimate !== null) {
    ctx.out(
      `budget     estimate ${plural(summary.budgetEstimate.entries, "entry")}, ${
        formatBytes(summary.budgetEstimate.bytes)
      }`,
    );
  }
  return EXIT.ok;
}

async function ls(ctx: Context, json: boolean): Promise<number> {
  const now = Date.now();
  let first = true;
  if (json) ctx.output.stdout("[");
  for await (const entry of listEntries(ctx.fs, ctx.dir)) {
    const expires = entry.expiresAt;
    const expired = expires !== null && now > expires;
    if (json) {
      const row = {
        hash: entry.hash,
        backend: entry.backend,
        path: entry.path,
        size: entry.size,
        modified: new Date(entry.modifiedMs).toISOString(),
        expires: expires === null ? null : new Date(expires).toISOString(),
        expired,
        ...(entry.damaged === undefined ? {} : { damaged: entry.damaged }),
      };
      ctx.output.stdout(`${first ? "" : ","}\n  ${JSON.stringify(row)}`);
    } else {
      const expiry = entry.damaged !== undefined
        ? `damaged: ${entry.damaged}`
        : expires === null
        ? "never expires"
        : expired
        ? `expired ${formatAge(now - expires)} ago`
        : `expires in ${formatAge(expires - now)}`;
      ctx.out(
        `${entry.hash}  ${entry.backend.padEnd(7)}  ${formatBytes(entry.size).padStart(9)}  ` +
          `modified ${ago(now, entry.modifiedMs)}  ${expiry}`,
      );
    }
    first = false;
  }
  if (json) ctx.output.stdout(first ? "]\n" : "\n]\n");
  return EXIT.ok;
}

/** What `show` was asked: checked before anything is read. */
interface ShowRequest {
  hash: string;
  json: boolean;
  limits: typeof TEXT_LIMITS;
}

function showRequest(parsed: Parsed): ShowRequest {
  const hash = parsed.positionals[1];
  if (hash === undefined) throw new UsageError('missing HASH: "bucketcache ls DIR" lists them');
  if (!/^[0-9a-f]{4,64}$/.test(hash)) {
    throw new UsageError(
      `HASH must be 4 to 64 lowercase hex digits (as "ls" prints them), got ${quoted(hash)}`,
    );
  }
  const json = parsed.flags.has("json");
  const depthText = parsed.values.get("depth");
  const itemsText = parsed.values.get("items");
  if (json && (depthText !== undefined || itemsText !== undefined)) {
    throw new UsageError("--json prints the whole value: leave out --depth and --items");
  }
  const limits = {
    ...TEXT_LIMITS,
    depth: depthText === undefined ? TEXT_LIMITS.depth : parseCount("depth", depthText, 0),
    items: itemsText === undefined ? TEXT_LIMITS.items : parseCount("items", itemsText, 1),
  };
  return { hash, json, limits };
}

async function show(ctx: Context, { hash, json, limits }: ShowRequest): Promise<number> {
  const lookup = await findEntry(ctx.fs, ctx.dir, hash);
  if (lookup.found === "none") throw new FoundProblem(`no entry's hash starts with ${hash}`);
  if (lookup.found === "many") {
    throw new UsageError(
      `${count(lookup.count)} entries' hashes start with ${hash}: give more digits`,
    );
  }
  const { entry } = lookup;
  const judged = await readEntry(ctx.fs, entry);
  if (!judged.ok) {
    throw new FoundProblem(
      judged.problem === "damaged"
        ? `${entry.path} is damaged: ${judged.reason}`
        : `${entry.path}: ${judged.reason}`,
    );
  }
  let text: string;
  try {
    text = json
      ? renderJson(judged.value, Math.max(8 * 1024 ** 2, 32 * judged.file.length))
      : renderText(judged.value, limits);
  } catch (error) {
    if (error instanceof JsonRefusal) {
      throw new FoundProblem(`${error.message}; leave out --json for the text rendering`);
    }
    if (isStackOverflow(error)) {
      throw new FoundProblem(
        json
          ? "the value is nested too deeply to print as JSON; leave out --json"
          : `the value is nested too deeply to print at --depth ${limits.depth}; give a smaller one`,
      );
    }
    throw error;
  }
  ctx.out(text);
  return EXIT.ok;
}

async function verify(ctx: Context, fix: boolean): Promise<number> {
  const progress = progressBar("verify", ctx.progress);
  const steps = verifyBucket(ctx.fs, ctx.dir, {
    fix,
    onDirectory: (d, t) => progress.update(d, t),
  });
  let step = await steps.next();
  for (; !step.done; step = await steps.next()) {
    const damaged = step.value;
    progress.done();
    const what = !fix
      ? "damaged"
      : damaged.removed
      ? "removed"
      : "left (changed since it was read)";
    ctx.out(`${what} ${damaged.path}: ${damaged.reason}`);
  }
  progress.done();
  const { checked, damaged, removed } = step.value;
  ctx.out(
    `checked ${plural(checked, "entry")}: ${count(damaged)} damaged${
      fix ? `, ${count(removed)} removed` : damaged ? " (run with --fix to remove them)" : ""
    }`,
  );
  return damaged > removed ? EXIT.found : EXIT.ok;
}

async function prune(ctx: Context): Promise<number> {
  const progress = progressBar("prune", ctx.progress);
  const result = await pruneBucket(
    ctx.fs,
    ctx.dir,
    (done, total, files) => progress.update(done, total, plural(files, "file")),
  );
  progress.done();
  ctx.out(`removed ${plural(result.num, "file")} (${formatBytes(result.size)})`);
  return EXIT.ok;
}

async function clear(ctx: Context): Promise<number> {
  const progress = progressBar("clear", ctx.progress);
  const result = await clearBucket(ctx.fs, ctx.dir, (d, t) => progress.update(d, t));
  progress.done();
  const parts = [plural(result.entries, "entry")];
  if (result.temporary > 0) parts.push(plural(result.temporary, "temporary file"));
  if (result.usageFile) parts.push("the usage file");
  const list = parts.length === 1
    ? parts[0]
    : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
  ctx.out(
    `removed ${list} (${formatBytes(result.bytes)})${
      result.changed > 0
        ? `; left ${plural(result.changed, "file")} changed since ${
          result.changed === 1 ? "it was" : "they were"
        } read`
        : ""
    }`,
  );
  return EXIT.ok;
}

/** The budget `evict` was given: checked before anything is read. */
function evictLimits(parsed: Parsed): { maxSize?: number; maxEntries?: number } {
  const sizeText = parsed.values.get("max-size");
  const entriesText = parsed.values.get("max-entries");
  if (sizeText === undefined && entriesText === undefined) {
    throw new UsageError("evict needs --max-size SIZE or --max-entries N (or both)");
  }
  return {
    maxSize: sizeText === undefined ? undefined : parseSize(sizeText),
    maxEntries: entriesText === undefined ? undefined : parseCount("max-entries", entriesText, 1),
  };
}

async function evict(
  ctx: Context,
  limits: { maxSize?: number; maxEntries?: number },
): Promise<number> {
  const result = await evictBucket(ctx.fs, ctx.dir, limits);
  ctx.out(
    `evicted ${plural(result.evicted, "least recently used entry")} and ${
      plural(result.expired, "expired entry")
    } (${formatBytes(result.bytes)}); ${plural(result.usage.entries, "entry")}, ${
      formatBytes(result.usage.bytes)
    } left`,
  );
  return EXIT.ok;
}

/** The directory argument, which must be a directory (checked through the adapter). */
async function checkDirectory(fs: FileSystem, dir: string): Promise<string> {
  const path = resolve(dir);
  const state = await directoryState(fs, path);
  if (state === "missing") throw new UsageError(`no such directory: ${path}`);
  if (state === "file") throw new UsageError(`not a directory: ${path}`);
  return path;
}

/** An error's message on one line. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim() || String(error);
}

/** Standard output was closed by its reader (`bucketcache ls DIR | head`): stop quietly. */
class OutputClosed extends Error {}

const isBrokenPipe = (error: unknown) =>
  (error as { code?: unknown })?.code === "EPIPE" || (error as Error)?.name === "BrokenPipe";

let stdoutClosed = false;
let stdoutWatched = false;

const processOutput: CliOutput = {
  stdout(text) {
    if (!stdoutWatched) {
      stdoutWatched = true;
      // Node reports a closed pipe after the write, as an event.
      process.stdout.on?.("error", (error: unknown) => {
        if (!isBrokenPipe(error)) throw error;
        stdoutClosed = true;
      });
    }
    if (stdoutClosed) throw new OutputClosed();
    try {
      process.stdout.write(text);
    } catch (error) {
      if (!isBrokenPipe(error)) throw error;
      stdoutClosed = true;
      throw new OutputClosed();
    }
  },
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Runs the tool with command-line arguments (without the program name) and
 * returns the exit code. Results go to standard output; errors, one line
 * each, to standard error.
 *
 * @param args the arguments, such as `["stats", "./cache"]`
 * @param fs the storage adapter (default: the runtime's)
 * @param output where to write (default: the process's standard output and error)
 * @returns the exit code, one of {@linkcode EXIT}
 * @example Through any adapter, collecting the output
 * ```ts
 * import { EXIT, main } from "@bucketcache/bucketcache/cli";
 * import { Bucket, MemoryFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 * const fs = new MemoryFileSystem();
 * await new Bucket("/cache", { fs }).set("a", 1);
 * let printed = "";
 * const output = { stdout: (text: string) => void (printed += text), stderr: () => {} };
 * assert.equal(await main(["verify", "/cache"], fs, output), EXIT.ok);
 * assert.equal(printed, "checked 1 entry: 0 damaged\n");
 * assert.equal(await main(["frobnicate", "/cache"], fs, output), EXIT.usage);
 * ```
 */
export async function main(
  args: string[],
  fs: FileSystem = defaultFileSystem(),
  output: CliOutput = processOutput,
): Promise<number> {
  const [name, ...rest] = args;
  const out = (line: string) => output.stdout(`${line}\n`);
  try {
    if (name === "--help" || name === "-h" || name === "help") {
      const topic = name === "help" && rest[0] !== undefined ? rest[0] : "main";
      if (HELP[topic] === undefined) {
        throw new UsageError(
          `no help on "${topic}": the commands are ${Object.keys(COMMANDS).join(", ")}`,
        );
      }
      out(HELP[topic]);
      return EXIT.ok;
    }
    if (name === undefined) {
      throw new UsageError(
        `missing command: use ${Object.keys(COMMANDS).join(", ")} (see "bucketcache --help")`,
      );
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
      throw new UsageError(
        `unknown command ${quoted(name)}: use ${
          Object.keys(COMMANDS).join(", ")
        } (see "bucketcache --help")`,
      );
    }
    const parsed = parseArguments(name, command, rest);
    if (parsed.help) {
      out(HELP[name]);
      return EXIT.ok;
    }
    // Every argument is checked before anything is read.
    if (parsed.positionals[0] === undefined) {
      throw new UsageError("missing DIR: name the bucket directory");
    }
    let run: (ctx: Context) => Promise<number>;
    switch (name) {
      case "stats":
        run = (ctx) => stats(ctx, parsed.flags.has("json"));
        break;
      case "ls":
        run = (ctx) => ls(ctx, parsed.flags.has("json"));
        break;
      case "show": {
        const request = showRequest(parsed);
        run = (ctx) => show(ctx, request);
        break;
      }
      case "verify":
        run = (ctx) => verify(ctx, parsed.flags.has("fix"));
        break;
      case "prune":
        run = prune;
        break;
      case "clear":
        run = clear;
        break;
      default: {
        const limits = evictLimits(parsed);
        run = (ctx) => evict(ctx, limits);
      }
    }
    return await run({
      fs,
      dir: await checkDirectory(fs, parsed.positionals[0]),
      out,
      output,
      progress: output.progress ?? (output === processOutput && process.stderr.isTTY === true),
    });
  } catch (error) {
    if (error instanceof OutputClosed) return EXIT.ok;
    output.stderr(`bucketcache: ${oneLine(error)}\n`);
    if (error instanceof UsageError) return EXIT.usage;
    if (error instanceof FoundProblem) return EXIT.found;
    return EXIT.failed;
  }
}
