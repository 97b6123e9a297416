// Removing a file the store has judged (expired, damaged, evicted, migrated):
// race-free through the adapter's removeIfUnchanged, so a fresh write by any
// process that lands after the judgement survives. A removal that fails
// because the storage cannot be written (read-only, immutable, no
// permission) is logged once per bucket and never thrown: a read on such
// storage reads the entry as missing and goes on.

import type { FileSystem } from "../fs/types.ts";
import { fileLogger } from "../log.ts";

const READ_ONLY_CODES = new Set(["EROFS", "EPERM", "EACCES", "EBUSY"]);
const READ_ONLY_NAMES = new Set(["PermissionDenied", "NotCapable"]);

/** Whether an error says the storage refuses writes (rather than that something is broken). */
export function isReadOnlyError(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return (typeof code === "string" && READ_ONLY_CODES.has(code)) ||
    (typeof name === "string" && READ_ONLY_NAMES.has(name));
}

/** Removes judged files of one bucket directory. */
export class Remover {
  readonly #fs: FileSystem;
  readonly #readOnly: boolean;
  #warned = false;

  /**
   * @param fs the storage
   * @param readOnly a read-only bucket's remover removes nothing
   */
  constructor(fs: FileSystem, readOnly = false) {
    this.#fs = fs;
    this.#readOnly = readOnly;
  }

  /**
   * Removes `path` if it still holds `seen` (the whole file, or with
   * `prefixOnly` its first bytes). Resolves whether it was removed; a
   * read-only storage resolves `false` after one warning.
   */
  async removeJudged(path: string, seen: Uint8Array, prefixOnly: boolean): Promise<boolean> {
    if (this.#readOnly) return false;
    try {
      return await this.#fs.removeIfUnchanged(path, seen, { prefixOnly });
    } catch (error) {
      if (!isReadOnlyError(error)) throw error;
      if (!this.#warned) {
        this.#warned = true;
        fileLogger.warn(
          "Could not remove {path}: {error}. The storage refuses writes; expired and damaged " +
            "entries read as missing and stay (logged once per bucket)",
          () => ({ path, error }),
        );
      }
      return false;
    }
  }
}
