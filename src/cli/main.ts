// The bucketcache command-line tool: look inside a cache directory, say why
// a key hits or misses, check it, prune it, clear it, bring it under a size
// or invalidate by tag and by function. Run through cli.ts.
//
// This file is the presentation: the command line, help texts, formatting
// and printing. What the commands find and remove is in inspect.ts (through
// the FileSystem adapter only), how values print in render.ts.

import process from "node:process";
import { resolve } from "node:path";
import { defaultFileSystem } from "../fs/detect.ts";
import type { FileSystem } from "../fs/types.ts";
import type { Explanation } from "../results.ts";
import { BUILT_IN_EXTENSIONS } from "../format/layout.ts";
import {
  clearBucket,
  directoryState,
  type EntryInfo,
  evictBucket,
  explainHash,
  explainKey,
  findEntry,
  invalidateTags,
  listEntries,
  NO_FUNCTION,
  pruneBucket,
  readEntry,
  removeFunction,
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
   * entry, a damaged entry or a value --json cannot print (show), a miss
   * (why).
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
  stats DIR [--json]        entries by backend and by function, bytes,
                            expired, damaged, invalidated and temporary
                            files, modification times
  ls DIR [--json] [--fn NAME] [--tag TAG]
                            every entry: hash, backend, size, modified,
                            expiry, the function that wrote it, its tags
  show DIR HASH [--json] [--depth N] [--items N]
                            decode one entry (HASH: 4+ leading hex digits) and
                            print its value, bounded
  why DIR (KEY | --hash PREFIX) [--backend NAME] [--json]
                            what reading KEY (given as JSON) finds now, and
                            why: a hit, a stale value, or a miss and its
                            reason (absent, expired, damaged, invalidated)
  verify DIR [--fix]        read every entry in full and check it; --fix
                            removes the damaged ones
  prune DIR                 remove expired and damaged entries and orphaned
                            temporary files; move old flat-layout entries
  clear DIR                 remove every entry, temporary file and the usage file
  evict DIR [--max-size SIZE] [--max-entries N]
                            remove expired, then least recently used entries
                            down to 90% of the budget (at least one option)
  invalidate DIR (--tag TAG ... | --fn NAME [--version V])
                            make the entries carrying a tag read as missing,
                            or remove every entry of a memoised function
  Every command takes -h / --help.

Only the library's own files are read or removed: entry files of the built-in
backends (.sclone, .json, .msgpack) named like an entry and carrying its
header, its temporary files and its usage file; invalidate --tag writes a
tag's counter in .bucketcache-tags. Symlinks are never followed; a file that
changed since it was read is left. stats, ls, show and verify without --fix
never write, and neither does why.

Exit codes: 0 done, 1 a problem was found (verify, show) or why found a miss,
2 bad command line, 3 failed (an I/O error).`,
  stats: `Usage: bucketcache stats DIR [--json]

Counts the entries and their bytes by backend and by memoised function,
expired entries, damaged entry files, entries invalidated by a tag,
temporary files, the oldest and newest modification time, and a size
budget's estimate. Reads only the start of each file (header and metadata)
and the tags' counters. ${REMOVES_NOTHING}
  --json   print one JSON object: { directory, layout, entries, bytes,
           backends: { EXT: { entries, bytes } }, expired, expiredPrunable,
           damaged, invalidated, functions: { NAME: { entries, bytes } },
           temporary: { files, bytes, orphaned },
           modified: { oldest, newest } | null, budgetEstimate }

"functions" counts entries by the memoised function that wrote them (the
name the entry records); entries no memoised function wrote (set directly,
written before entry format 2, or damaged) count under "${NO_FUNCTION}".
"invalidated" entries carry a tag invalidated since they were written: they
read as missing, and stay until rewritten, evicted or cleared.

"modified" is the files' modification time: when an entry was last written
or, in a bucket with maxSize/maxEntries, last used (reads touch the file).
An expired entry reads as missing; prune removes it once it is a minute past
(the clock tolerance between processes).

${OWN_FILES}`,
  ls: `Usage: bucketcache ls DIR [--json] [--fn NAME] [--tag TAG]

Lists every entry: hash, backend (file extension), size, modified, expiry,
then "fn NAME" (and "version V") for an entry a memoised function wrote and
"tags A, B" for one with tags. An entry carrying a tag invalidated since it
was written reads as missing: it shows "invalidated by tag TAG" in place of
its expiry. Reads only the start of each file (header and metadata) and the
tags' counters. ${REMOVES_NOTHING}
  --fn NAME   only the entries of the memoised function NAME (its name
              option, or the function's own name)
  --tag TAG   only the entries carrying the tag TAG
  --json      print a JSON array of { hash, backend, path, size, modified,
              expires, expired, fn, version, tags, invalidatedBy } (and
              "damaged": the reason, for a damaged header); times are ISO
              strings, "expires" null for never; "fn" and "version" null
              when the entry records none; "tags" the tag names and
              "invalidatedBy" those invalidated since ([] for none)

An entry set directly (bucket.set) records no function; one written before
entry format 2 records neither function nor tags.

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
  why: `Usage: bucketcache why DIR (KEY | --hash PREFIX) [--backend NAME] [--json]

Says what reading a key would find now, and why, as bucket.explain(key)
does: a hit, a stale value (expired, within its stale window), or a miss
and its reason: absent (no file, or a file that is not the library's),
expired, damaged (what the check found), invalidated (by which tag); and
the entry's file, when it was stored (its modification time: under a
budget, when it was last used), when it expires, the function and tags it
was written with. Reads the entry's file and its tags' counters.
${REMOVES_NOTHING}

KEY is the key as JSON, the value the library hashes: '"user-42"' for the
string user-42, '42', '{"user":42}' (objects compare by content, in any
property order), '[1,2]'. Quote it for the shell; a KEY that starts with a
dash goes after "--". The hash is the one a bucket with the default key
maker gives. A memoised call's key is
  ["bucketcache.memoize/1", NAME, VERSION, [ARGS...]]
NAME the function's name, VERSION its memoize version option (null when not
given), ARGS the arguments the key keeps (trailing undefined ones dropped):
'["bucketcache.memoize/1","report",null,[2024,"eu"]]'. For a key JSON
cannot write (a Date, Map, bigint, a method's call, which keys on its
instance too), give --hash with the hash ls prints.
  --hash PREFIX    the entry whose hash starts with PREFIX (at least 4 hex
                   digits; it must match one entry) instead of KEY
  --backend NAME   sclone (the default), json or msgpack: the bucket's
                   backend, which a key's file name depends on; with --hash,
                   only that backend's files are looked at (default: all)
  --json           print the explanation as bucket.explain() gives it: a
                   JSON object { status, reason, file, hash, expiresAt,
                   storedAt, staleUntil, inMemory, damage, foreign, fn,
                   version, tags, invalidatedBy } (times in ms since the
                   epoch; fields that do not apply are left out)

Exits 0 for a hit or a stale value, 1 for a miss (whatever its reason, and
when no entry's hash starts with PREFIX).`,
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
and the usage file. The directory, its shard directories, the layout file
and the tags' counters (.bucketcache-tags) stay.

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
  invalidate: `Usage: bucketcache invalidate DIR (--tag TAG ... | --fn NAME [--version V])

Invalidates by tag or by function (one of the two per run), as
bucket.invalidateTags() and memoized.clear() do:
  --tag TAG     make every entry carrying the tag TAG read as missing
                (repeat it for more tags). No entry is read, changed or
                removed: the tag's generation counter moves on, a small file
                in DIR/.bucketcache-tags that this writes (and creates);
                entries written before read as missing (reason
                "invalidated") until rewritten. This process and new ones
                see it at once, running ones within a second.
  --fn NAME     remove every entry of the memoised function NAME (its name
                option, or the function's own name) and version, in each
                built-in backend, with all their arguments
  --version V   with --fn: the version, as entries record it (the memoize
                version option: a string as it is, anything else as JSON,
                such as 2); without it, the entries written without one.
                Entries of the function's other versions stay (and are
                counted).

--fn removes only the library's own entry files (named like an entry and
carrying its header) whose metadata names the function and version; it
never follows symlinks; an entry that changed since it was judged is left.
Entries written before entry format 2 record no function: they stay (clear
removes everything). --tag removes nothing.`,
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

/** A name or tag as printed: as it is, or quoted when it has spaces, commas, quotes or controls. */
const shown = (text: string) =>
  text !== "" && !/[\s,"'()\p{C}]/u.test(text) ? text : JSON.stringify(text);

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
  if (Math.round(s) < 60) return `${Math.round(s)} s`;
  if (Math.round(s / 60) < 60) return `${Math.round(s / 60)} min`;
  if (Math.round(s / 3600) < 48) return `${Math.round(s / 3600)} h`;
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

/**
 * The options a command takes: boolean flags, options with a value, and
 * options with a value that may be given more than once.
 */
interface Command {
  positionals: readonly string[];
  flags: readonly string[];
  valued: readonly string[];
  repeated?: readonly string[];
}

/** Each command's arguments and options. */
const COMMANDS: Record<string, Command> = {
  stats: { positionals: ["DIR"], flags: ["json"], valued: [] },
  ls: { positionals: ["DIR"], flags: ["json"], valued: ["fn", "tag"] },
  show: { positionals: ["DIR", "HASH"], flags: ["json"], valued: ["depth", "items"] },
  why: { positionals: ["DIR", "KEY"], flags: ["json"], valued: ["hash", "backend"] },
  verify: { positionals: ["DIR"], flags: ["fix"], valued: [] },
  prune: { positionals: ["DIR"], flags: [], valued: [] },
  clear: { positionals: ["DIR"], flags: [], valued: [] },
  evict: { positionals: ["DIR"], flags: [], valued: ["max-size", "max-entries"] },
  invalidate: { positionals: ["DIR"], flags: [], valued: ["fn", "version"], repeated: ["tag"] },
};

interface Parsed {
  help: boolean;
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string>;
  /** The values of options given more than once, in order. */
  lists: Map<string, string[]>;
}

/**
 * Parses a command's arguments. An option's value is the next argument
 * whatever it looks like (`--max-entries -3` reads "-3" and then refuses
 * it), or follows `=`; `--` ends the options.
 */
function parseArguments(name: string, command: Command, args: readonly string[]): Parsed {
  const parsed: Parsed = {
    help: false,
    positionals: [],
    flags: new Set(),
    values: new Map(),
    lists: new Map(),
  };
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
    } else if (command.repeated?.includes(option)) {
      const value = inline ?? options[++i];
      if (value === undefined) throw new UsageError(`${shown} needs a value ${see}`);
      const list = parsed.lists.get(option) ?? [];
      parsed.lists.set(option, [...list, value]);
    } else if (command.positionals.includes("KEY") && isJson(arg)) {
      throw new UsageError(
        `a KEY that starts with "-" goes after "--": bucketcache ${name} DIR -- ${arg}`,
      );
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

/** Whether a text is JSON. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
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
  ctx.out(`directory   ${ctx.dir}`);
  ctx.out(
    `layout      ${summary.layout}${
      summary.layout === 1 ? " (flat; prune moves entries into shards)" : ""
    }`,
  );
  ctx.out(
    `entries     ${count(summary.entries)}${byBackend.length ? ` (${byBackend.join(", ")})` : ""}`,
  );
  ctx.out(`bytes       ${formatBytes(summary.bytes)} (${count(summary.bytes)})`);
  ctx.out(
    `expired     ${count(expired)}${
      expired === 0
        ? ""
        : expiredPrunable === expired
        ? ` (prune removes ${them(expired)})`
        : ` (${count(expiredPrunable)} over a minute past expiry, which prune removes now)`
    }`,
  );
  ctx.out(
    `damaged     ${count(damaged)}${
      damaged ? ` (prune or verify --fix removes ${them(damaged)})` : ""
    }`,
  );
  ctx.out(
    `invalidated ${count(summary.invalidated)}${
      summary.invalidated
        ? ` (read as missing: ${
          summary.invalidated === 1
            ? "a tag it carries was invalidated; it stays"
            : "a tag each carries was invalidated; they stay"
        } until rewritten, evicted or cleared)`
        : ""
    }`,
  );
  ctx.out(
    `temporary   ${count(temporary.files)}${
      temporary.orphaned
        ? ` (${count(temporary.orphaned)} over 15 min old, orphaned: prune removes ${
          them(temporary.orphaned)
        })`
        : ""
    }`,
  );
  if (summary.modified !== null) {
    ctx.out(
      `modified    oldest ${ago(now, summary.modified.oldestMs)}, newest ${
        ago(now, summary.modified.newestMs)
      } (written, or used under a budget)`,
    );
  }
  if (summary.budgetEstimate !== null) {
    ctx.out(
      `budget      estimate ${plural(summary.budgetEstimate.entries, "entry")}, ${
        formatBytes(summary.budgetEstimate.bytes)
      }`,
    );
  }
  const functions = Object.entries(summary.functions).sort(([a, x], [b, y]) =>
    Number(a === NO_FUNCTION) - Number(b === NO_FUNCTION) || y.bytes - x.bytes ||
    (a < b ? -1 : 1)
  );
  const label = (name: string) => name === NO_FUNCTION ? name : shown(name);
  const nameWidth = Math.max(0, ...functions.map(([name]) => label(name).length));
  const countWidth = Math.max(0, ...functions.map(([, f]) => plural(f.entries, "entry").length));
  for (const [i, [name, f]] of functions.entries()) {
    ctx.out(
      `${i === 0 ? "by function " : " ".repeat(12)}${label(name).padEnd(nameWidth)}  ${
        plural(f.entries, "entry").padStart(countWidth)
      }  ${formatBytes(f.bytes).padStart(9)}`,
    );
  }
  return EXIT.ok;
}

/** What `ls` was asked: output, and which entries. */
interface LsRequest {
  json: boolean;
  fn?: string;
  tag?: string;
}

function lsRequest(parsed: Parsed): LsRequest {
  return {
    json: parsed.flags.has("json"),
    fn: checkedName(parsed.values.get("fn")),
    tag: checkedTag(parsed.values.get("tag")),
  };
}

/** A `--fn` value: a function's name, not empty. */
function checkedName(name: string | undefined): string | undefined {
  if (name === "") throw new UsageError('--fn takes the name of a memoised function, got ""');
  return name;
}

/** A `--tag` value: 1 to 1,000 characters, as the library takes tags. */
function checkedTag(tag: string | undefined): string | undefined {
  if (tag !== undefined && (tag.length === 0 || tag.length > 1000)) {
    throw new UsageError(
      `--tag takes a tag of 1 to 1,000 characters, got ${
        tag.length === 0 ? '""' : `${count(tag.length)} characters`
      }`,
    );
  }
  return tag;
}

/** Tags for people: "tag user:42", "tags user:42, team:7". */
function tagList(tags: readonly string[]): string {
  return `${tags.length === 1 ? "tag" : "tags"} ${tags.map(shown).join(", ")}`;
}

/** The function that wrote an entry, for people: "fn report", "fn report version 2". */
function fnLabel(fn: string, version: string | undefined): string {
  return `fn ${shown(fn)}${version === undefined ? "" : ` version ${shown(version)}`}`;
}

async function ls(ctx: Context, { json, fn, tag }: LsRequest): Promise<number> {
  const now = Date.now();
  let first = true;
  if (json) ctx.output.stdout("[");
  for await (const entry of listEntries(ctx.fs, ctx.dir, { labels: true })) {
    if (fn !== undefined && entry.fn !== fn) continue;
    if (tag !== undefined && !entry.tags?.includes(tag)) continue;
    const expires = entry.expiresAt;
    const expired = expires !== null && now > expires;
    const invalidatedBy = entry.invalidatedBy ?? [];
    if (json) {
      const row = {
        hash: entry.hash,
        backend: entry.backend,
        path: entry.path,
        size: entry.size,
        modified: new Date(entry.modifiedMs).toISOString(),
        expires: expires === null ? null : new Date(expires).toISOString(),
        expired,
        fn: entry.fn ?? null,
        version: entry.version ?? null,
        tags: entry.tags ?? [],
        invalidatedBy,
        ...(entry.damaged === undefined ? {} : { damaged: entry.damaged }),
      };
      ctx.output.stdout(`${first ? "" : ","}\n  ${JSON.stringify(row)}`);
    } else {
      const expiry = entry.damaged !== undefined
        ? `damaged: ${entry.damaged}`
        : invalidatedBy.length > 0
        ? `invalidated by ${tagList(invalidatedBy)}`
        : expires === null
        ? "never expires"
        : expired
        ? `expired ${formatAge(now - expires)} ago`
        : `expires in ${formatAge(expires - now)}`;
      ctx.out(
        `${entry.hash}  ${entry.backend.padEnd(7)}  ${formatBytes(entry.size).padStart(9)}  ` +
          `modified ${ago(now, entry.modifiedMs)}  ${expiry}${labels(entry)}`,
      );
    }
    first = false;
  }
  if (json) ctx.output.stdout(first ? "]\n" : "\n]\n");
  return EXIT.ok;
}

/** The columns after an entry's expiry: "  fn report version 2  tags user:42, team:7". */
function labels(entry: Pick<EntryInfo, "fn" | "version" | "tags">): string {
  return `${entry.fn === undefined ? "" : `  ${fnLabel(entry.fn, entry.version)}`}${
    entry.tags === undefined || entry.tags.length === 0 ? "" : `  ${tagList(entry.tags)}`
  }`;
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

/** What `why` was asked: a key (parsed from JSON) or a hash prefix, checked before anything is read. */
type WhyRequest =
  & { json: boolean; backend?: string }
  & ({ by: "key"; key: unknown } | { by: "hash"; hash: string });

function whyRequest(parsed: Parsed): WhyRequest {
  const keyText = parsed.positionals[1];
  const hash = parsed.values.get("hash");
  const backend = parsed.values.get("backend");
  const json = parsed.flags.has("json");
  if (backend !== undefined && !BUILT_IN_EXTENSIONS.includes(backend)) {
    throw new UsageError(
      `--backend takes ${BUILT_IN_EXTENSIONS.join(", ").replace(/, (?=[^,]*$)/, " or ")}, got ${
        quoted(backend)
      }`,
    );
  }
  if (keyText !== undefined && hash !== undefined) {
    throw new UsageError("give KEY or --hash PREFIX, not both");
  }
  if (hash !== undefined) {
    if (!/^[0-9a-f]{4,64}$/.test(hash)) {
      throw new UsageError(
        `--hash takes 4 to 64 lowercase hex digits (as "ls" prints them), got ${quoted(hash)}`,
      );
    }
    return { by: "hash", hash, backend, json };
  }
  if (keyText === undefined) {
    throw new UsageError(
      `missing KEY: give the key as JSON, such as '"user-42"' or '{"user":42}', or --hash PREFIX`,
    );
  }
  let key: unknown;
  try {
    key = JSON.parse(keyText);
  } catch {
    throw new UsageError(
      `KEY must be JSON, the key value as the library hashes it: quote a string as '${
        JSON.stringify(keyText)
      }' (numbers, arrays and objects as JSON: 42, '[1,2]', '{"user":42}')`,
    );
  }
  return { by: "key", key, backend: backend ?? "sclone", json };
}

/** An explanation on one line, for people (see the help of `why`). */
function explanationLine(why: Explanation, now: number, elsewhere: readonly string[]): string {
  const expiresAt = why.expiresAt;
  const expiry = expiresAt === null
    ? "never expires"
    : now > expiresAt
    ? `expired ${formatAge(now - expiresAt)} ago`
    : `expires in ${formatAge(expiresAt - now)}`;
  const details: string[] = [];
  let what: string;
  if (why.status === "hit") {
    what = expiry;
  } else if (why.status === "stale") {
    what = `${expiry}, may be served stale${
      why.staleUntil == null ? "" : ` for ${formatAge(why.staleUntil - now)} more`
    }`;
  } else {
    switch (why.reason) {
      case "absent":
        what = "absent";
        break;
      case "expired":
        what = expiresAt === null ? "expired" : expiry;
        break;
      case "damaged":
        what = "damaged";
        if (why.damage !== undefined) details.push(why.damage);
        break;
      case "invalidated":
        what = `invalidated by ${tagList(why.invalidatedBy ?? [])}`;
        break;
      case "bypassed":
        what = "bypassed (nocache skips the cache)";
        break;
      default:
        what = String(why.reason);
    }
  }
  if (why.reason === "absent") {
    details.push(
      why.foreign === undefined
        ? `no file at ${why.file}`
        : `${why.file} is not an entry this library reads: ${why.foreign}`,
    );
    if (elsewhere.length > 0) {
      const names = elsewhere.join(" and ");
      details.push(
        `the ${names} backend${elsewhere.length === 1 ? " has an entry" : "s have entries"} ` +
          `for this key: add --backend ${elsewhere[0]}`,
      );
    }
  } else {
    details.push(`file ${why.file}`);
    if (why.storedAt !== null) details.push(`stored ${ago(now, why.storedAt)}`);
  }
  if (why.fn !== undefined) details.push(fnLabel(why.fn, why.version));
  if (why.tags !== undefined && why.tags.length > 0) details.push(tagList(why.tags));
  if (why.inMemory) {
    details.push(`in this process's memory${why.pending ? ", not yet written" : ""}`);
  }
  return `${why.status}: ${what} (${details.join(", ")})`;
}

async function why(ctx: Context, request: WhyRequest): Promise<number> {
  let explanation: Explanation;
  let elsewhere: string[] = [];
  if (request.by === "hash") {
    const found = await explainHash(ctx.fs, ctx.dir, request.hash, request.backend);
    if (found.found === "none") {
      throw new FoundProblem(
        `no ${
          request.backend === undefined ? "" : `${request.backend} `
        }entry's hash starts with ${request.hash}`,
      );
    }
    if (found.found === "many") {
      throw new UsageError(
        `${count(found.count)} entries' hashes start with ${request.hash}: give more digits`,
      );
    }
    explanation = found.explanation;
  } else {
    let result;
    try {
      result = await explainKey(ctx.fs, ctx.dir, request.key, request.backend ?? "sclone");
    } catch (error) {
      // The key maker refuses the key (too deep, say): the command line is wrong.
      if (error instanceof TypeError) throw new UsageError(`KEY cannot be a key: ${error.message}`);
      throw error;
    }
    ({ explanation, elsewhere } = result);
  }
  const { status, reason, ...rest } = explanation;
  ctx.out(
    request.json
      ? JSON.stringify({ status, reason, ...rest }, null, 2)
      : explanationLine(explanation, Date.now(), elsewhere),
  );
  return explanation.status === "miss" ? EXIT.found : EXIT.ok;
}

/** What `invalidate` was asked: tags, or a function and version; checked before anything is read. */
type InvalidateRequest =
  | { by: "tag"; tags: string[] }
  | { by: "fn"; fn: string; version: string | undefined };

function invalidateRequest(parsed: Parsed): InvalidateRequest {
  const tags = parsed.lists.get("tag");
  const fn = checkedName(parsed.values.get("fn"));
  const version = parsed.values.get("version");
  if (tags !== undefined && fn !== undefined) {
    throw new UsageError("give --tag or --fn, not both: run invalidate once for each");
  }
  if (version !== undefined && fn === undefined) {
    throw new UsageError("--version goes with --fn NAME: the version of that function");
  }
  if (tags !== undefined) {
    for (const tag of tags) checkedTag(tag);
    return { by: "tag", tags: [...new Set(tags)] };
  }
  if (fn === undefined) throw new UsageError("invalidate needs --tag TAG or --fn NAME");
  return { by: "fn", fn, version };
}

async function invalidate(ctx: Context, request: InvalidateRequest): Promise<number> {
  if (request.by === "tag") {
    await invalidateTags(ctx.fs, ctx.dir, request.tags);
    const them = request.tags.length === 1 ? "it" : "any of them";
    ctx.out(
      `invalidated ${tagList(request.tags)} (entries carrying ${them} read as missing; ` +
        "other processes see it within a second)",
    );
    return EXIT.ok;
  }
  const { fn, version } = request;
  const result = await removeFunction(ctx.fs, ctx.dir, fn, version);
  const versionText = (v: string | null) => v === null ? "no version" : `version ${shown(v)}`;
  const same = result.left.find((left) => left.version === (version ?? null));
  const others = result.left.filter((left) => left !== same);
  let line = `removed ${plural(result.removed, "entry")} of ${shown(fn)}${
    version === undefined ? "" : ` version ${shown(version)}`
  }`;
  if (same !== undefined) {
    line += `; left ${plural(same.entries, "entry")} of it written or changed meanwhile`;
  }
  if (others.length > 0) {
    const total = others.reduce((sum, left) => sum + left.entries, 0);
    line += `; ${plural(total, "entry")} of ${shown(fn)} with ${
      others.length === 1 ? "another version" : "other versions"
    } ${total === 1 ? "stays" : "stay"} (${
      others.map((left) => `${versionText(left.version)}: ${count(left.entries)}`).join(", ")
    })`;
  }
  ctx.out(line);
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
      case "ls": {
        const request = lsRequest(parsed);
        run = (ctx) => ls(ctx, request);
        break;
      }
      case "show": {
        const request = showRequest(parsed);
        run = (ctx) => show(ctx, request);
        break;
      }
      case "why": {
        const request = whyRequest(parsed);
        run = (ctx) => why(ctx, request);
        break;
      }
      case "invalidate": {
        const request = invalidateRequest(parsed);
        run = (ctx) => invalidate(ctx, request);
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
