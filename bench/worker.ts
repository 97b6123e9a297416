// Runs one workload of one system in this (fresh) process and prints a JSON
// line of results. Started by bench/run.ts:
//   worker.ts KIND SYSTEM DIR COUNT
// KIND: set | get (cold pass, then a warm pass) | memo (miss, warm hit) | memo-cold
//   | big-set | big-get (one COUNT MiB Uint8Array, 8 or 64, with peak memory above the value)
//   | many-set (COUNT small entries) | many-open (a new process opens and reads one)

import { readFileSync, writeFileSync } from "node:fs";
import { binarySystems, kvSystems, memoSystems } from "./systems.ts";

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
/** Peak resident memory since the last reset, in bytes (Linux: VmHWM, reset via clear_refs). */
function peakRss(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) * 1024;
}
function resetPeakRss(): void {
  writeFileSync("/proc/self/clear_refs", "5");
}
/** The big-* workloads' value: COUNT MiB (8 or 64). */
const BIG = (count > 1 ? count : 8) * 1024 * 1024;
/** Metric names: bigSet, bigGet… for 8 MiB; big64Set, big64Get… for 64 MiB. */
const big = (metric: "Set" | "Get" | "SetPeak" | "GetPeak") =>
  BIG === 8 * 1024 * 1024 ? `big${metric}` : `big${BIG / 1024 / 1024}${metric}`;
/** The small value of entry i of the many-entries workload. */
const smallValue = (i: number) => new TextEncoder().encode(`value ${i}`);

let out: Record<string, number>;
if (kind.startsWith("big-") || kind.startsWith("many-")) {
  const system = binarySystems.find((s) => s.name === systemName)!;
  if (kind === "many-open") {
    const key = Math.floor(count / 2);
    const start = performance.now();
    const store = await system.open(dir);
    const value = await store.get(`key-${key}`);
    const elapsed = (performance.now() - start) * 1000;
    if (new TextDecoder().decode(value) !== `value ${key}`) {
      throw new Error(`${systemName} returned a wrong value for key-${key}`);
    }
    out = { manyOpenGet: elapsed };
  } else {
    const store = await system.open(dir);
    if (kind === "many-set") {
      const start = performance.now();
      for (let i = 0; i < count; i++) await store.set(`key-${i}`, smallValue(i));
      out = { manySet: (performance.now() - start) * 1000 / count };
    } else if (kind === "big-set") {
      const value = new Uint8Array(BIG);
      for (let i = 0; i < BIG; i += 4096) value[i] = i % 251;
      await store.set("warm-up", value.subarray(0, 1024));
      resetPeakRss();
      const base =
        Number(readFileSync("/proc/self/status", "utf8").match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
      const start = performance.now();
      await store.set("big", value);
      out = {
        [big("Set")]: (performance.now() - start) * 1000,
        [big("SetPeak")]: (peakRss() - base) / BIG,
      };
    } else {
      await store.get("warm-up");
      resetPeakRss();
      const base =
        Number(readFileSync("/proc/self/status", "utf8").match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
      const start = performance.now();
      const value = await store.get("big");
      const elapsed = (performance.now() - start) * 1000;
      if (value?.length !== BIG || value[4096] !== 4096 % 251) {
        throw new Error(`${systemName} returned a wrong ${BIG / 1024 / 1024} MiB value`);
      }
      // The value itself must be held: count only what is above it.
      out = { [big("Get")]: elapsed, [big("GetPeak")]: (peakRss() - base - BIG) / BIG };
    }
  }
} else if (kind === "set" || kind === "get") {
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
    // Steady state: untimed passes first (Bun's JIT needs about 20,000 calls
    // to settle; 5,000 left its warm get at 2-6 us instead of ~1 us).
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < count; i++) await store.get(`key-${i}`);
    }
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
    // Steady state: the same number of calls untimed first, so each system's
    // code is compiled and optimised before it is measured.
    for (let i = 0; i < count * 10; i++) await memo(i % distinct, "x", true);
    start = performance.now();
    for (let i = 0; i < count * 10; i++) await memo(i % distinct, "x", true);
    out = { memoMiss: miss, memoWarmHit: perOp(start, count * 10) };
  }
}
console.log(JSON.stringify(out));
