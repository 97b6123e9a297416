// Key benchmark (issue 3): per runtime,
//   - µs to encode a small 3-argument key, and to hash it (node:crypto vs Web Crypto);
//   - MB/s of DefaultKeyMaker and StreamingDefaultKeyMaker (+ SHA-256) on a 256 MiB key;
//   - peak memory above baseline of each on that key (VmHWM, Linux), each in a fresh process.
//
//   deno run -A bench/keys.ts | bun bench/keys.ts | node --import tsx bench/keys.ts
// Prints a markdown table row set; `MODE=default|streaming` runs one big-key measurement.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DefaultKeyMaker, StreamingDefaultKeyMaker } from "../mod.ts";
import { hashKeyBytes, hashKeyChunks, hashPrefix } from "../src/keys/hash.ts";

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const label = runtime === "node" ? `node ${process.version}` : runtime;
const BIG = Number(env.BIG_MIB ?? 256) * 1024 * 1024;
const prefix = hashPrefix("StructuredCloneBackend");

function peakRssMiB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;
}

async function bigKey(mode: string): Promise<void> {
  const value = new Uint8Array(BIG).fill(7);
  const baseline = peakRssMiB();
  const start = performance.now();
  let digest: string;
  if (mode === "default") {
    digest = hashKeyBytes(prefix, new DefaultKeyMaker().makeKey(value));
  } else {
    digest = await hashKeyChunks(prefix, new StreamingDefaultKeyMaker().makeKey(value));
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({ mode, mbps: BIG / 1e6 / seconds, extraMiB: peakRssMiB() - baseline, digest }),
  );
}

function perCall(fn: () => unknown, n = 200_000): number {
  for (let i = 0; i < n / 10; i++) fn();
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - start) * 1000) / n;
}

async function main(): Promise<void> {
  const keys = new DefaultKeyMaker();
  const args = ["add", { version: 1 }, [1, "two", 3]];
  const bytes = keys.makeKey(args);
  const encode = perCall(() => keys.makeKey(args));
  const nodeHash = perCall(() => hashKeyBytes(prefix, bytes));
  const joined = new Uint8Array(prefix.length + 1 + bytes.length);
  joined.set(prefix);
  joined.set(bytes, prefix.length + 1);
  const n = 20_000;
  let start = performance.now();
  for (let i = 0; i < n; i++) await crypto.subtle.digest("SHA-256", joined);
  const webHash = ((performance.now() - start) * 1000) / n;
  start = performance.now();
  for (let i = 0; i < n; i++) createHash("sha256").update(joined).digest("hex");
  const results: Record<string, unknown>[] = [];
  const self = fileURLToPath(import.meta.url);
  const [command, ...lead] = runtime === "deno"
    ? [(globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath(), "run", "-A"]
    : runtime === "bun"
    ? [process.execPath]
    : [process.execPath, ...process.execArgv];
  for (const mode of ["default", "streaming"]) {
    const child = spawnSync(command, [...lead, self], {
      env: { ...process.env, MODE: mode },
      encoding: "utf8",
    });
    results.push(JSON.parse(child.stdout.trim().split("\n").pop()!));
  }
  const [d, s] = results as { mbps: number; extraMiB: number }[];
  console.log(
    `| ${label} | ${bytes.length} B key: ${encode.toFixed(2)} µs | sha256 node:crypto ${
      nodeHash.toFixed(2)
    } µs, Web Crypto ${webHash.toFixed(2)} µs | ${d.mbps.toFixed(0)} MB/s, +${
      d.extraMiB.toFixed(0)
    } MiB | ${s.mbps.toFixed(0)} MB/s, +${s.extraMiB.toFixed(0)} MiB |`,
  );
}

if (env.MODE) await bigKey(env.MODE);
else {
  console.log(
    `| runtime | encode small 3-arg key | hash it | Default on ${
      BIG / 1048576
    } MiB (speed, peak extra) | Streaming on ${BIG / 1048576} MiB |\n|---|---|---|---|---|`,
  );
  await main();
}
