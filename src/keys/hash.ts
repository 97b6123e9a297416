// Where a key becomes a file name: SHA-256 over the backend's identity and the
// key bytes, as lowercase hex.
//
//   name = hex(sha256(utf8(identity) ‖ 0x00 ‖ keyBytes))
//
// node:crypto's createHash is used where the runtime has it (Deno, Bun and
// Node, reached through process.getBuiltinModule so that nothing is imported
// elsewhere): a 100-byte digest costs 1–7 µs there against 17–40 µs through
// Web Crypto's async digest (see bench/keys.ts), and it hashes streams chunk
// by chunk. Elsewhere (browsers, web workers, Cloudflare Workers) the
// synchronous SHA-256 of sha256.ts gives the same names.

import type * as NodeCrypto from "node:crypto";
import type { KeyBytes } from "./keymaker.ts";
import { builtin } from "../fs/builtins.ts";
import { Sha256 } from "./sha256.ts";

const encoder = new TextEncoder();
const SEPARATOR = new Uint8Array([0]);

/** An incremental SHA-256 with a hex digest: node:crypto's Hash, or {@linkcode Sha256}. */
interface HexHash {
  update(data: Uint8Array): HexHash;
  digest(encoding: "hex"): string;
}

/** The key hashing functions, over one SHA-256 implementation. */
export interface KeyHashing {
  /** Hashes key bytes that are already in one array: synchronous. */
  hashKeyBytes(prefix: Uint8Array, key: Uint8Array): string;
  /** Hashes key bytes in whatever form a key maker returned them. */
  hashKeyChunks(prefix: Uint8Array, key: Exclude<KeyBytes, Uint8Array>): Promise<string>;
}

function keyHashing(newHash: () => HexHash): KeyHashing {
  return {
    hashKeyBytes: (prefix, key) =>
      newHash().update(prefix).update(SEPARATOR).update(key).digest("hex"),
    async hashKeyChunks(prefix, key) {
      const hash = newHash().update(prefix).update(SEPARATOR);
      if (Symbol.asyncIterator in key || key instanceof ReadableStream) {
        for await (const chunk of key as AsyncIterable<Uint8Array>) hash.update(checkChunk(chunk));
      } else {
        for (const chunk of key) hash.update(checkChunk(chunk));
      }
      return hash.digest("hex");
    },
  };
}

/** Key hashing through the JavaScript SHA-256, as runtimes without node:crypto hash (for tests). */
export const fallbackKeyHashing: KeyHashing = keyHashing(() => new Sha256());

const createHash = builtin<typeof NodeCrypto>("node:crypto")?.createHash;

/** Whether node:crypto hashes keys here (false: the JavaScript SHA-256). */
export const nativeKeyHashing: boolean = typeof createHash === "function";

const hashing: KeyHashing = createHash === undefined
  ? fallbackKeyHashing
  : keyHashing(() => createHash("sha256"));

/** The bytes every hash of `identity` starts with. */
export function hashPrefix(identity: string): Uint8Array {
  return encoder.encode(identity);
}

/** Hashes key bytes that are already in one array: synchronous. */
export const hashKeyBytes: (prefix: Uint8Array, key: Uint8Array) => string = hashing.hashKeyBytes;

/** Hashes key bytes in whatever form a key maker returned them. */
export const hashKeyChunks: (
  prefix: Uint8Array,
  key: Exclude<KeyBytes, Uint8Array>,
) => Promise<string> = hashing.hashKeyChunks;

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
