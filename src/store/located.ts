// A key located: what the store holds it by in memory, and its file hash
// once computed (small keys are hashed only when a file is needed, so a
// memory hit never hashes).

/** A key located: its memory key, and its file hash once computed. */
export interface Located {
  /** The key in the memory layer and the per-key maps: "k" + key bytes, or "h" + hash. */
  memKey: string;
  /** The key value, for logs. */
  key: unknown;
  /** The key's bytes, for keys small enough to hold (hashed on first need). */
  bytes?: Uint8Array;
  /** The SHA-256 file hash, once computed. */
  hash?: string;
}
