// A computation in flight for one key in one process (compute.ts): the
// callers waiting for it share it, and it is aborted only once every one of
// them has gone.

/** What a lookup-or-compute resolves to. */
export interface Outcome {
  /** The value. */
  value: unknown;
  /** Where it came from: a live entry, a computation, or an expired entry served stale. */
  status: "hit" | "miss" | "stale";
  /** The entry's expiry, or null. */
  expiresAt: number | null;
}

/** One computation and its callers. */
export interface Flight {
  /** Settles with the outcome. */
  readonly promise: Promise<Outcome>;
  /** Aborts the computation's signal: on timeout, or when every caller has aborted. */
  readonly controller: AbortController;
  /** Callers waiting that could still abort. */
  abortable: number;
  /** Callers waiting that cannot abort (they passed no signal). */
  steadfast: number;
  /** Whether the computation's result may no longer be stored (it timed out). */
  abandoned: boolean;
  /** Takes the flight out of its store's map: later callers start a new computation. */
  free(): void;
}
