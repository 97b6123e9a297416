import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { entryFiles } from "./helpers/bucket.ts";
import { join } from "node:path";
import { makeTempDir } from "./helpers/temp.ts";
import { root, runScript, type RuntimeName } from "./helpers/runtimes.ts";
import { describeSample, samples } from "./fixtures/samples.ts";

const runtimes: RuntimeName[] = ["deno", "bun", "node"];
const script = join(root, "tests/fixtures/cross_runtime.ts");

test("files written by each runtime are byte-identical and every runtime reads every other's", async () => {
  const base = await makeTempDir();
  for (const runtime of runtimes) {
    const result = await runScript(runtime, script, ["write", join(base, runtime)]);
    assert.equal(result.code, 0, `${runtime} writes:\n${result.stderr}`);
  }
  for (const backend of ["structured", "json", "msgpack"]) {
    const listings = await Promise.all(runtimes.map((r) => entryFiles(join(base, r, backend))));
    const names = listings[0].sort();
    assert.equal(names.length, Object.keys(samples[backend as keyof typeof samples]).length);
    for (const listing of listings) {
      assert.deepEqual(listing.sort(), names, `${backend}: same file names in every runtime`);
    }
    for (const name of names) {
      const files = await Promise.all(runtimes.map((r) => readFile(join(base, r, backend, name))));
      assert.ok(
        files[0].equals(files[1]) && files[0].equals(files[2]),
        `${backend}/${name} is byte-identical`,
      );
    }
  }
  const expected: Record<string, unknown> = {};
  for (const [backend, values] of Object.entries(samples)) {
    for (const [key, value] of Object.entries(values)) {
      // JSON stores what JSON can: the expected value is its JSON round trip.
      expected[`${backend}/${key}`] = describeSample(
        backend === "json" ? JSON.parse(JSON.stringify(value)) : value,
      );
    }
  }
  for (const reader of runtimes) {
    for (const writer of runtimes) {
      const result = await runScript(reader, script, ["read", join(base, writer)]);
      assert.equal(result.code, 0, `${reader} reads ${writer}'s files:\n${result.stderr}`);
      assert.deepEqual(JSON.parse(result.stdout), expected, `${reader} reads what ${writer} wrote`);
    }
  }
});
