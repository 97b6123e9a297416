// A small stand-in for node:crypto where there is none: createHash("sha256")
// over the library's own synchronous SHA-256 (src/keys/sha256.ts), for the
// contract suite's self-verifying values in pages and Workers.

import { BufferBytes } from "./node_buffer.ts";
import { Sha256 as CoreSha256 } from "../../../src/keys/sha256.ts";

/** node:crypto's Hash for sha256, over the library's own JavaScript SHA-256. */
class Sha256 {
  readonly #inner = new CoreSha256();

  update(data: Uint8Array | string): this {
    this.#inner.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
    return this;
  }

  digest(encoding?: string): string | BufferBytes {
    const hex = this.#inner.digest();
    if (encoding === "hex") return hex;
    const out = new BufferBytes(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
}

/** An incremental hash; only "sha256" is provided. */
export function createHash(algorithm: string): Sha256 {
  if (algorithm.toLowerCase() !== "sha256") {
    throw new Error(`The test stand-in for node:crypto has sha256 only, not ${algorithm}`);
  }
  return new Sha256();
}

/** One-shot hash (Node ≥ 20.12's crypto.hash). */
export function hash(
  algorithm: string,
  data: Uint8Array | string,
  encoding = "hex",
): string | BufferBytes {
  return createHash(algorithm).update(data).digest(encoding);
}

/** Random bytes from Web Crypto. */
export function randomBytes(size: number): BufferBytes {
  return crypto.getRandomValues(new BufferBytes(size));
}

/** A random UUID from Web Crypto. */
export const randomUUID = (): string => crypto.randomUUID();

export const webcrypto: Crypto = globalThis.crypto;

export default { createHash, hash, randomBytes, randomUUID, webcrypto };
