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

/** Names of the entry files in a bucket's directory. */
export async function entryFiles(bucket: Bucket): Promise<string[]> {
  try {
    return (await readdir(bucket.path)).filter((name) => !name.startsWith("."));
  } catch {
    return [];
  }
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
