// Tags: invalidation in O(1) of the entries that carry them. Each tag has a
// generation counter in a small file beside the entries,
// `<bucket>/.bucketcache-tags/<sha256 of the tag>`; an entry records, in its
// metadata, the generation of each of its tags when it was written.
// `invalidateTags` increments the counters; an entry any of whose tags has
// moved on since reads as missing (reason "invalidated"). Nothing lists or
// rewrites entries.
//
// Visibility: in the process that invalidates, at once. Elsewhere, a process
// rereads a tag's counter at most TAG_REFRESH_MS after it last read it, on
// the next read of an entry carrying it: another process sees an
// invalidation within that bound (a memory hit past it goes to the slow
// path, which rereads).
//
// Two processes invalidating one tag at once both write generation + 1: one
// increment may be lost, but either one invalidates every entry written
// before it.

import { join } from "../fs/path.ts";
import type { FileSystem } from "../fs/types.ts";
import { hashKeyBytes } from "../keys/hash.ts";

/** How long a process trusts a tag generation it read before reading it again. */
export const TAG_REFRESH_MS = 1000;
/** The directory of a bucket holding tag counters. */
export const TAGS_DIRECTORY = ".bucketcache-tags";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PREFIX = encoder.encode("bucketcache tag");
const LINE = /^bucketcache tag 1: (\d+)\n/;

interface Known {
  generation: number;
  readAt: number;
}

/** Checks a list of tags: strings of 1 to 1,000 characters. */
export function readTags(tags: unknown, where: string): string[] | undefined {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags)) throw new TypeError(`${where} tags must be an array of strings`);
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > 1000) {
      throw new TypeError(
        `${where} tags must be non-empty strings of at most 1,000 characters, got ${
          typeof tag === "string" ? `"${tag.slice(0, 40)}"` : typeof tag
        }`,
      );
    }
  }
  return [...new Set(tags as string[])];
}

/** The generation counters of one bucket directory's tags. */
export class TagBook {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #known = new Map<string, Known>();
  #made = false;

  constructor(fs: FileSystem, root: string) {
    this.#fs = fs;
    this.#dir = join(root, TAGS_DIRECTORY);
  }

  #path(tag: string): string {
    return join(this.#dir, hashKeyBytes(PREFIX, encoder.encode(tag)));
  }

  async #read(tag: string): Promise<number> {
    const bytes = await this.#fs.readPrefix(this.#path(tag), 64);
    const match = bytes === null ? null : LINE.exec(decoder.decode(bytes));
    const generation = match === null ? 0 : Number(match[1]);
    this.#known.set(tag, { generation, readAt: Date.now() });
    return generation;
  }

  /** The current generations of `tags`, rereading those not read within TAG_REFRESH_MS. */
  async generations(tags: Iterable<string>): Promise<Record<string, number>> {
    const now = Date.now();
    const result: Record<string, number> = {};
    for (const tag of tags) {
      const known = this.#known.get(tag);
      result[tag] = known !== undefined && now - known.readAt <= TAG_REFRESH_MS
        ? known.generation
        : await this.#read(tag);
    }
    return result;
  }

  /**
   * Whether an entry written with `recorded` generations is still valid,
   * from what this process knows without I/O: `true`, `false`, or
   * `undefined` when a tag's generation must be read again first.
   */
  validNow(recorded: Record<string, number>): boolean | undefined {
    const now = Date.now();
    for (const tag in recorded) {
      const known = this.#known.get(tag);
      if (known === undefined || now - known.readAt > TAG_REFRESH_MS) return undefined;
      if (known.generation > recorded[tag]) return false;
    }
    return true;
  }

  /** Whether an entry written with `recorded` generations is still valid (reads what it must). */
  async valid(recorded: Record<string, number>): Promise<boolean> {
    const quick = this.validNow(recorded);
    if (quick !== undefined) return quick;
    const current = await this.generations(Object.keys(recorded));
    for (const tag in recorded) if (current[tag] > recorded[tag]) return false;
    return true;
  }

  /** Moves each tag to its next generation: every entry carrying one of them reads as missing. */
  async invalidate(tags: readonly string[]): Promise<void> {
    if (!this.#made) {
      await this.#fs.mkdir(this.#dir);
      this.#made = true;
    }
    for (const tag of tags) {
      const next = (await this.#read(tag)) + 1;
      await this.#fs.writeFileAtomic(
        this.#path(tag),
        encoder.encode(`bucketcache tag 1: ${next}\n${tag}\n`),
      );
      this.#known.set(tag, { generation: next, readAt: Date.now() });
    }
  }
}
