// CRC-32 (IEEE): the runtime's native one where it has node:zlib's crc32
// (Node ≥ 20.15, Bun, Deno), reached without a static import so that
// browsers and Workers load this file too; a table in JavaScript otherwise.
// Both give the same numbers (tests/format.test.ts checks them).
//
// node:zlib is loaded on first need, not with this file (loading it costs
// 3–13 ms of a fresh process on Node 24, Deno and Bun): a process's first
// NATIVE_AFTER checksums of up to NATIVE_ABOVE bytes each are computed by the
// table; a larger one, or the NATIVE_AFTER-th, loads node:zlib.

const CRC_TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 in JavaScript, continuing from `initial`. */
export function crc32Js(data: Uint8Array, initial = 0): number {
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type NativeCrc = (data: Uint8Array, value?: number) => number;

/** Checksums by the table before node:zlib is loaded (a process's first entries). */
const NATIVE_AFTER = 128;
/** Bytes above which node:zlib is loaded at once. */
const NATIVE_ABOVE = 64 * 1024;

/** node:zlib's crc32 once loaded; null where there is none, undefined until asked. */
let native: NativeCrc | null | undefined;
let jsChecksums = 0;

function nativeCrc(): NativeCrc | null {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => { crc32?: unknown } | undefined };
  }).process;
  let zlib;
  try {
    zlib = process?.getBuiltinModule?.("node:zlib");
  } catch {
    // A runtime that refuses the name.
  }
  return typeof zlib?.crc32 === "function" ? zlib.crc32 as NativeCrc : null;
}

/** CRC-32 (IEEE) of `data`, continuing from `initial`. */
export function crc32(data: Uint8Array, initial = 0): number {
  if (native === undefined) {
    if (data.length <= NATIVE_ABOVE && jsChecksums++ < NATIVE_AFTER) return crc32Js(data, initial);
    native = nativeCrc();
  }
  return native === null ? crc32Js(data, initial) : native(data, initial) >>> 0;
}
