// Where recent calls of a memoised function live, by their arguments, when
// every argument is a small primitive: a trie of Maps from argument to
// argument, ending in the call's located key. A warm call then skips key
// encoding and builds no new memory-key string (whose hash V8 caches), which
// is most of the cost of a memory hit.
//
// Map keys compare by SameValueZero, which is the key encoding's equality
// for these values except for -0 (equal to 0 in a Map, a different key when
// encoded): calls with -0 take the ordinary path.

import type { Located } from "./located.ts";

/** Calls remembered per function before the trie starts over. */
export const RECENT_CALLS_MAX = 10_000;
/** Longer strings take the ordinary path (the trie holds its keys). */
const MAX_STRING = 256;
const END = Symbol("located");

type Node = Map<unknown, unknown>;

/** Numbers other than -0, strings up to 256 characters, booleans, bigints, null, undefined. */
export function isSmallPrimitive(value: unknown): boolean {
  switch (typeof value) {
    case "number":
      return !Object.is(value, -0);
    case "string":
      return value.length <= MAX_STRING;
    case "boolean":
    case "undefined":
    case "bigint":
      return true;
    default:
      return value === null;
  }
}

/** The located keys of recent calls with small primitive arguments. */
export class RecentCalls {
  #root: Node = new Map();
  #size = 0;

  /** The located key of a call with these arguments, if remembered. */
  get(args: readonly unknown[]): Located | undefined {
    let node: Node | undefined = this.#root;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (!isSmallPrimitive(arg)) return undefined;
      node = node.get(arg) as Node | undefined;
      if (node === undefined) return undefined;
    }
    return node.get(END) as Located | undefined;
  }

  /** Remembers a call's located key (if its arguments qualify). */
  set(args: readonly unknown[], located: Located): void {
    for (let i = 0; i < args.length; i++) if (!isSmallPrimitive(args[i])) return;
    if (this.#size >= RECENT_CALLS_MAX) {
      this.#root = new Map();
      this.#size = 0;
    }
    let node = this.#root;
    for (let i = 0; i < args.length; i++) {
      let next = node.get(args[i]) as Node | undefined;
      if (next === undefined) node.set(args[i], next = new Map());
      node = next;
    }
    if (!node.has(END)) this.#size++;
    node.set(END, located);
  }
}
