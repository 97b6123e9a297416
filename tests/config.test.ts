import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const readJson = async (name: string) =>
  JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), "utf8"));

test("jsr.json mirrors deno.json's name, version, exports and publish", async () => {
  const deno = await readJson("deno.json");
  const jsr = await readJson("jsr.json");
  for (const field of ["name", "version", "license", "exports", "publish"]) {
    assert.deepEqual(jsr[field], deno[field], `jsr.json "${field}" equals deno.json's`);
  }
});

test("package.json has the same version and runtime dependencies as deno.json imports", async () => {
  const deno = await readJson("deno.json");
  const pkg = await readJson("package.json");
  assert.equal(pkg.version, deno.version);
  assert.equal(pkg.type, "module");
  for (const [name, range] of Object.entries(pkg.dependencies as Record<string, string>)) {
    const mapped = Object.entries(deno.imports as Record<string, string>).find(([specifier]) =>
      specifier === name || specifier.startsWith(`${name}/`)
    );
    assert.ok(mapped, `deno.json imports maps ${name}`);
    assert.ok(
      mapped[1].startsWith(`npm:${name}@${range}`),
      `${mapped[1]} uses npm:${name}@${range}`,
    );
  }
});
