// node:diagnostics_channel's tracing channels, where the runtime has them
// (Node, Bun, Deno; reached through process.getBuiltinModule so that
// browsers and Workers load this file too, and get none).

/** One of node:diagnostics_channel's channels, as far as tracing needs it. */
export interface Channel {
  readonly hasSubscribers: boolean;
}

/** A tracing channel: start, end, asyncStart, asyncEnd and error channels. */
export interface TracingChannel<C extends object> {
  readonly start: Channel;
  readonly end: Channel;
  readonly asyncStart: Channel;
  readonly asyncEnd: Channel;
  readonly error: Channel;
  /** Node ≥ 22 and Deno have it; Bun has not (each channel's own flag is used then). */
  readonly hasSubscribers?: boolean;
  tracePromise<T>(fn: () => Promise<T>, context: C): Promise<T>;
}

type TracingChannelFactory = <C extends object>(name: string) => TracingChannel<C>;

const dc = (globalThis as {
  process?: { getBuiltinModule?: (id: string) => unknown };
}).process?.getBuiltinModule?.("node:diagnostics_channel") as
  | { tracingChannel?: TracingChannelFactory }
  | undefined;

/** The tracing channel `name`, or undefined where the runtime has none. */
export function tracingChannel<C extends object>(name: string): TracingChannel<C> | undefined {
  return typeof dc?.tracingChannel === "function" ? dc.tracingChannel<C>(name) : undefined;
}

/** Whether anyone listens on a tracing channel (without the aggregate flag Bun lacks). */
export function hasSubscribers(channel: TracingChannel<object> | undefined): boolean {
  if (channel === undefined) return false;
  const all = channel.hasSubscribers;
  if (typeof all === "boolean") return all;
  return channel.start.hasSubscribers || channel.end.hasSubscribers ||
    channel.asyncStart.hasSubscribers || channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers;
}
