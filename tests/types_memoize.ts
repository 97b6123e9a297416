// deno-lint-ignore-file require-await -- an async function without await is the point here
// Type-level tests, checked by `deno check` (part of `deno task check`):
// every line marked with an expect-error directive must fail to type-check.

import { Bucket, type Memoized } from "../mod.ts";

const bucket = new Bucket("/types");

const add = bucket.memoize(function add(a: number, b: string): number {
  return a + b.length;
});
const result: Promise<number> = add(1, "x");
// @ts-expect-error: the first parameter is a number
add("1", "x");
// @ts-expect-error: two parameters are required
add(1);
// @ts-expect-error: the result is a Promise of a number, not a string
const wrong: Promise<string> = add(1, "x");

const fetchJson = bucket.memoize(async function fetchJson(url: string): Promise<{ ok: boolean }> {
  return { ok: url.length > 0 };
});
const awaited: Promise<{ ok: boolean }> = fetchJson("u");
const typed: Memoized<[string], Promise<{ ok: boolean }>, unknown> = fetchJson;
fetchJson.callback((info) => {
  const ok: boolean = info.returnValue.ok;
  const url: string = info.args[0];
  return [ok, url];
});

export { awaited, result, typed, wrong };
