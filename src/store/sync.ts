// Deferred writes: a sync writes every entry that is pending when it starts,
// several keys at a time, each through the key's write order (so a set,
// delete or unload of the key that comes later wins, on disk and in memory),
// and each only while it is still that key's current pending value (so two
// syncs at once, or a sync and an unload, write it once).

import type { SyncResult } from "../results.ts";
import { keyForLog } from "../log.ts";
import type { Store } from "./store.ts";

/** Writes a sync runs at once. */
export const SYNC_PARALLELISM = 8;

/** Writes the store's pending entries; failed ones stay pending. */
export async function syncPending(store: Store): Promise<SyncResult> {
  const result: SyncResult = { written: 0, bytes: 0, dropped: 0 };
  const failures: Error[] = [];
  const queue = [...store.memory.pending()];
  const now = Date.now();
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      const [memKey, entry] = item;
      try {
        const bytes = await store.serialize(memKey, () => store.writePending(memKey, now));
        if (bytes === -1) result.dropped++;
        else if (bytes > 0) {
          result.written++;
          result.bytes += bytes;
        }
      } catch (error) {
        failures.push(
          new Error(
            `Could not write the entry for key ${keyForLog(entry.key)} to ${entry.fileName}: ${
              String(error)
            }`,
            { cause: error },
          ),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_PARALLELISM, queue.length) }, worker));
  store.memory.trim();
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      `sync wrote ${result.written} entries; ${failures.length} failed and stay pending for the next sync`,
    );
  }
  return result;
}
