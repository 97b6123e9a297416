// Names of temporary files written during atomic replaces and private
// removals (removeIfUnchanged).
//
// A temporary name is `.<target name>.<16 random hex digits>.tmp` in the
// target's directory: the leading dot and the `.tmp` ending keep it out of
// listings, and 64 random bits keep concurrent writers in any process or
// runtime from choosing the same name. Adapters create temporary files of
// this form only, so whoever prunes orphans recognises every one of them.

import { basename, dirname, join } from "./path.ts";

/** `.<target>.<16 hex>.tmp`; the target is one name (no `/`). */
const TEMP_PATTERN = /^\.([^/]+)\.[0-9a-f]{16}\.tmp$/;

/**
 * Returns a fresh temporary path next to `path`: in the same directory, named
 * `.<name of path>.<16 random hex digits>.tmp`.
 *
 * @param path the file the temporary file stands in for
 * @returns a path no other writer chooses
 *
 * @example
 * ```ts
 * import { temporaryPathFor } from "./_temp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(temporaryPathFor("/cache/ab/ab12.sclone"), /^\/cache\/ab\/\.ab12\.sclone\.[0-9a-f]{16}\.tmp$/);
 * ```
 */
export function temporaryPathFor(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  const suffix = random[0].toString(16).padStart(8, "0") + random[1].toString(16).padStart(8, "0");
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/** The last `/`-separated part of a name or relative path, and what precedes it. */
function split(name: string): [directory: string, last: string] {
  const slash = name.lastIndexOf("/");
  return slash < 0 ? ["", name] : [name.slice(0, slash + 1), name.slice(slash + 1)];
}

/**
 * Whether a file name is one of our temporary names. For a relative path
 * such as a recursive listing yields (`"ab/.ab12.sclone.0123456789abcdef.tmp"`)
 * the last part is judged.
 *
 * @param name a file name, or a relative path joined with `/`
 * @returns whether it has the form `.<target>.<16 hex>.tmp`
 *
 * @example
 * ```ts
 * import { isTemporaryName } from "./_temp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isTemporaryName(".a.sclone.0123456789abcdef.tmp"), true);
 * assert.equal(isTemporaryName("ab/.a.sclone.0123456789abcdef.tmp"), true);
 * assert.equal(isTemporaryName("a.sclone"), false);
 * ```
 */
export function isTemporaryName(name: string): boolean {
  return TEMP_PATTERN.test(split(name)[1]);
}

/**
 * The name a temporary file stands in for: `"x.sclone"` for
 * `".x.sclone.0123456789abcdef.tmp"`, or `undefined` when `name` is not a
 * temporary name. For a relative path the last part is judged and the
 * directory part kept (`"ab/.ab12.sclone.….tmp"` gives `"ab/ab12.sclone"`),
 * so a caller can tell whether an orphan belongs to one of its files.
 *
 * @param name a file name, or a relative path joined with `/`
 * @returns the target's name (or relative path), or `undefined`
 *
 * @example
 * ```ts
 * import { temporaryTarget } from "./_temp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(temporaryTarget(".x.sclone.0123456789abcdef.tmp"), "x.sclone");
 * assert.equal(temporaryTarget("ab/.ab12.sclone.0123456789abcdef.tmp"), "ab/ab12.sclone");
 * assert.equal(temporaryTarget("x.sclone"), undefined);
 * ```
 */
export function temporaryTarget(name: string): string | undefined {
  const [directory, last] = split(name);
  const match = TEMP_PATTERN.exec(last);
  return match === null ? undefined : directory + match[1];
}
