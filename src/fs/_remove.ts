// Race-free removal of a judged file on a disk (`removeIfUnchanged`), written
// once for the Node and Deno adapters and for their synchronous and
// asynchronous calls alike (a step may return a value or a promise).
//
//   1. lstat the path: a missing file, a link, a directory or a size that
//      cannot match answer `false` at once, and nothing is moved.
//   2. Rename it to a private temporary name in the same directory (the form
//      atomic writes use, so an orphan a crash leaves is pruned like theirs).
//      From here no other writer can change what we hold.
//   3. Check the private file is a regular file (without following a link)
//      and read the bytes to compare.
//   4. If it matches, unlink it: `true`. If not (it was replaced after the
//      caller's judgement), link it back to the path, which fails with
//      EEXIST when something newer landed there meanwhile (the newer one
//      wins), then unlink the private name: `false`.

import type * as NodeBuffer from "node:buffer";
import { builtin } from "./builtins.ts";
import { temporaryPathFor } from "./_temp.ts";
import { errorCode, isNotFound } from "./_errors.ts";

type Maybe<T> = T | Promise<T>;

/** What lstat says of a path. */
export interface PathKind {
  /** Whether it is a regular file (not a link, directory, socket, …). */
  file: boolean;
  /** Its size in bytes. */
  size: number;
}

/** The start of a regular file and its size, from one open descriptor. */
export interface FileStart {
  size: number;
  bytes: Uint8Array;
}

/** The disk calls `removeIfUnchanged` is made of. */
export interface RemoveSteps {
  /** lstat (never follows a link); `null` when the path does not exist. */
  lstat(path: string): Maybe<PathKind | null>;
  /** rename(2). */
  rename(from: string, to: string): Maybe<void>;
  /**
   * Opens `path` without following a link, checks it is a regular file and
   * reads at most `length` bytes from its start; `null` when it is not a
   * regular file.
   */
  readStart(path: string, length: number): Maybe<FileStart | null>;
  /** link(2): fails with EEXIST when `created` exists. */
  link(existing: string, created: string): Maybe<void>;
  /** unlink(2). */
  unlink(path: string): Maybe<void>;
}

/** Whether a file of `size` bytes can hold what was seen. */
export function sizeFits(size: number, seenLength: number, prefixOnly: boolean): boolean {
  return prefixOnly ? size >= seenLength : size === seenLength;
}

/** node:buffer's Buffer where the runtime has one (its `equals` is a memcmp). */
const Buffer = builtin<typeof NodeBuffer>("node:buffer")?.Buffer;

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  if (Buffer !== undefined) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Removes `path` if it still holds `seen` (see the file comment). */
export async function removeIfUnchangedWith(
  steps: RemoveSteps,
  path: string,
  seen: Uint8Array,
  prefixOnly: boolean,
): Promise<boolean> {
  const kind = await steps.lstat(path);
  if (kind === null || !kind.file || !sizeFits(kind.size, seen.byteLength, prefixOnly)) {
    return false;
  }
  const taken = temporaryPathFor(path);
  try {
    await steps.rename(path, taken);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  try {
    const start = await steps.readStart(taken, seen.byteLength);
    if (
      start !== null && sizeFits(start.size, seen.byteLength, prefixOnly) &&
      sameBytes(start.bytes, seen)
    ) {
      try {
        await steps.unlink(taken);
      } catch (error) {
        // Gone already (pruned as an orphan): removed all the same.
        if (!isNotFound(error)) throw error;
      }
      return true;
    }
  } catch (error) {
    // The private file vanished (pruned as an orphan): someone else removed it.
    if (isNotFound(error)) return false;
    await putBack(steps, taken, path).catch(() => {});
    throw error;
  }
  await putBack(steps, taken, path);
  return false;
}

/** Puts the private file back at `path` unless something newer is there. */
async function putBack(steps: RemoveSteps, taken: string, path: string): Promise<void> {
  try {
    await steps.link(taken, path);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return; // The private file is gone: nothing to put back.
    if (code !== "EEXIST" && await steps.lstat(path) === null) {
      // No hard link possible (a directory swapped in, a file system
      // without links, EPERM): rename back, as nothing newer took the place.
      await steps.rename(taken, path);
      return;
    }
    // Something newer landed at `path` (EEXIST): it wins.
  }
  try {
    await steps.unlink(taken);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
