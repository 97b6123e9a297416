// An in-memory stand-in for a Workers KV namespace binding, with KV's
// limits (512-byte keys, 25 MiB values, 1 KiB metadata, expirations at
// least 60 s ahead, 1000 keys per list page) and its API shape. It lets the
// adapter's logic be tested in every runtime; tests/workers_kv.test.ts runs
// the same suite in the real workerd through miniflare too.

import type { WorkersKVListKey, WorkersKVNamespace } from "../../src/fs/workers_kv.ts";

interface Stored {
  value: Uint8Array;
  metadata: unknown;
  expiration?: number;
}

const encoder = new TextEncoder();

/** A KV namespace in memory. */
export class FakeKVNamespace implements WorkersKVNamespace {
  readonly store: Map<string, Stored> = new Map();
  /** Puts that fail with 429 before they succeed again. */
  rateLimited = 0;
  /** Every put, as `[key, options]`. */
  readonly puts: [string, { expiration?: number; metadata?: unknown } | undefined][] = [];

  #live(key: string): Stored | undefined {
    const stored = this.store.get(key);
    if (stored?.expiration !== undefined && stored.expiration * 1000 <= Date.now()) {
      this.store.delete(key);
      return undefined;
    }
    return stored;
  }

  #stream(value: Uint8Array): ReadableStream<Uint8Array> {
    let at = 0;
    return new ReadableStream({
      pull(controller) {
        if (at >= value.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(value.slice(at, at + 65536));
        at += 65536;
      },
    });
  }

  get(key: string, _options: { type: "stream" }): Promise<ReadableStream<Uint8Array> | null> {
    const stored = this.#live(key);
    return Promise.resolve(stored === undefined ? null : this.#stream(stored.value));
  }

  getWithMetadata(
    key: string,
    _options: { type: "stream" },
  ): Promise<{ value: ReadableStream<Uint8Array> | null; metadata: unknown }> {
    const stored = this.#live(key);
    return Promise.resolve(
      stored === undefined
        ? { value: null, metadata: null }
        : { value: this.#stream(stored.value), metadata: structuredClone(stored.metadata) },
    );
  }

  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: { expiration?: number; metadata?: unknown },
  ): Promise<void> {
    this.puts.push([key, options]);
    if (this.rateLimited > 0) {
      this.rateLimited--;
      return Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
    }
    if (encoder.encode(key).byteLength > 512) {
      return Promise.reject(new Error("KV PUT failed: 414 key too long"));
    }
    const bytes = typeof value === "string"
      ? encoder.encode(value)
      : ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice()
      : new Uint8Array(value).slice();
    if (bytes.byteLength > 25 * 1024 * 1024) {
      return Promise.reject(new Error("KV PUT failed: 413 Value length exceeds limit"));
    }
    const expiration = options?.expiration;
    if (expiration !== undefined && expiration < Math.floor(Date.now() / 1000) + 60) {
      return Promise.reject(
        new Error("KV PUT failed: 400 Expiration times must be at least 60 seconds in the future"),
      );
    }
    if (options?.metadata !== undefined && JSON.stringify(options.metadata).length > 1024) {
      return Promise.reject(new Error("KV PUT failed: 413 Metadata length exceeds limit"));
    }
    this.store.set(key, { value: bytes, metadata: structuredClone(options?.metadata), expiration });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.store.delete(key);
    return Promise.resolve();
  }

  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<{
    keys: WorkersKVListKey[];
    list_complete: boolean;
    cursor?: string;
  }> {
    const limit = options?.limit ?? 1000;
    if (limit > 1000) return Promise.reject(new Error("KV LIST failed: 400 limit over 1000"));
    const prefix = options?.prefix ?? "";
    const names = [...this.store.keys()].filter((k) => k.startsWith(prefix) && this.#live(k))
      .sort();
    const from = options?.cursor === undefined ? 0 : Number(options.cursor);
    const page = names.slice(from, from + limit);
    const complete = from + limit >= names.length;
    return Promise.resolve({
      keys: page.map((name) => {
        const stored = this.store.get(name)!;
        return {
          name,
          ...(stored.expiration === undefined ? {} : { expiration: stored.expiration }),
          ...(stored.metadata === undefined ? {} : { metadata: stored.metadata }),
        };
      }),
      list_complete: complete,
      ...(complete ? {} : { cursor: String(from + limit) }),
    });
  }
}
