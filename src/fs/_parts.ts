// A file's bytes given as parts written one after the other (an entry's
// header, then its payload), so that a large payload is never copied into a
// framed buffer just to be written.

/** One Uint8Array, or parts that are written one after the other. */
export type FileBytes = Uint8Array | readonly Uint8Array[];

/** How many bytes `data` holds. */
export function byteLength(data: FileBytes): number {
  if (data instanceof Uint8Array) return data.byteLength;
  let length = 0;
  for (const part of data) length += part.byteLength;
  return length;
}

/** `data` as one Uint8Array: itself, its only part, or a copy of its parts. */
export function joined(data: FileBytes): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data.length === 1) return data[0];
  const file = new Uint8Array(byteLength(data));
  let offset = 0;
  for (const part of data) {
    file.set(part, offset);
    offset += part.byteLength;
  }
  return file;
}

/** `data` as a list of parts. */
export const partsOf = (data: FileBytes): readonly Uint8Array[] =>
  data instanceof Uint8Array ? [data] : data;

/** Parts under this size are copied together before a write: a copy costs less than a call. */
const SMALL_PART = 64 * 1024;

/**
 * `data` as parts with runs of small ones joined (an entry's header and a
 * value's framing before the value), so a writer without a vectored write
 * makes one call per large part plus one per run. Large parts are not copied.
 */
export function coalesced(data: FileBytes): readonly Uint8Array[] {
  if (data instanceof Uint8Array) return [data];
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  const flush = () => {
    if (run.length > 0) out.push(joined(run));
    run = [];
  };
  for (const part of data) {
    if (part.byteLength === 0) continue;
    if (part.byteLength < SMALL_PART) run.push(part);
    else {
      flush();
      out.push(part);
    }
  }
  flush();
  return out;
}
