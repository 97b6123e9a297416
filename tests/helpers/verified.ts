// Values that verify themselves: each carries its key, writer, sequence number
// and a SHA-256 over all of it, so a torn, mixed-up or foreign read is caught.

import { createHash } from "node:crypto";

export interface VerifiedValue {
  key: string;
  writer: string;
  seq: number;
  payload: string;
  sum: string;
}

function sum(key: string, writer: string, seq: number, payload: string): string {
  return createHash("sha256").update(`${key}\0${writer}\0${seq}\0${payload}`).digest("hex");
}

/** A value for `key` of about `size` characters. */
export function verifiedValue(
  key: string,
  writer: string,
  seq: number,
  size: number,
): VerifiedValue {
  const unit = `${writer}:${seq}:`;
  const payload = unit.repeat(Math.max(1, Math.ceil(size / unit.length))).slice(0, size);
  return { key, writer, seq, payload, sum: sum(key, writer, seq, payload) };
}

/** Why `value`, read for `key`, is not a complete value written for that key; undefined if it is. */
export function verifyValue(key: string, value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return `not an object: ${typeof value}`;
  const v = value as VerifiedValue;
  if (v.key !== key) return `value of key ${String(v.key)} read for key ${key}`;
  if (typeof v.payload !== "string" || typeof v.seq !== "number") return "fields missing";
  if (sum(v.key, v.writer, v.seq, v.payload) !== v.sum) {
    return "checksum mismatch: a torn or altered value";
  }
  return undefined;
}
