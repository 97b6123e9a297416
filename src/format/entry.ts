// The entry file format: a fixed ASCII header line, then (version 2) the
// entry's metadata, then the backend's payload. Pruning reads the header
// only; reading checks the lengths and the CRC-32 before the backend decodes.
//
// Version 1 (55 bytes), written for entries with neither metadata nor a
// stale window (most entries):
//
//   bucketcache/1 b 0000019ac9e8a000 0000000003e8 1a2b3c4d\n<payload>
//   │           │ │ │                │            └ CRC-32 of the file name, then the payload, 8 hex
//   │           │ │ │                └ payload length in bytes, 12 hex
//   │           │ │ └ expiry, ms since the epoch, 16 hex; 16 "-" for none
//   │           │ └ "b": expiry from the bucket's lifetime (a shorter bucket
//   │           │   lifetime applies), "o": the entry's own lifetime
//   │           └ format version
//   └ magic
//
// Version 2 (79 bytes), for entries that say what they are (a memoised
// function's name, version and tags) or may be served stale:
//
//   bucketcache/2 b 0000019ac9e8a000 0000019ac9f0c000 0000000003e8 00002a 1a2b3c4d\n<meta><payload>
//                   │                │                │            │      └ CRC-32 of the name, the meta, the payload
//                   │                │                │            └ metadata length in bytes, 6 hex
//                   │                │                └ payload length, 12 hex
//                   │                └ stale until: the entry may be served stale (and is kept) until then; "-" x16: no window
//                   └ expiry, as in version 1
//
// The metadata is UTF-8 JSON: { "fn": name, "version": text, "tags": { tag: generation } },
// each part optional. The payload follows: bytes, or UTF-8 text for text
// backends (a JSON file is readable JSON after its first line in version 1).

import { crc32 } from "./crc32.ts";

import { byteLength, joined } from "../fs/_parts.ts";

export { crc32 } from "./crc32.ts";

/** The newest format version this library writes and reads (it reads version 1 too). */
export const FORMAT_VERSION = 3;
/**
 * The latest expiry a header holds: the last instant a JavaScript `Date`
 * represents (8.64e15 ms, in the year 275760). A lifetime reaching past it is
 * a `RangeError` at `set`.
 */
export const MAX_EXPIRES_AT = 8.64e15;
/** Bytes in a version-1 header line, newline included. */
export const HEADER_SIZE = 55;
/** Bytes in a version-2 header line, newline included. */
export const HEADER_SIZE_V2 = 79;
/** The longest header: read this many bytes to judge any entry file by its header. */
export const HEADER_SIZE_V3 = 81;
/** The longest header: version 3's. */
export const MAX_HEADER_SIZE = HEADER_SIZE_V3;
const MAX_META_LENGTH = 0xffffff;
const MAGIC = "bucketcache/";
const NO_EXPIRY = "----------------";
const encoder = new TextEncoder();

/** What the header says about an entry. */
export interface EntryHeader {
  /** The format version: 1 or 2. */
  version: number;
  /** Bytes of the header line (55 or 79). */
  size: number;
  /** Expiry in ms since the epoch, or null. */
  expiresAt: number | null;
  /** Whether the expiry comes from the entry's own lifetime. */
  own: boolean;
  /** Until when the entry may be served stale (ms since the epoch), or null. */
  staleUntil: number | null;
  /** Metadata length in bytes (0 in version 1). */
  metaLength: number;
  /** Payload length in bytes. */
  length: number;
  /** CRC-32 of the file name, the metadata and the payload (as stored). */
  crc: number;
  /** How the stored payload is compressed (version 3); absent: stored as the backend wrote it. */
  codec?: Codec;
}

/** A compression format of `CompressionStream`, as entries may be stored in. */
export type Codec = "gzip" | "deflate";

/** The header's letter of each codec (version 3). */
const CODEC_LETTER: Record<Codec, string> = { gzip: "g", deflate: "d" };

