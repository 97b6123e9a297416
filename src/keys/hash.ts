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
//
// node:crypto is loaded on first need, not with this file: loading it costs
// 2–15 ms of a fresh process (measured on Node 24, Deno and Bun), many times
// a first read. The first keys of a process (up to NATIVE_AFTER of them, each
// up to NATIVE_ABOVE bytes) are hashed by sha256.ts, whose first digest costs
// 0.6–1.6 ms and later ones 5–11 µs; a longer key, a streamed key or the
// NATIVE_AFTER-th hash loads node:crypto for the rest of the process. Both
// give the same digests.

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

type CreateHash = typeof NodeCrypto.createHash;

/** Hashes by sha256.ts before node:crypto is loaded (a process's first keys). */
const NATIVE_AFTER = 128;
/** Key bytes above which node:crypto is loaded at once. */
const NATIVE_ABOVE = 1024;

/**
 * Whether node:crypto can hash keys here (false: the JavaScript SHA-256): the
 * runtime has `process.getBuiltinModule`. Nothing is loaded to find out.
 */
export const nativeKeyHashing: boolean = typeof (globalThis as {
  process?: { getBuiltinModule?: unknown };
}).process?.getBuiltinModule === "function";

/** node:crypto's hashing once loaded; null where it is not there, undefined until asked. */
let native: KeyHashing | null | undefined = nativeKeyHashing ? undefined : null;
let jsHashes = 0;

/** node:crypto's key hashing (loaded on the first call), or null where the runtime has none. */
function nativeHashing(): KeyHashing | null {
  if (native === undefined) {
    const createHash: CreateHash | undefined = builtin<typeof NodeCrypto>("node:crypto")
      ?.createHash;
    native = typeof createHash === "function" ? keyHashing(() => createHash("sha256")) : null;
  }
  return native;
}

/** The hashing for `length` key bytes: sha256.ts for a process's first small keys. */
function hashingFor(length: number): KeyHashing {
  if (native === null) return fallbackKeyHashing;
  if (native !== undefined) return native;
  if (length <= NATIVE_ABOVE && jsHashes++ < NATIVE_AFTER) return fallbackKeyHashing;
  return nativeHashing() ?? fallbackKeyHashing;
}

/** The bytes every hash of `identity` starts with. */
export function hashPrefix(identity: string): Uint8Array {
  return encoder.encode(identity);
}

/** Hashes key bytes that are already in one array: synchronous. */
export function hashKeyBytes(prefix: Uint8Array, key: Uint8Array): string {
  return hashingFor(prefix.length + key.length).hashKeyBytes(prefix, key);
}

/** Hashes key bytes in whatever form a key maker returned them. */
export function hashKeyChunks(
  prefix: Uint8Array,
  key: Exclude<KeyBytes, Uint8Array>,
): Promise<string> {
  return (nativeHashing() ?? fallbackKeyHashing).hashKeyChunks(prefix, key);
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
