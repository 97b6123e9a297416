// Tracing: the library's node:diagnostics_channel tracing channels.
//
//   bucketcache:get      Bucket.get / getitem / has
//   bucketcache:set      Bucket.set / setitem
//   bucketcache:memoize  every call of a memoised function
//
// Each traced call publishes start, then asyncEnd (or error) with one
// context object: { bucket, keyHash, status, bytes, fn }. Nothing is built
// when nobody subscribes: a traced call costs one flag check then.

import { hasSubscribers, type TracingChannel, tracingChannel } from "./fs/diagnostics_channel.ts";

/** What a traced operation publishes (the context object of its tracing channel). */
export interface TraceContext {
  /** The bucket's directory. */
  bucket: string;
  /** The key's hash (its entry file name without the extension). */
  keyHash: string;
  /** `"hit"`, `"miss"` or `"stale"` for reads and calls; `"written"` for sets. */
  status?: "hit" | "miss" | "stale" | "written";
  /** Bytes of the entry file read or written, where known. */
  bytes?: number;
  /** The memoised function's name (bucketcache:memoize). */
  fn?: string;
  /** The error, on the error channel. */
  error?: unknown;
}

/** The channels, by operation; undefined where the runtime has none. */
export const channels: {
  get: TracingChannel<TraceContext> | undefined;
  set: TracingChannel<TraceContext> | undefined;
  memoize: TracingChannel<TraceContext> | undefined;
} = {
  get: tracingChannel<TraceContext>("bucketcache:get"),
  set: tracingChannel<TraceContext>("bucketcache:set"),
  memoize: tracingChannel<TraceContext>("bucketcache:memoize"),
};

/** Whether an operation's channel has subscribers (check before building a context). */
export function tracing(channel: TracingChannel<TraceContext> | undefined): boolean {
  return hasSubscribers(channel as TracingChannel<object> | undefined);
}
