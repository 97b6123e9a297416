// µs per 1 KiB atomic write and read for each storage adapter in the running
// runtime, plus Bun's native file API where it exists (to decide whether Bun
// deserves an adapter of its own).
//
//   deno run -A bench/fs_adapters.ts | bun bench/fs_adapters.ts | node --import tsx bench/fs_adapters.ts

import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DenoFileSystem, MemoryFileSystem, NodeFileSystem } from "../mod.ts";
import type { FileSystem } from "../mod.ts";

const N = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env.N ?? 2000,
);
const data = new Uint8Array(1024).fill(97);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

type Ops = Pick<FileSystem, "readFile" | "writeFileAtomic">;
const adapters: [string, Ops][] = [["NodeFileSystem", new NodeFileSystem()], [
  "MemoryFileSystem",
  new MemoryFileSystem(),
]];
if (runtime === "deno") adapters.push(["DenoFileSystem", new DenoFileSystem()]);
if (runtime === "bun") {
  // deno-lint-ignore no-explicit-any
  const Bun = (globalThis as any).Bun;
  let counter = 0;
  adapters.push(["Bun.write+rename (native)", {
    async readFile(path: string) {
      const file = Bun.file(path);
      return await file.exists() ? new Uint8Array(await file.arrayBuffer()) : null;
    },
    async writeFileAtomic(path: string, bytes: Uint8Array) {
      const tmp = `${path}.${process.pid}.${counter++}.tmp`;
      await Bun.write(tmp, bytes);
      await rename(tmp, path);
    },
  }]);
}

const rows: string[] = [];
for (const [name, fs] of adapters) {
  const dir = name === "MemoryFileSystem" ? "/bench" : await mkdtemp(join(tmpdir(), "bc-bench-"));
  if (fs instanceof MemoryFileSystem) await fs.mkdir(dir);
  const paths = Array.from({ length: 100 }, (_, i) => join(dir, `f${i}`));
  for (const p of paths) await fs.writeFileAtomic(p, data); // warm up
  let start = performance.now();
  for (let i = 0; i < N; i++) await fs.writeFileAtomic(paths[i % 100], data);
  const write = ((performance.now() - start) * 1000) / N;
  start = performance.now();
  for (let i = 0; i < N; i++) await fs.readFile(paths[i % 100]);
  const read = ((performance.now() - start) * 1000) / N;
  rows.push(`| ${runtime} | ${name} | ${write.toFixed(1)} | ${read.toFixed(1)} |`);
  if (!(fs instanceof MemoryFileSystem)) await rm(dir, { recursive: true });
}
console.log(
  `| runtime | adapter | atomic write 1 KiB (µs) | read 1 KiB (µs) |\n|---|---|---|---|\n${
    rows.join("\n")
  }`,
);
