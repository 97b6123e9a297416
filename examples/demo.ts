/**
 * The bucketcache demo. Run it twice: the second run reads from disk.
 *
 *   deno task demo          (or: npx deno@2 task demo)
 *
 * @module
 */

import { join } from "node:path";
import { Bucket } from "../mod.ts";

const dir = join(import.meta.dirname ?? ".", "..", ".demo-cache");
const ms = (start: number) => `${(performance.now() - start).toFixed(2)} ms`;

// A bucket whose entries live for an hour, one file per key.
const bucket = new Bucket(dir, { hours: 1 });

/** Something slow: the answer we want to survive restarts. */
async function slowSquare(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return n * n;
}

const key = { task: "square", n: 12 };
let start = performance.now();
let answer = await bucket.get(key);
if (answer === undefined) {
  answer = await slowSquare(12);
  await bucket.set(key, answer);
  console.log(
    `Computed ${answer} and stored it (${ms(start)}). Run the demo again to read it from disk.`,
  );
} else {
  console.log(`Read ${answer} from disk (${ms(start)}): it survived the restart.`);
}

start = performance.now();
await bucket.get({ n: 12, task: "square" }); // the same key: object keys are order-free
console.log(`Read again from memory (${ms(start)}).`);
console.log(`Entries live in ${bucket.path}`);