/** What a version-2 entry says about itself. */
export interface EntryMeta {
  /** The memoised function's name. */
  fn?: string;
  /** The memoised function's `version`, as text. */
  version?: string;
  /** Its tags, each with the generation it had when the entry was written (see store/tags.ts). */
  tags?: Record<string, number>;
}

/** Extra parts of an entry, written in version 2 when present. */
export interface EntryExtras {
  /** Until when the entry may be served stale; null or absent: no stale window. */
  staleUntil?: number | null;
  /** What the entry says about itself. */
  meta?: EntryMeta;
  /** The payload given is compressed so: written in version 3. */
  codec?: Codec;
}

/** The whole size of an entry file with this header. */
export function entryFileSize(header: EntryHeader): number {
  return header.size + header.metaLength + header.length;
}

/** The time after which an entry is of no use to anyone: its expiry, or the end of its stale window. */
export function usableUntil(header: { expiresAt: number | null; staleUntil?: number | null }):
  | number
  | null {
  if (header.expiresAt === null) return null;
  return Math.max(header.expiresAt, header.staleUntil ?? header.expiresAt);
}

/**
 * The checksum of an entry: CRC-32 of its file name, continued over its
 * metadata (version 2) and its payload. A file copied under another key's
 * name does not match.
 */
export function entryChecksum(
  fileName: string,
  payload: Uint8Array | readonly Uint8Array[],
  meta?: Uint8Array,
): number {
  let crc = crc32(encoder.encode(fileName));
  if (meta !== undefined && meta.length > 0) crc = crc32(meta, crc);
  if (payload instanceof Uint8Array) return crc32(payload, crc);
  for (const part of payload) crc = crc32(part, crc);
  return crc;
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

function dateField(value: number | null, what: string): string {
  if (value === null) return NO_EXPIRY;
  if (!(value <= MAX_EXPIRES_AT)) {
    throw new RangeError(`An entry's ${what} must be at most ${MAX_EXPIRES_AT} ms, got ${value}`);
  }
  return hex(Math.ceil(value), 16);
}

/**
 * Why a file's first bytes are not a readable entry header. `damaged` is
 * `true` only for a file of this library that is broken (the magic is there,
 * the rest is not right): such a file may be removed. A foreign file, an
 * empty file or an entry of a newer format version is `damaged: false`: it
 * reads as missing and is left alone.
 */
export interface HeaderProblem {
  /** Whether the file is one of ours and broken. */
  readonly damaged: boolean;
  /** What is wrong, for logs and the command-line tool. */
  readonly reason: string;
}

/** Whether `parseHeader` found a problem rather than a header. */
export function isProblem(header: EntryHeader | HeaderProblem): header is HeaderProblem {
  return "reason" in header;
}

/**
 * Frames a payload in a header: the complete bytes of an entry file. Version
 * 1 unless `extras` has metadata or a stale window.
 */
export function encodeEntryFile(
  fileName: string,
  payload: Uint8Array,
  expiresAt: number | null,
  own: boolean,
  extras?: EntryExtras,
): Uint8Array {
  return joined(encodeEntryParts(fileName, payload, expiresAt, own, extras));
}

/**
 * The bytes of an entry file as parts, without copying the payload: the
 * header (with the metadata, in version 2), then `payload` itself (one
 * array, or its parts in order). Written one after the other they are
 * exactly {@linkcode encodeEntryFile}'s bytes; the header's CRC is the same
 * (over the file name, metadata and payload).
 */
export function encodeEntryParts(
  fileName: string,
  payload: Uint8Array | readonly Uint8Array[],
  expiresAt: number | null,
  own: boolean,
  extras?: EntryExtras,
): [head: Uint8Array, ...payload: Uint8Array[]] {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const length = byteLength(payload);
  const expiry = dateField(expiresAt, "expiry");
  const meta = extras?.meta === undefined ? undefined : encodeMeta(extras.meta);
  const staleUntil = extras?.staleUntil ?? null;
  const codec = extras?.codec;
  if (meta === undefined && staleUntil === null && codec === undefined) {
    const header = `${MAGIC}1 ${own ? "o" : "b"} ${expiry} ${hex(length, 12)} ${
      hex(entryChecksum(fileName, payload), 8)
    }\n`;
    return [encoder.encode(header), ...parts];
  }
  const metaBytes = meta ?? new Uint8Array();
  if (metaBytes.length > MAX_META_LENGTH) {
    throw new RangeError(`An entry's metadata must be at most ${MAX_META_LENGTH} bytes of JSON`);
  }
  const header = `${MAGIC}${codec === undefined ? 2 : 3} ${own ? "o" : "b"} ${expiry} ${
    dateField(staleUntil, "stale window")
  } ${hex(length, 12)} ${hex(metaBytes.length, 6)} ${
    codec === undefined ? "" : `${CODEC_LETTER[codec]} `
  }${hex(entryChecksum(fileName, payload, metaBytes), 8)}\n`;
  const size = codec === undefined ? HEADER_SIZE_V2 : HEADER_SIZE_V3;
  const head = new Uint8Array(size + metaBytes.length);
  encoder.encodeInto(header, head);
  head.set(metaBytes, size);
  return [head, ...parts];
}

function encodeMeta(meta: EntryMeta): Uint8Array | undefined {
  const clean: EntryMeta = {};
  if (meta.fn !== undefined) clean.fn = meta.fn;
  if (meta.version !== undefined) clean.version = meta.version;
  if (meta.tags !== undefined && Object.keys(meta.tags).length > 0) clean.tags = meta.tags;
  return Object.keys(clean).length === 0 ? undefined : encoder.encode(JSON.stringify(clean));
}

const HEX = /^[0-9a-f]+$/;

/**
 * Reads a header from a file's first bytes (at least `HEADER_SIZE` of them
 * when the file has that many). Returns a {@linkcode HeaderProblem} for a
 * file that is not a readable entry.
 */
export function parseHeader(bytes: Uint8Array): EntryHeader | HeaderProblem {
  const magicSeen = Math.min(bytes.length, MAGIC.length);
  let magic = magicSeen > 0;
  for (let i = 0; i < magicSeen; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) magic = false;
  if (!magic) return { damaged: false, reason: "not a bucketcache entry file" };
  if (bytes.length < HEADER_SIZE) {
    return { damaged: true, reason: `truncated header (${bytes.length} of ${HEADER_SIZE} bytes)` };
  }
  // One call, not 55 concatenations (which cost ~30 µs per header in Bun).
  const text = String.fromCharCode.apply(
    null,
    bytes.subarray(0, HEADER_SIZE) as unknown as number[],
  );
  if ((text[12] !== "1" && text[12] !== "2" && text[12] !== "3") || text[13] !== " ") {
    const version = text.slice(12, text.indexOf(" ", 12));
    // A newer library's entry: not ours to judge.
    if (/^[0-9]+$/.test(version) && Number(version) > FORMAT_VERSION) {
      return {
        damaged: false,
        reason: `entry format version ${version} (this library reads version ${FORMAT_VERSION})`,
      };
    }
    return { damaged: true, reason: `damaged header (format version "${version}")` };
  }
  const flag = text[14];
  if ((flag !== "b" && flag !== "o") || text[15] !== " ") {
    return { damaged: true, reason: "damaged header" };
  }
  if (text[12] === "1") {
    const expiry = text.slice(16, 32);
    const length = text.slice(33, 45);
    const crc = text.slice(46, 54);
    if (
      text[32] !== " " || text[45] !== " " || text[54] !== "\n" ||
      (expiry !== NO_EXPIRY && !HEX.test(expiry)) || !HEX.test(length) || !HEX.test(crc)
    ) {
      return { damaged: true, reason: "damaged header" };
    }
    return finish(1, HEADER_SIZE, flag, expiry, NO_EXPIRY, length, "0", crc);
  }
  const v3 = text[12] === "3";
  const headerSize = v3 ? HEADER_SIZE_V3 : HEADER_SIZE_V2;
  if (bytes.length < headerSize) {
    return {
      damaged: true,
      reason: `truncated header (${bytes.length} of ${headerSize} bytes)`,
    };
  }
  const v2 = String.fromCharCode.apply(
    null,
    bytes.subarray(0, headerSize) as unknown as number[],
  );
  // Version 3 is version 2 with the codec's letter and a space before the CRC.
  let codec: Codec | undefined;
  if (v3) {
    codec = v2[70] === "g" ? "gzip" : v2[70] === "d" ? "deflate" : undefined;
    if (codec === undefined || v2[71] !== " ") return { damaged: true, reason: "damaged header" };
  }
  const crcAt = v3 ? 72 : 70;
  const expiry = v2.slice(16, 32);
  const stale = v2.slice(33, 49);
  const length = v2.slice(50, 62);
  const metaLength = v2.slice(63, 69);
  const crc = v2.slice(crcAt, crcAt + 8);
  if (
    v2[32] !== " " || v2[49] !== " " || v2[62] !== " " || v2[69] !== " " ||
    v2[crcAt + 8] !== "\n" ||
    (expiry !== NO_EXPIRY && !HEX.test(expiry)) || (stale !== NO_EXPIRY && !HEX.test(stale)) ||
    !HEX.test(length) || !HEX.test(metaLength) || !HEX.test(crc)
  ) {
    return { damaged: true, reason: "damaged header" };
  }
  const header = finish(v3 ? 3 : 2, headerSize, flag, expiry, stale, length, metaLength, crc);
  if (codec !== undefined && !isProblem(header)) header.codec = codec;
  return header;
}

function finish(
  version: number,
  size: number,
  flag: string,
  expiry: string,
  stale: string,
  length: string,
  metaLength: string,
  crc: string,
): EntryHeader | HeaderProblem {
  const expiresAt = expiry === NO_EXPIRY ? null : parseInt(expiry, 16);
  const staleUntil = stale === NO_EXPIRY ? null : parseInt(stale, 16);
  if (
    (expiresAt !== null && expiresAt > MAX_EXPIRES_AT) ||
    (staleUntil !== null && staleUntil > MAX_EXPIRES_AT)
  ) {
    return { damaged: true, reason: "damaged header (a date past the year 275760)" };
  }
  return {
    version,
    size,
    own: flag === "o",
    expiresAt,
    staleUntil,
    metaLength: parseInt(metaLength, 16),
    length: parseInt(length, 16),
    crc: parseInt(crc, 16),
  };
}

/** Checks a whole file against its header: returns the payload, or why it is damaged. */
export function checkPayload(
  fileName: string,
  file: Uint8Array,
  header: EntryHeader,
): Uint8Array | string {
  const expected = entryFileSize(header);
  if (file.length !== expected) {
    return file.length < expected
      ? `truncated (${file.length} of ${expected} bytes)`
      : `${file.length - expected} bytes after the payload`;
  }
  const metaEnd = header.size + header.metaLength;
  const payload = file.subarray(metaEnd);
  const meta = header.metaLength > 0 ? file.subarray(header.size, metaEnd) : undefined;
  if (entryChecksum(fileName, payload, meta) !== header.crc) {
    return "checksum mismatch (damaged, or another entry's file)";
  }
  const zlib = header.codec === undefined ? undefined : zlibInflaters();
  if (zlib !== undefined) {
    // Compressed (version 3): the backend's bytes, inflated here where the
    // runtime has node:zlib, so every reader of checked payloads (the store,
    // explain, the CLI's inspect) gets them; elsewhere the store inflates
    // them through DecompressionStream (payloadInflated says which).
    try {
      const out = header.codec === "gzip" ? zlib.gunzipSync(payload) : zlib.inflateSync(payload);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      return `its ${header.codec} payload does not decompress: ${(error as Error)?.message}`;
    }
  }
  return payload;
}

/** node:zlib's synchronous inflaters. */
interface Inflaters {
  gunzipSync(data: Uint8Array): Uint8Array;
  inflateSync(data: Uint8Array): Uint8Array;
}

let inflaters: Inflaters | null | undefined;

/**
 * node:zlib's synchronous inflaters where the runtime has them (reached as
 * crc32.ts does), looked up on the first compressed entry: loading node:zlib
 * costs a fresh process 3-13 ms, which a process that reads no compressed
 * entry never pays.
 */
function zlibInflaters(): Inflaters | undefined {
  if (inflaters === undefined) {
    const process = (globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }).process;
    const found = process?.getBuiltinModule?.("node:zlib") as Partial<Inflaters> | undefined;
    inflaters = typeof found?.gunzipSync === "function" && typeof found.inflateSync === "function"
      ? found as Inflaters
      : null;
  }
  return inflaters ?? undefined;
}

