import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTempDir, removeDir } from "./helpers/temp.ts";
import { root, runScript } from "./helpers/runtimes.ts";

test("Deno: set, get, prune, memoise and deferred writes work with --allow-read and --allow-write for the directory only", async () => {
  const dir = await makeTempDir();
  try {
    const result = await runScript("deno", join(root, "tests/fixtures/least_privilege.ts"), [dir], {
      denoFlags: [`--allow-read=${dir}`, `--allow-write=${dir}`],
    });
    assert.equal(
      result.code,
      0,
      `the script succeeds without env, net, run or sys permissions:\n${result.stderr}`,
    );
    assert.deepEqual(JSON.parse(result.stdout), {
      adapter: "deno",
      raw: "least privilege",
      loaded: { rows: [1, 2, 3] },
      pruned: 1,
      memo: [49, 49, 1],
      written: 1,
      deleted: true,
    });
  } finally {
    await removeDir(dir);
  }
});

test("Deno: without write permission the runtime's error surfaces unchanged", async () => {
  const dir = await makeTempDir();
  try {
    const result = await runScript("deno", join(root, "tests/fixtures/least_privilege.ts"), [dir], {
      denoFlags: [`--allow-read=${dir}`],
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /NotCapable|PermissionDenied|write access/);
  } finally {
    await removeDir(dir);
  }
});
