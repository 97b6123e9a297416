// CRC-32 (IEEE): the runtime's native one where it has node:zlib's crc32
// (Node ≥ 20.15, Bun, Deno), reached without a static import so that
// browsers and Workers load this file too; a table in JavaScript otherwise.
// Both give the same numbers (tests/format.test.ts checks them).

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

function nativeCrc(): NativeCrc | undefined {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => { crc32?: unknown } | undefined };
  }).process;
  const zlib = process?.getBuiltinModule?.("node:zlib");
  return typeof zlib?.crc32 === "function" ? zlib.crc32 as NativeCrc : undefined;
}

const native = nativeCrc();

/** CRC-32 (IEEE) of `data`, continuing from `initial`. */
export const crc32: (data: Uint8Array, initial?: number) => number = native === undefined
  ? crc32Js
  : (data, initial = 0) => native(data, initial) >>> 0;
