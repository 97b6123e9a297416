// A large Uint8Array value stored without copying it: the built-in binary
// backends encode one as a few bytes of MessagePack framing followed by the
// bytes themselves, so the store writes [header, framing, value] with no
// encoded copy, and reads it back as a view on the buffer the file was read
// into. The framing is byte for byte what msgpackr writes for the value
// (tests/byte_values.test.ts checks it), so files do not depend on the path
// taken.
//
// A backend opts in by registering its own `dump` here; a subclass that
// overrides `dump` has another function there, and so is never bypassed.

/** Values of this many bytes or more take the path without copies (smaller ones are cheap to copy). */
export const BYTE_VALUES_FROM = 256 * 1024;

/** msgpackr writes ext 32 / bin 32 headers with a 32-bit length. */
const MAX_LENGTH = 0xffff_fff0;

/** How one backend frames a large Uint8Array, and recognises the framing. */
interface ByteFraming {
  /** The bytes written before the value. */
  head(length: number): Uint8Array;
  /** The value inside a payload of this framing, as a view; `undefined` for any other payload. */
  view(payload: Uint8Array): Uint8Array | undefined;
}

const framings = new Map<unknown, ByteFraming>();

/** Registers how the backend whose `dump` is `dump` frames a large Uint8Array. */
export function registerByteFraming(dump: unknown, framing: ByteFraming): void {
  framings.set(dump, framing);
}

const isPlainBytes = (value: unknown): value is Uint8Array =>
  value instanceof Uint8Array && value.constructor === Uint8Array &&
  value.byteLength >= BYTE_VALUES_FROM && value.byteLength <= MAX_LENGTH;

/**
 * The payload of `value` as parts (framing, then the value itself, not
 * copied) when `backend` is a built-in binary backend and `value` a large
 * plain Uint8Array; `undefined` otherwise (encode it with `dump`).
 */
export function byteValueParts(
  backend: { dump: unknown },
  value: unknown,
): [Uint8Array, Uint8Array] | undefined {
  if (!isPlainBytes(value)) return undefined;
  const framing = framings.get(backend.dump);
  return framing === undefined ? undefined : [framing.head(value.byteLength), value];
}

/**
 * The value of a payload that holds one large Uint8Array, as a view on
 * `payload` (which the caller owns); `undefined` when the payload is anything
 * else (decode it with `load`).
 */
export function byteValueView(
  backend: { dump: unknown },
  payload: Uint8Array,
): Uint8Array | undefined {
  if (payload.byteLength < BYTE_VALUES_FROM) return undefined;
  return framings.get(backend.dump)?.view(payload);
}

const uint32 = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];

/**
 * Framing `marker ‖ uint32 length ‖ suffix`, where the length counts the
 * value and the last `counted` bytes of the suffix: msgpackr's ext 32 (0xc9)
 * of type 0x74 holding a typed array (code 1, Uint8Array, counted) for the
 * structured-clone backend; standard bin 32 (0xc6) for MessagePack.
 */
export function framing(marker: number, suffix: readonly number[], counted: number): ByteFraming {
  const size = 5 + suffix.length;
  return {
    head(length) {
      const head = new Uint8Array(size);
      head[0] = marker;
      new DataView(head.buffer).setUint32(1, length + counted);
      head.set(suffix, 5);
      return head;
    },
    view(payload) {
      if (payload[0] !== marker) return undefined;
      for (let i = 0; i < suffix.length; i++) if (payload[5 + i] !== suffix[i]) return undefined;
      return uint32(payload, 1) - counted === payload.byteLength - size
        ? payload.subarray(size)
        : undefined;
    },
  };
}
