// µs per memoised call that hits the memory layer, 3 small arguments, next to
// a plain Map-based memo in the same run (issue 5). Run in each runtime:
//   deno run -A bench/memoize_hit.ts | bun bench/memoize_hit.ts | node --import tsx bench/memoize_hit.ts

import { Bucket, MemoryFileSystem } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const N = 200_000;
const f = (a: number, b: string, c: boolean) => `${a}${b}${c}`;

const bucket = new Bucket("/bench", { fs: new MemoryFileSystem() });
const memoized = bucket.memoize(f, { name: "f" });

const map = new Map<string, string>();
const mapMemo = (a: number, b: string, c: boolean): Promise<string> => {
  const key = JSON.stringify([a, b, c]);
  let value = map.get(key);
  if (value === undefined) map.set(key, value = f(a, b, c));
  return Promise.resolve(value);
};

async function measure(
  call: (a: number, b: string, c: boolean) => Promise<string>,
): Promise<number> {
  for (let i = 0; i < 10; i++) await call(i, "x", true); // fill
  for (let i = 0; i < N / 10; i++) await call(i % 10, "x", true); // warm up
  const start = performance.now();
  for (let i = 0; i < N; i++) await call(i % 10, "x", true);
  return ((performance.now() - start) * 1000) / N;
}

const memo = await measure(memoized);
const plain = await measure(mapMemo);
console.log(`| ${runtime} | ${memo.toFixed(2)} | ${plain.toFixed(2)} |`);
