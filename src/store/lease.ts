// Leases: how `lock` makes one caller compute a key across processes and
// machines. A lease is a small file next to the entry,
// `<shard>/.<entry name>.lease`, holding its owner and expiry as JSON. It is
// created with the adapter's createExclusive (one creator wins), renewed by
// its owner while the computation runs, and released — removed only if it
// still holds what its owner wrote (removeIfUnchanged) — when it ends. A
// lease past its expiry (its holder died) is taken over by exactly one
// waiter: it removes the lease it read, if unchanged, and then creates its
// own, which only one creator can do.
//
// The expiry is the holder's clock; a waiter whose clock is ahead may take a
// lease over up to that difference early. Renewals every third of the lease
// keep a live holder's lease far from that edge.

import type { FileSystem } from "../fs/types.ts";
import { backgroundInterval } from "../fs/background_timer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export { DEFAULT_LEASE_MS } from "./compute_options.ts";

/** What a lease file says. */
interface LeaseRecord {
  owner: string;
  expiresAt: number;
}

function parseLease(bytes: Uint8Array): LeaseRecord | undefined {
  try {
    const record = JSON.parse(decoder.decode(bytes));
    return typeof record?.owner === "string" && typeof record?.expiresAt === "number"
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh owner id: 64 random bits. */
export function newOwnerId(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return random[0].toString(16).padStart(8, "0") + random[1].toString(16).padStart(8, "0");
}

/** The path of a key's lease: next to its entry file. */
export function leasePath(entryPath: string): string {
  const slash = entryPath.lastIndexOf("/");
  return `${entryPath.slice(0, slash + 1)}.${entryPath.slice(slash + 1)}.lease`;
}

/** One held lease. */
export class Lease {
  readonly #fs: FileSystem;
  readonly #path: string;
  readonly #owner: string;
  readonly #ms: number;
  #stopTimer: (() => void) | undefined;
  #released = false;

  private constructor(fs: FileSystem, path: string, owner: string, ms: number) {
    this.#fs = fs;
    this.#path = path;
    this.#owner = owner;
    this.#ms = ms;
  }

  /**
   * Tries to take the lease at `path` for `ms`: creates it, or takes over
   * one whose holder let it expire. Resolves the lease, or undefined when
   * someone else holds it.
   */
  static async acquire(
    fs: FileSystem & Required<Pick<FileSystem, "createExclusive">>,
    path: string,
    ms: number,
  ): Promise<Lease | undefined> {
    const owner = newOwnerId();
    const record = (): Uint8Array =>
      encoder.encode(JSON.stringify({ owner, expiresAt: Date.now() + ms }));
    let bytes = record();
    if (await fs.createExclusive(path, bytes, { expiresAt: Date.now() + ms })) {
      return new Lease(fs, path, owner, ms).#renewing();
    }
    const held = await fs.readFile(path);
    if (held === null) {
      // Released meanwhile: try once more.
      bytes = record();
      const created = await fs.createExclusive(path, bytes, { expiresAt: Date.now() + ms });
      return created ? new Lease(fs, path, owner, ms).#renewing() : undefined;
    }
    const current = parseLease(held);
    if (current !== undefined && Date.now() <= current.expiresAt) return undefined;
    // Expired (or unreadable): take it over — only one waiter can remove
    // exactly this lease, and only one can create the next.
    if (!await fs.removeIfUnchanged(path, held)) return undefined;
    bytes = record();
    if (!await fs.createExclusive(path, bytes, { expiresAt: Date.now() + ms })) return undefined;
    return new Lease(fs, path, owner, ms).#renewing();
  }

  /** Whether someone holds a live lease at `path` now. */
  static async held(fs: FileSystem, path: string): Promise<boolean> {
    const held = await fs.readFile(path);
    if (held === null) return false;
    const current = parseLease(held);
    return current !== undefined && Date.now() <= current.expiresAt;
  }

  #renewing(): this {
    this.#stopTimer = backgroundInterval(Math.max(10, Math.floor(this.#ms / 3)), () => {
      this.#renew().catch(() => {});
    });
    return this;
  }

  async #renew(): Promise<void> {
    if (this.#released) return;
    const held = await this.#fs.readFile(this.#path);
    if (held === null || parseLease(held)?.owner !== this.#owner) return;
    const bytes = encoder.encode(
      JSON.stringify({ owner: this.#owner, expiresAt: Date.now() + this.#ms }),
    );
    await this.#fs.writeFileAtomic(this.#path, bytes, { expiresAt: Date.now() + this.#ms });
  }

  /** Releases the lease (if it is still this holder's). */
  async release(): Promise<void> {
    this.#released = true;
    this.#stopTimer?.();
    const held = await this.#fs.readFile(this.#path);
    if (held === null || parseLease(held)?.owner !== this.#owner) return;
    await this.#fs.removeIfUnchanged(this.#path, held);
  }
}
