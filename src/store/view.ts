// A view of a store: the store, and the write policy of the bucket object
// the user holds. `new Bucket()` makes a store and an immediate view of it;
// `deferredWrite(bucket)` makes a deferred view of the same store.

import type { Store } from "./store.ts";

/** A store and how writes through this view reach it. */
export interface View {
  /** The one state of the bucket. */
  readonly store: Store;
  /** Whether sets through this view stay pending until a sync. */
  readonly deferred: boolean;
}
