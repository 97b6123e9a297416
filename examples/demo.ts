/**
 * The bucketcache demo: run it twice and the second run reads from disk.
 *
 *   deno task demo          (or: npx deno@2 task demo)
 *
 * @module
 */

import { join } from "node:path";
import { defaultFileSystem } from "../mod.ts";

const dir = join(import.meta.dirname ?? ".", "..", ".demo-cache");
const fs = defaultFileSystem();
const file = join(dir, "hello.txt");

const started = performance.now();
const existing = await fs.readFile(file);
if (existing) {
  console.log(`Read from disk: "${new TextDecoder().decode(existing)}"`);
} else {
  await fs.mkdir(dir);
  await fs.writeFileAtomic(
    file,
    new TextEncoder().encode(`written at ${new Date().toISOString()}`),
  );
  console.log(`Nothing cached yet: wrote ${file} atomically (run the demo again to read it back)`);
}
console.log(`(${fs.name} adapter, ${(performance.now() - started).toFixed(2)} ms)`);
