// µs per Bucket operation on a ~1 KB value, for each backend, in the running runtime:
// set (atomic write), get from memory, get cold (a new bucket reading the file).
//
//   deno run -A bench/bucket_ops.ts | bun bench/bucket_ops.ts | node --import tsx bench/bucket_ops.ts

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket, JSONBackend, MessagePackBackend, StructuredCloneBackend } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const N = Number(process.env.N ?? 1000);
const value = {
  id: 12345,
  name: "a value of about one kilobyte",
  tags: ["alpha", "beta", "gamma", "delta"],
  rows: Array.from({ length: 20 }, (_, i) => ({ i, label: `row ${i}`, score: i * 1.5 })),
};

const rows: string[] = [];
for (const backend of [StructuredCloneBackend, JSONBackend, MessagePackBackend]) {
  const dir = await mkdtemp(join(tmpdir(), "bc-ops-"));
  const bucket = new Bucket(dir, { backend });
  await bucket.set("warm-up", value);
  let start = performance.now();
  for (let i = 0; i < N; i++) await bucket.set(i, value);
  const set = ((performance.now() - start) * 1000) / N;
  start = performance.now();
  for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) await bucket.get(i);
  const hit = ((performance.now() - start) * 1000) / (N * 20);
  const cold = new Bucket(dir, { backend });
  start = performance.now();
  for (let i = 0; i < N; i++) await cold.get(i);
  const coldGet = ((performance.now() - start) * 1000) / N;
  const size = JSON.stringify(value).length;
  rows.push(
    `| ${runtime} | ${backend.name} | ${set.toFixed(0)} | ${hit.toFixed(2)} | ${
      coldGet.toFixed(0)
    } |`,
  );
  await rm(dir, { recursive: true });
  if (backend === StructuredCloneBackend) console.error(`value: ${size} bytes as JSON`);
}
console.log(
  `| runtime | backend | set (µs) | get, memory hit (µs) | get, cold file (µs) |\n|---|---|---|---|---|\n${
    rows.join("\n")
  }`,
);
