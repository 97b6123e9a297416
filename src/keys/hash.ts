// Where a key becomes a file name: SHA-256 over the backend's identity and the
// key bytes, as lowercase hex.
//
//   name = hex(sha256(utf8(identity) ‖ 0x00 ‖ keyBytes))
//
// node:crypto is used in every runtime (Deno, Bun and Node all provide it): a
// 100-byte digest costs 1–7 µs there against 17–40 µs through Web Crypto's
// async digest (see bench/keys.ts), and it hashes streams chunk by chunk.

import { createHash } from "node:crypto";
import type { KeyBytes } from "./keymaker.ts";

const encoder = new TextEncoder();
const SEPARATOR = new Uint8Array([0]);

/** The bytes every hash of `identity` starts with. */
export function hashPrefix(identity: string): Uint8Array {
  return encoder.encode(identity);
}

/** Hashes key bytes that are already in one array: synchronous. */
export function hashKeyBytes(prefix: Uint8Array, key: Uint8Array): string {
  return createHash("sha256").update(prefix).update(SEPARATOR).update(key).digest("hex");
}

/** Hashes key bytes in whatever form a key maker returned them. */
export async function hashKeyChunks(
  prefix: Uint8Array,
  key: Exclude<KeyBytes, Uint8Array>,
): Promise<string> {
  const hash = createHash("sha256").update(prefix).update(SEPARATOR);
  if (Symbol.asyncIterator in key || key instanceof ReadableStream) {
    for await (const chunk of key as AsyncIterable<Uint8Array>) hash.update(checkChunk(chunk));
  } else {
    for (const chunk of key) hash.update(checkChunk(chunk));
  }
  return hash.digest("hex");
}

function checkChunk(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(
      `A key maker yielded ${
        typeof chunk === "object" ? "an object" : typeof chunk
      }: it must yield Uint8Array chunks`,
    );
  }
  return chunk;
}
