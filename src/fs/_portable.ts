// Helpers for the adapters that run where no Node built-in exists (browsers,
// web workers, Cloudflare Workers, Deno Deploy): "/"-separated paths, the
// library's temporary names and byte comparison, with no `node:` import.
//
// The temporary name form is the one of `_temp.ts` (`.<name>.<16 hex>.tmp`),
// so whoever prunes orphans recognises the temporary files of these adapters
// too; tests/opfs.test.ts checks that the two agree.

/** `.<target>.<16 hex>.tmp`; the target is one name (no `/`). */
const TEMP_PATTERN = /^\.([^/]+)\.[0-9a-f]{16}\.tmp$/;

/** 16 random lowercase hex digits (64 bits), from Web Crypto. */
export function randomHex16(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return random[0].toString(16).padStart(8, "0") + random[1].toString(16).padStart(8, "0");
}

/** A fresh temporary name for a file called `name`: `.<name>.<16 hex>.tmp`. */
export function temporaryNameFor(name: string): string {
  return `.${name}.${randomHex16()}.tmp`;
}

/**
 * Whether a file name, or the last part of a `/`-joined relative path, is one
 * of the library's temporary names.
 */
export function isTemporaryName(name: string): boolean {
  return TEMP_PATTERN.test(name.slice(name.lastIndexOf("/") + 1));
}

/**
 * The parts of an absolute `/`-separated path: `"/cache/ab/x"` gives
 * `["cache", "ab", "x"]`, `"/"` gives `[]`. Empty parts (`//`, a trailing
 * `/`) are dropped; `.` and `..` are refused, since these stores have no
 * such entries and a bucket never makes such paths.
 *
 * @param path an absolute path
 * @param adapter the adapter's class name, for the error
 * @throws {TypeError} for a relative path or one with `.` or `..` parts
 */
export function pathParts(path: string, adapter: string): string[] {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `${adapter} paths must be absolute, starting with "/" (such as "/cache"), got ${
        JSON.stringify(path)
      }`,
    );
  }
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.some((part) => part === "." || part === "..")) {
    throw new TypeError(
      `${adapter} paths must not contain "." or ".." parts, got ${JSON.stringify(path)}`,
    );
  }
  return parts;
}

/** Whether a file of `size` bytes can hold what was seen. */
export function sizeFits(size: number, seenLength: number, prefixOnly: boolean): boolean {
  return prefixOnly ? size >= seenLength : size === seenLength;
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether `content` is what `removeIfUnchanged` was told was seen: exactly
 * `seen`, or with `prefixOnly` starting with it.
 */
export function matchesSeen(content: Uint8Array, seen: Uint8Array, prefixOnly: boolean): boolean {
  return sizeFits(content.byteLength, seen.byteLength, prefixOnly) &&
    sameBytes(content.subarray(0, seen.byteLength), seen);
}

/** A plain `Uint8Array` over an `ArrayBuffer` (a copy only when `data` is not one). */
export function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array && data.constructor === Uint8Array
    ? data
    : ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** Builds an error with a Node-style `code`, as the disk adapters report them. */
export function codedError(code: string, message: string, path: string, cause?: unknown): Error {
  const error = new Error(
    `${code}: ${message}, '${path}'`,
    cause === undefined ? undefined : { cause },
  ) as Error & { code: string; path: string };
  error.code = code;
  error.path = path;
  return error;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `task` after every earlier task for the same key has settled, within
 * this JavaScript realm: a per-key queue, for the adapters whose store has no
 * compare-and-delete and that make one realm's writes and conditional removes
 * of a key take turns.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` once the tasks queued before it for `key` are done. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
