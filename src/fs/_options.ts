// Options shared by the disk adapters.

/** Options of {@linkcode NodeFileSystem} and {@linkcode DenoFileSystem}. */
export interface DiskFileSystemOptions {
  /**
   * Files and writes up to this many bytes use the runtime's synchronous
   * calls, larger ones the asynchronous calls, so the event loop is never
   * blocked for a large value. Small synchronous file operations are several
   * times faster than their asynchronous forms (measured: a 1 KiB read 18 µs
   * against 209 µs on Node 20; an atomic write 396 µs against 943 µs). Set 0
   * to make every operation asynchronous. Default 64 KiB.
   */
  syncBelow?: number;
}

/** The default of `syncBelow`. */
export const DEFAULT_SYNC_BELOW = 64 * 1024;

/** Reads and checks `syncBelow`. */
export function readSyncBelow(options: DiskFileSystemOptions | undefined, name: string): number {
  if (options === undefined) return DEFAULT_SYNC_BELOW;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${name} options must be an object such as { syncBelow: 0 }`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "syncBelow") {
      throw new TypeError(`Unknown ${name} option "${key}": the only option is syncBelow`);
    }
  }
  const value = options.syncBelow ?? DEFAULT_SYNC_BELOW;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `${name} option syncBelow must be a whole number of bytes ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}
