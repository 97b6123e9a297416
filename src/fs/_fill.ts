// Reading the first bytes of a file: keep reading until the buffer is full or
// the file ends. `read(into, offset)` reads into `into` from file offset
// `offset` and returns how many bytes it read (0 or null at the end).

/** Reads up to `length` bytes with a synchronous `read`. */
export function fillSync(
  length: number,
  read: (into: Uint8Array, offset: number) => number | null,
): Uint8Array {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const count = read(bytes.subarray(filled), filled);
    if (!count) break;
    filled += count;
  }
  return bytes.subarray(0, filled);
}

/** Reads up to `length` bytes with an asynchronous `read`. */
export async function fill(
  length: number,
  read: (into: Uint8Array, offset: number) => Promise<number | null>,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const count = await read(bytes.subarray(filled), filled);
    if (!count) break;
    filled += count;
  }
  return bytes.subarray(0, filled);
}
