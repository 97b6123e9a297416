// Buckets in fresh temporary directories, and file-level helpers.

import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, type BucketOptions } from "../../mod.ts";
import { makeTempDir } from "./temp.ts";

/** A bucket in a new directory (nested, not yet created). */
export async function tempBucket<V = unknown>(options?: BucketOptions): Promise<Bucket<V>> {
  const base = await makeTempDir();
  return new Bucket<V>(join(base, "nested", "cache"), options);
}

/**
 * Paths of the entry files under a bucket directory, relative to it: those in
 * the shard subdirectories ("ab/ab12….sclone") and any of layout 1 in the
 * directory itself. Dot files (temporary files, the layout file) are left out.
 */
export async function entryFiles(bucket: Bucket | string): Promise<string[]> {
  const dir = typeof bucket === "string" ? bucket : bucket.path;
  const found: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    if (/^[0-9a-f]{2}$/.test(name)) {
      for (const inner of (await readdir(join(dir, name))).sort()) {
        if (!inner.startsWith(".")) found.push(`${name}/${inner}`);
      }
    } else {
      found.push(name);
    }
  }
  return found;
}

/** Paths (relative) of the temporary files under a bucket directory and its shards. */
export async function temporaryFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string) => {
    let names: string[];
    try {
      names = await readdir(join(dir, relative));
    } catch {
      return;
    }
    for (const name of names) {
      if (relative === "" && /^[0-9a-f]{2}$/.test(name)) await walk(name);
      else if (name.endsWith(".tmp")) found.push(relative === "" ? name : `${relative}/${name}`);
    }
  };
  await walk("");
  return found;
}

/** The only entry file of a bucket, as bytes. */
export async function onlyFile(bucket: Bucket): Promise<{ path: string; bytes: Uint8Array }> {
  const files = await entryFiles(bucket);
  if (files.length !== 1) throw new Error(`expected one entry file, found ${files.length}`);
  const path = join(bucket.path, files[0]);
  return { path, bytes: new Uint8Array(await readFile(path)) };
}

/** Overwrites a file (not atomically: a test's way of damaging it). */
export async function overwrite(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(path, bytes);
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
