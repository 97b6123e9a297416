// Runs one workload of one system in this (fresh) process and prints a JSON
// line of results. Started by bench/run.ts:
//   worker.ts KIND SYSTEM DIR COUNT
// KIND: set | get (cold pass, then a warm pass) | memo (miss, warm hit) | memo-cold

import { kvSystems, memoSystems } from "./systems.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const [kind, systemName, dir, countText] = args;
const count = Number(countText);
const perOp = (start: number, n: number) => ((performance.now() - start) * 1000) / n;

/** A ~1 KB JSON-able value, different for each i. */
export function valueFor(i: number) {
  return {
    id: i,
    name: `entry number ${i}`,
    tags: ["alpha", "beta", "gamma", "delta"],
    rows: Array.from(
      { length: 18 },
      (_, r) => ({ r, label: `row ${r} of ${i}`, score: r * 1.5 + i }),
    ),
  };
}

const f = (a: number, b: string, c: boolean) => `${a}:${b}:${c}`;
let out: Record<string, number>;
if (kind === "set" || kind === "get") {
  const system = kvSystems.find((s) => s.name === systemName)!;
  const store = await system.open(dir);
  if (kind === "set") {
    const values = Array.from({ length: count }, (_, i) => valueFor(i));
    const start = performance.now();
    for (let i = 0; i < count; i++) await store.set(`key-${i}`, values[i]);
    await store.flush?.();
    out = { set: perOp(start, count) };
  } else {
    let start = performance.now();
    for (let i = 0; i < count; i++) {
      const value = await store.get(`key-${i}`) as { id?: number } | undefined;
      if (value?.id !== i) throw new Error(`${systemName} returned a wrong value for key-${i}`);
    }
    const cold = perOp(start, count);
    start = performance.now();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < count; i++) await store.get(`key-${i}`);
    }
    out = { coldGet: cold, warmGet: perOp(start, count * 5) };
  }
} else {
  const system = memoSystems.find((s) => s.name === systemName)!;
  const memo = await system.wrap(dir, f);
  const distinct = Math.min(count, 200);
  let start = performance.now();
  for (let i = 0; i < distinct; i++) await memo(i, "x", true);
  if (kind === "memo-cold") {
    out = { memoColdHit: perOp(start, distinct) };
  } else {
    const miss = perOp(start, distinct);
    start = performance.now();
    for (let i = 0; i < count * 10; i++) await memo(i % distinct, "x", true);
    out = { memoMiss: miss, memoWarmHit: perOp(start, count * 10) };
  }
}
console.log(JSON.stringify(out));
