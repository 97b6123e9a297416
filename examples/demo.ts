/**
 * The bucketcache demo: the original library's quick look, with timings.
 * Run it twice: the second run finds the results on disk.
 *
 *   deno task demo          (or, with only Node and npm: npm ci, then npm run demo)
 *
 * @module
 */

import { join } from "node:path";
import { Bucket, type Memoized } from "../mod.ts";

const dir = join(import.meta.dirname ?? ".", "..", ".demo-cache");
const bucket = new Bucket(dir, { hours: 1 }); // entries live one hour, one file per key
const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const result = await run();
  console.log(`  ${label} → ${result} (${(performance.now() - start).toFixed(2)} ms)`);
  return result;
};

class SomeService {
  username: string;
  password: string;
  constructor(username: string, password: string) {
    this.username = username;
    this.password = password;
  }

  /** Something slow: the answer should survive restarts. */
  @bucket.memoize({ nocache: "skipCache" })
  // deno-lint-ignore no-unused-vars -- memoize reads skipCache, the body does not
  async expensiveMethod(a: number, b: number, c: number, skipCache = false): Promise<number> {
    console.log("Method called.");
    await new Promise((resolve) => setTimeout(resolve, 300));
    return a + b + c;
  }
}

// TypeScript keeps the declared type of a decorated method; at run time it is Memoized.
(SomeService.prototype.expensiveMethod as unknown as Memoized<
  [number, number, number],
  Promise<number>
>)
  .callback(() => console.log("Cache used."));

const service = new SomeService("user", "secret");
console.log(`Memoised method, cache in ${bucket.path}:`);
await timed("expensiveMethod(1, 2, 3)", () => service.expensiveMethod(1, 2, 3));
await timed("expensiveMethod(1, 2, 3)", () => service.expensiveMethod(1, 2, 3));
await timed(
  "expensiveMethod(1, 2, 3, skipCache = true)",
  () => service.expensiveMethod(1, 2, 3, true),
);

console.log("\nThe bucket as a dictionary:");
await timed("set({ user: 42, page: 3 })", async () => {
  await bucket.set({ user: 42, page: 3 }, { rows: [1, 2, 3] });
  return "stored";
});
await timed(
  "get({ page: 3, user: 42 })",
  async () => JSON.stringify(await bucket.get({ page: 3, user: 42 })),
);
await bucket.unloadKey({ user: 42, page: 3 });
await timed(
  "get after unloadKey (from the file)",
  async () => JSON.stringify(await bucket.get({ user: 42, page: 3 })),
);
console.log("\nRun the demo again: the first call is then a cache hit from disk.");
