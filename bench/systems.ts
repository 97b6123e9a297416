// The systems the benchmark compares, each behind one small interface: this
// library (each backend), the raw-filesystem floors, and the peers users would
// pick instead. Each store is opened on an empty or prepared directory.

import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bucket, JSONBackend, MessagePackBackend, StructuredCloneBackend } from "../mod.ts";

/** A key-value store under test. */
export interface Store {
  set(key: string, value: unknown): Promise<void>;
  get(key: string): Promise<unknown>;
  /** Makes everything durable (for stores that write lazily). */
  flush?(): Promise<void>;
}

/** How a system stores data: for the table's "guarantee" column. */
export interface System {
  name: string;
  /** Atomic writes and integrity checks, as this library: comparable guarantees. */
  guarantee: string;
  open(dir: string): Promise<Store>;
}

const sha = (key: string) => createHash("sha256").update(key).digest("hex");
const deno = "Bun" in globalThis
  ? undefined
  : (globalThis as { Deno?: { writeFile(path: string, data: Uint8Array): Promise<void> } }).Deno;
/**
 * The binary floor's write: the runtime's own whole-file write, never a
 * vectored write (Deno's `FileHandle.writev` takes 9-28 ms for 8 MiB against
 * 2.5 ms for `writeFile`). On Deno that is `Deno.writeFile`, one write call;
 * its `node:fs/promises` `writeFile` writes in 512 KiB pieces, each its own
 * asynchronous call (strace).
 */
const writeWhole = (path: string, data: Uint8Array): Promise<void> =>
  deno ? deno.writeFile(path, data) : writeFile(path, data);
let tmpCounter = 0;

const bucket = (
  name: string,
  backend: typeof StructuredCloneBackend | typeof JSONBackend | typeof MessagePackBackend,
): System => ({
  name,
  guarantee: "atomic + checksum",
  open: (dir) => {
    const b = new Bucket(dir, { backend });
    return Promise.resolve({ set: (k, v) => b.set(k, v), get: (k) => b.get(k) });
  },
});

export const kvSystems: System[] = [
  bucket("bucketcache (structured)", StructuredCloneBackend),
  bucket("bucketcache (json)", JSONBackend),
  bucket("bucketcache (msgpack)", MessagePackBackend),
  {
    name: "floor: async fs",
    guarantee: "atomic",
    open: (dir) =>
      Promise.resolve({
        async set(key, value) {
          const path = join(dir, `${sha(key)}.json`);
          const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
          await writeFile(tmp, JSON.stringify(value));
          await rename(tmp, path);
        },
        async get(key) {
          try {
            return JSON.parse(await readFile(join(dir, `${sha(key)}.json`), "utf8"));
          } catch {
            return undefined;
          }
        },
      }),
  },
  {
    name: "floor: sync fs",
    guarantee: "atomic",
    open: (dir) =>
      Promise.resolve({
        set(key, value) {
          const path = join(dir, `${sha(key)}.json`);
          const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
          writeFileSync(tmp, JSON.stringify(value));
          renameSync(tmp, path);
          return Promise.resolve();
        },
        get(key) {
          try {
            return Promise.resolve(JSON.parse(readFileSync(join(dir, `${sha(key)}.json`), "utf8")));
          } catch {
            return Promise.resolve(undefined);
          }
        },
      }),
  },
  {
    name: "cacache",
    guarantee: "atomic + checksum",
    async open(dir) {
      const cacache = (await import("cacache")).default;
      return {
        async set(key, value) {
          await cacache.put(dir, key, JSON.stringify(value));
        },
        async get(key) {
          try {
            return JSON.parse((await cacache.get(dir, key)).data.toString());
          } catch {
            return undefined;
          }
        },
      };
    },
  },
  ...[false, true].map((separatedFile): System => ({
    name: separatedFile ? "keyv-file (separatedFile)" : "keyv-file (single file)",
    guarantee: "none",
    async open(dir) {
      const { default: Keyv } = await import("keyv");
      const { KeyvFile } = await import("keyv-file");
      const keyv = new Keyv({
        store: new KeyvFile({ filename: join(dir, "keyv.json"), writeDelay: 0, separatedFile }),
      });
      return { set: async (k, v) => void (await keyv.set(k, v)), get: (k) => keyv.get(k) };
    },
  })),
  {
    name: "flat-cache",
    guarantee: "none (one file, saved at the end)",
    async open(dir) {
      const { FlatCache } = await import("flat-cache");
      const cache = new FlatCache({ cacheDir: dir, cacheId: "bench" });
      cache.load();
      return {
        set: (k, v) => Promise.resolve(cache.setKey(k, v)),
        get: (k) => Promise.resolve(cache.getKey(k)),
        flush: () => Promise.resolve(cache.save(true)),
      };
    },
  },
  {
    name: "file-system-cache",
    guarantee: "none",
    async open(dir) {
      const { FileSystemCache } = await import("file-system-cache");
      const cache = new FileSystemCache({ basePath: dir });
      return { set: async (k, v) => void (await cache.set(k, v)), get: (k) => cache.get(k) };
    },
  },
  {
    name: "node-persist",
    guarantee: "none",
    async open(dir) {
      const persist = (await import("node-persist")).default;
      const storage = persist.create({ dir });
      await storage.init();
      return {
        set: async (k, v) => void (await storage.setItem(k, v)),
        get: (k) => storage.getItem(k),
      };
    },
  },
];

