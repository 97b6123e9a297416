// Names of temporary files written during atomic replaces.
//
// A temporary name is `.<target name>.<16 random hex digits>.tmp` in the
// target's directory: the leading dot and the `.tmp` ending keep it out of
// listings, and 64 random bits keep concurrent writers in any process or
// runtime from choosing the same name.

import { basename, dirname, join } from "node:path";

const TEMP_PATTERN = /^\..+\.[0-9a-f]{16}\.tmp$/;

/** Returns a fresh temporary path next to `path`. */
export function temporaryPathFor(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  const suffix = random[0].toString(16).padStart(8, "0") + random[1].toString(16).padStart(8, "0");
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/** Whether a file name is one of our temporary names. */
export function isTemporaryName(name: string): boolean {
  return TEMP_PATTERN.test(name);
}
