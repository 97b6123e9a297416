// What tags cost: a warm get (memory hit) and a cold get (a new bucket reading
// the file) of ~1 KB entries with and without tags, on the runtime's disk
// adapter, and invalidateTags itself.
//
//   deno run -A bench/tags.ts | bun bench/tags.ts | node --import tsx bench/tags.ts

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bucket } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : `node ${process.version}`;
const N = 1000;
const WARM = 200_000;
const value = { rows: Array.from({ length: 20 }, (_, i) => ({ i, label: `row ${i}` })) };

async function measure(tags: string[] | undefined) {
  const dir = await mkdtemp(join(tmpdir(), "bc-tags-"));
  try {
    const writer = new Bucket(dir);
    for (let i = 0; i < N; i++) await writer.set(i, value, tags ? { tags } : undefined);
    const cold = new Bucket(dir);
    let start = performance.now();
    for (let i = 0; i < N; i++) await cold.get(i);
    const coldUs = ((performance.now() - start) * 1000) / N;
    for (let i = 0; i < WARM; i++) await cold.get(i % 100);
    start = performance.now();
    for (let i = 0; i < WARM; i++) await cold.get(i % 100);
    const warmUs = ((performance.now() - start) * 1000) / WARM;
    start = performance.now();
    if (tags) await writer.invalidateTags(tags);
    const invalidateUs = (performance.now() - start) * 1000;
    return { coldUs, warmUs, invalidateUs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  "| runtime | cold get µs | cold get, 2 tags µs | warm get µs | warm get, 2 tags µs | invalidateTags µs |",
);
console.log("|---|---|---|---|---|---|");
for (let round = 0; round < 3; round++) {
  const plain = await measure(undefined);
  const tagged = await measure(["user:42", "team:7"]);
  console.log(
    `| ${runtime} | ${plain.coldUs.toFixed(0)} | ${tagged.coldUs.toFixed(0)} | ${
      plain.warmUs.toFixed(2)
    } | ${tagged.warmUs.toFixed(2)} | ${tagged.invalidateUs.toFixed(0)} |`,
  );
}