/** Systems that memoise `f(a, b, c)`. */
export interface MemoSystem {
  name: string;
  persistent: boolean;
  wrap(
    dir: string,
    f: (a: number, b: string, c: boolean) => string,
  ): Promise<(a: number, b: string, c: boolean) => Promise<string>>;
}

export const memoSystems: MemoSystem[] = [
  {
    name: "bucketcache memoize",
    persistent: true,
    wrap: (dir, f) => Promise.resolve(new Bucket(dir).memoize(f, { name: "f" })),
  },
  {
    name: "floor: Map memo",
    persistent: false,
    wrap: (_dir, f) => {
      const map = new Map<string, string>();
      return Promise.resolve((a, b, c) => {
        const key = JSON.stringify([a, b, c]);
        let value = map.get(key);
        if (value === undefined) map.set(key, value = f(a, b, c));
        return Promise.resolve(value);
      });
    },
  },
  {
    name: "p-memoize",
    persistent: false,
    async wrap(_dir, f) {
      const pMemoize = (await import("p-memoize")).default;
      return pMemoize((a: number, b: string, c: boolean) => Promise.resolve(f(a, b, c)), {
        cacheKey: (args: unknown[]) => JSON.stringify(args),
      });
    },
  },
  {
    name: "memoize-fs",
    persistent: true,
    async wrap(dir, f) {
      const memoizeFs = (await import("memoize-fs")).default;
      const memoizer = memoizeFs({ cachePath: dir });
      return (await memoizer.fn((a: number, b: string, c: boolean) => f(a, b, c), {
        cacheId: "f",
      })) as (
        a: number,
        b: string,
        c: boolean,
      ) => Promise<string>;
    },
  },
];

/** A store of binary values, for the 8 MiB workload (4) and the many-entries workload (5). */
export interface BinarySystem {
  name: string;
  guarantee: string;
  open(dir: string): Promise<{
    set(key: string, value: Uint8Array): Promise<void>;
    get(key: string): Promise<Uint8Array | undefined>;
  }>;
}

/** This library with a backend that stores a Uint8Array as it is. */
const binaryBucket = (
  name: string,
  backend: typeof StructuredCloneBackend | typeof MessagePackBackend,
): BinarySystem => ({
  name,
  guarantee: "atomic + checksum",
  open: (dir) => {
    const b = new Bucket(dir, { backend });
    return Promise.resolve({
      set: (k, v) => b.set(k, v),
      get: (k) => b.get(k) as Promise<Uint8Array | undefined>,
    });
  },
});

/** The systems that store a Uint8Array as it is (JSON-only peers cannot). */
export const binarySystems: BinarySystem[] = [
  binaryBucket("bucketcache (structured)", StructuredCloneBackend),
  binaryBucket("bucketcache (msgpack)", MessagePackBackend),
  {
    name: "floor: async fs",
    guarantee: "atomic",
    open: (dir) =>
      Promise.resolve({
        async set(key, value) {
          const path = join(dir, sha(key));
          const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
          await writeWhole(tmp, value);
          await rename(tmp, path);
        },
        async get(key) {
          try {
            return await readFile(join(dir, sha(key)));
          } catch {
            return undefined;
          }
        },
      }),
  },
  {
    name: "cacache",
    guarantee: "atomic + checksum",
    async open(dir) {
      const cacache = (await import("cacache")).default;
      return {
        async set(key, value) {
          await cacache.put(dir, key, value);
        },
        async get(key) {
          try {
            return (await cacache.get(dir, key)).data;
          } catch {
            return undefined;
          }
        },
      };
    },
  },
];