/**
 * Whether {@linkcode checkPayload} returns a compressed entry's payload
 * inflated (where node:zlib is there); if not, the caller inflates it with
 * {@linkcode decompressPayload}.
 */
export function payloadInflated(): boolean {
  return zlibInflaters() !== undefined;
}

/**
 * The metadata of a checked file (version 2), or undefined. Meant for files
 * `checkPayload` accepted, or for a prefix read at least `size + metaLength`
 * long (the CRC then is not checked: for listings only).
 */
export function readMeta(bytes: Uint8Array, header: EntryHeader): EntryMeta | undefined {
  if (header.metaLength === 0 || bytes.length < header.size + header.metaLength) return undefined;
  try {
    const meta = JSON.parse(
      new TextDecoder().decode(bytes.subarray(header.size, header.size + header.metaLength)),
    );
    return typeof meta === "object" && meta !== null && !Array.isArray(meta) ? meta : undefined;
  } catch {
    return undefined;
  }
}

/** `bytes` through a `CompressionStream` (or `DecompressionStream`) of `codec`. */
async function through(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<BufferSource> },
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
  // A failure shows on the reading side too; this one is awaited below.
  written.catch(() => {});
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.readable.getReader();
  for (let step = await reader.read(); !step.done; step = await reader.read()) {
    chunks.push(step.value);
    length += step.value.byteLength;
  }
  await written;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Compresses a payload with `codec` (Web Streams' `CompressionStream`). */
export function compressPayload(codec: Codec, bytes: Uint8Array): Promise<Uint8Array> {
  return through(new CompressionStream(codec), bytes);
}

/**
 * Decompresses a stored payload. Throws for bytes that are not a complete
 * stream of `codec` (the checksum passed, so that is another writer's bug).
 */
export function decompressPayload(codec: Codec, bytes: Uint8Array): Promise<Uint8Array> {
  return through(new DecompressionStream(codec), bytes);
}

/**
 * Splits an entry file (one buffer, or its header part and payload part)
 * into its head (header and metadata) and payload, as views (no copy).
 * Undefined for bytes that do not start with a readable header.
 */
export function splitEntry(
  file: Uint8Array | readonly Uint8Array[],
): [head: Uint8Array, payload: Uint8Array] | undefined {
  if (!(file instanceof Uint8Array)) {
    if (file.length < 2) return file.length === 1 ? splitEntry(file[0]) : undefined;
    return [file[0], file.length === 2 ? file[1] : joined(file.slice(1))];
  }
  const header = parseHeader(file);
  if (isProblem(header)) return undefined;
  const start = header.size + header.metaLength;
  return [file.subarray(0, start), file.subarray(start)];
}

/**
 * The head of the same entry with `stored` as its payload, compressed with
 * `codec` (format version 3): the same expiry, stale window and metadata; the
 * length and the CRC are those of the stored bytes.
 */
export function compressedHead(
  fileName: string,
  head: Uint8Array,
  stored: Uint8Array,
  codec: Codec,
): Uint8Array {
  const header = parseHeader(head);
  if (isProblem(header)) throw new TypeError(`Not an entry header: ${header.reason}`);
  const meta = readMeta(head, header);
  return encodeEntryParts(fileName, stored, header.expiresAt, header.own, {
    staleUntil: header.staleUntil,
    ...(meta === undefined ? {} : { meta }),
    codec,
  })[0];
}
