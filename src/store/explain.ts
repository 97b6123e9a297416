// Why a key hits or misses: what a read would find, found without changing
// anything (no removal, no recency mark, no statistics, nothing put in
// memory). It follows the read path: the memory layer first, then the file,
// with the same header, checksum, backend, tag and expiry checks.

import { BackendLoadError } from "../errors.ts";
import { checkPayload, isProblem, parseHeader, readMeta } from "../format/entry.ts";
import type { Located } from "./located.ts";
import type { MemoryEntry } from "./memory.ts";
import { servableStale } from "./expiry.ts";
import type { Store } from "./store.ts";
import type { Explanation } from "../results.ts";

/** What is known of an entry, from memory or its file. */
interface Seen {
  expiresAt: number | null;
  own: boolean;
  staleUntil?: number | null;
  meta?: MemoryEntry["meta"];
}

/**
 * Explains what reading `located` would find now.
 *
 * @param store the bucket's store
 * @param located the key
 * @param bypassed whether the read would be skipped (memoize's `nocache`)
 */
export async function explainLocated(
  store: Store,
  located: Located,
  bypassed = false,
): Promise<Explanation> {
  await store.directory.check();
  const fileName = store.fileName(located);
  const paths = store.directory.paths(fileName, store.entryPath(fileName));
  const base = {
    file: paths[0],
    hash: fileName.slice(0, 64),
    expiresAt: null as number | null,
    storedAt: null as number | null,
    inMemory: false,
  };
  const judge = async (
    seen: Seen,
    extra: Partial<Explanation>,
  ): Promise<Explanation> => {
    const common = {
      ...base,
      ...extra,
      expiresAt: seen.expiresAt,
      staleUntil: seen.staleUntil ?? null,
      ...describe(seen.meta),
    };
    if (bypassed) return { ...common, status: "miss", reason: "bypassed" };
    if (seen.meta?.tags !== undefined) {
      const current = await store.tags.generations(Object.keys(seen.meta.tags));
      const moved = Object.keys(seen.meta.tags).filter((tag) =>
        current[tag] > seen.meta!.tags![tag]
      );
      if (moved.length > 0) {
        return { ...common, status: "miss", reason: "invalidated", invalidatedBy: moved };
      }
    }
    const now = Date.now();
    if (store.isExpired(seen, now)) {
      return servableStale(seen, now)
        ? { ...common, status: "stale", reason: "expired" }
        : { ...common, status: "miss", reason: "expired" };
    }
    return { ...common, status: "hit" };
  };

  const held = store.memory.peek(located.memKey);
  if (held !== undefined) {
    const inMemory = await judge(held, { inMemory: true, pending: held.pending });
    if (inMemory.status === "hit" || held.pending) return inMemory;
  }
  for (const path of paths) {
    const file = await store.fs.readFile(path);
    if (file === null) continue;
    const stat = await store.fs.stat(path);
    const found = { ...base, file: path, storedAt: stat?.mtimeMs ?? null };
    const header = parseHeader(file);
    if (isProblem(header)) {
      return header.damaged
        ? { ...found, status: "miss", reason: "damaged", damage: header.reason }
        : { ...found, status: "miss", reason: "absent", foreign: header.reason };
    }
    const payload = checkPayload(fileName, file, header);
    if (typeof payload === "string") {
      return { ...found, status: "miss", reason: "damaged", damage: payload };
    }
    try {
      store.backend.load(payload);
    } catch (error) {
      if (!(error instanceof BackendLoadError)) throw error;
      return {
        ...found,
        status: "miss",
        reason: "damaged",
        damage: `${store.backend.identity} could not load it: ${error.message}`,
      };
    }
    base.storedAt = found.storedAt;
    base.file = path;
    return await judge({ ...header, meta: readMeta(file, header) }, {});
  }
  return { ...base, status: "miss", reason: bypassed ? "bypassed" : "absent" };
}

function describe(meta: MemoryEntry["meta"]): Partial<Explanation> {
  if (meta === undefined) return {};
  const out: Partial<Explanation> = {};
  if (meta.fn !== undefined) out.fn = meta.fn;
  if (meta.version !== undefined) out.version = meta.version;
  if (meta.tags !== undefined) out.tags = Object.keys(meta.tags);
  return out;
}
