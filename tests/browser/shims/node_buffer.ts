// A small stand-in for node:buffer where there is none: `Buffer.from` over
// bytes, text or hex, and `equals`/`toString`, which the contract suite and
// the core's byte comparisons use. Also installed as globalThis.Buffer.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes with the few Buffer methods the tests use. */
export class BufferBytes extends Uint8Array {
  /** Whether `other` holds the same bytes. */
  equals(other: Uint8Array): boolean {
    if (other.byteLength !== this.byteLength) return false;
    for (let i = 0; i < this.byteLength; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  /** The bytes as UTF-8 text or hex. */
  override toString(encoding?: string): string {
    if (encoding === "hex") {
      let hex = "";
      for (const byte of this) hex += byte.toString(16).padStart(2, "0");
      return hex;
    }
    return decoder.decode(this);
  }
}

/** What `Buffer.from` and friends return. */
export type Buffer = BufferBytes;

/** Node's Buffer functions that the tests and the core use. */
export const Buffer = {
  /** Bytes from an array, an ArrayBuffer (with offset and length), text or hex. */
  from(
    value: ArrayLike<number> | ArrayBufferLike | string | Iterable<number>,
    offsetOrEncoding?: number | string,
    length?: number,
  ): BufferBytes {
    if (typeof value === "string") {
      if (offsetOrEncoding === "hex") {
        const out = new BufferBytes(value.length >> 1);
        for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
        return out;
      }
      const bytes = encoder.encode(value);
      return new BufferBytes(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (
      value instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)
    ) {
      const offset = typeof offsetOrEncoding === "number" ? offsetOrEncoding : 0;
      return new BufferBytes(value as ArrayBuffer, offset, length ?? value.byteLength - offset);
    }
    const out = new BufferBytes(
      (value as ArrayLike<number>).length ?? [...(value as Iterable<number>)].length,
    );
    out.set(
      ArrayBuffer.isView(value)
        ? value as unknown as ArrayLike<number>
        : [...(value as Iterable<number>)],
    );
    return out;
  },

  /** A zero-filled buffer. */
  alloc(size: number): BufferBytes {
    return new BufferBytes(size);
  },

  /** Whether `value` is a Buffer. */
  isBuffer(value: unknown): boolean {
    return value instanceof BufferBytes;
  },

  /** The bytes of several arrays, one after the other. */
  concat(parts: Uint8Array[]): BufferBytes {
    const out = new BufferBytes(parts.reduce((sum, part) => sum + part.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  },
};

/** Limits, as node:buffer reports them. */
export const constants = { MAX_LENGTH: 2 ** 32, MAX_STRING_LENGTH: 2 ** 29 - 24 };

export default { Buffer, constants };
