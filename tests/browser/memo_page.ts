// A page (or web worker) that memoises a function with a Bucket on OPFS.
// Loaded, reloaded, and loaded in a worker by tests/opfs.test.ts: the first
// load computes and stores; every later one must get a hit from OPFS (a new
// page has an empty memory layer). `?budget` runs a size budget instead.

import { Bucket } from "../../mod.ts";
import { OpfsFileSystem } from "../../opfs.ts";

/** Collects an async iterable (no test helper: this page bundles with the library alone). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const inWorker = typeof document === "undefined";
const params = new URLSearchParams(inWorker ? "" : location.search);

async function memoise(): Promise<unknown> {
  const fs = new OpfsFileSystem();
  const bucket = new Bucket("/memo-page", { fs, hours: 1 });
  let calls = 0;
  const describeWord = bucket.memoize(async (word: string) => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { word, length: word.length, computedAt: Date.now(), tags: new Set(["a", "b"]) };
  }, { name: "describeWord" });
  const value = await describeWord("bucketcache");
  const again = await describeWord("bucketcache");
  return {
    calls,
    value: { ...value, tags: [...value.tags] },
    sameTwice: again === value || again.computedAt === value.computedAt,
    files: (await collect(fs.list("/memo-page", { recursive: true }))).sort(),
    stats: bucket.stats(),
  };
}

async function budget(): Promise<unknown> {
  const fs = new OpfsFileSystem();
  const path = `/budget-${Date.now().toString(36)}`;
  const bucket = new Bucket<number>(path, { fs });
  for (let i = 0; i < 12; i++) {
    await bucket.set(i, i);
    await new Promise((resolve) => setTimeout(resolve, 3)); // distinct modification times
  }
  // Reading entry 3 marks it used (touch: the adapter's sidecar), so it outlives newer ones.
  const reader = new Bucket<number>(path, { fs, memory: false, maxEntries: 100 });
  const three = await reader.get(3);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const evicted = await bucket.evict({ maxEntries: 5 });
  const fresh = new Bucket<number>(path, { fs, memory: false });
  return {
    three,
    threeKept: await fresh.get(3),
    entries: (await bucket.usage()).entries,
    evictedUsage: evicted.usage.entries,
    newest: await fresh.get(11),
    oldest: await fresh.get(0),
  };
}

let results: unknown;
try {
  results = params.has("budget") ? await budget() : await memoise();
} catch (error) {
  results = {
    error: error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack}`
      : String(error),
  };
}
if (inWorker) (globalThis as unknown as { postMessage(value: unknown): void }).postMessage(results);
else (globalThis as { __results?: unknown }).__results = results;
