// mod.ts bundles for the browser as it is (issue 18): `esbuild mod.ts
// --bundle --platform=browser` with no externals and no stand-ins succeeds,
// its metafile lists no `node:` import, and the bundle holds no import of a
// `node:` module (built-ins are reached through process.getBuiltinModule,
// which a browser does not have). The bundle then runs in a fresh process
// with `process`, `Deno` and `Buffer` hidden — the JavaScript fallbacks at
// work, as in a browser or a Worker — and gives the golden key vectors and
// the same file names as node:crypto here.
//
// Runs in every runtime: esbuild's own executable (node_modules/.bin/esbuild,
// installed with tsx) is spawned, the fresh process is this runtime's.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkBundleRun } from "./golden/check_run.ts";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const esbuild = join(
  root,
  "node_modules",
  ".bin",
  process.platform === "win32" ? "esbuild.cmd" : "esbuild",
);

/**
 * Entry points that may not bundle for the browser yet, and why. ./cli is a
 * command-line program for Deno, Bun and Node; ./redis imports node:buffer
 * for the Buffers that ioredis and node-redis speak (src/fs/redis.ts).
 */
const NOT_FOR_BROWSERS: Record<string, string> = {
  "./cli": "a command-line program",
  "./redis": "src/fs/redis.ts imports node:buffer for the Node Redis clients' Buffers",
};

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

interface Built {
  status: number | null;
  stderr: string;
  code: string;
  metafile?: Metafile;
}

/** Runs esbuild's CLI: `esbuild ENTRY --bundle --platform=browser --format=esm --metafile …`. */
async function build(entry: string, dir: string, extra: string[] = []): Promise<Built> {
  const name = entry.replace(/[^A-Za-z0-9]+/g, "_");
  const outfile = join(dir, `${name}${extra.length > 0 ? ".min" : ""}.js`);
  const metafile = join(dir, `${name}.meta.json`);
  const result = spawnSync(
    esbuild,
    [
      entry,
      "--bundle",
      "--platform=browser",
      "--format=esm",
      `--metafile=${metafile}`,
      `--outfile=${outfile}`,
      "--log-level=error",
      "--log-limit=0",
      ...extra,
    ],
    { cwd: root, encoding: "utf8" },
  );
  const ok = result.status === 0;
  return {
    status: result.status,
    stderr: `${result.error ?? ""}${result.stderr ?? ""}`,
    code: ok ? await readFile(outfile, "utf8") : "",
    metafile: ok ? JSON.parse(await readFile(metafile, "utf8")) : undefined,
  };
}

/** Every `node:` import the metafile lists, as "importer → module". */
function nodeImports(metafile: Metafile): string[] {
  const found: string[] = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (file.startsWith("node:")) found.push(`(input) ${file}`);
    for (const i of input.imports) {
      if (i.path.startsWith("node:")) found.push(`${file} → ${i.path}`);
    }
  }
  for (const [file, output] of Object.entries(metafile.outputs)) {
    for (const i of output.imports) {
      if (i.path.startsWith("node:")) found.push(`${file} → ${i.path}`);
    }
  }
  return found;
}

/** Imports the metafile marks external (there must be none: nothing is left to the runtime). */
function externals(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.external).map((i) => `${file} → ${i.path}`)
  );
}

/** Static, dynamic and re-export imports and require calls of `node:` modules in bundled code. */
const NODE_IMPORT =
  /\bimport\s*\(\s*["'`]node:|\bimport\s*[\w$*{}\s,]*?\bfrom\s*["']node:|\bimport\s*["']node:|\bexport\s*[\w$*{}\s,]*?\bfrom\s*["']node:|\b(?:__)?require\s*\(\s*["'`]node:/;

/** The lines of `code` that import a `node:` module, comment lines (JSDoc examples) left out. */
function nodeImportLines(code: string): string[] {
  return code.split("\n").filter((line) => {
    const start = line.trimStart();
    if (start.startsWith("*") || start.startsWith("//") || start.startsWith("/*")) return false;
    return NODE_IMPORT.test(line);
  });
}

/** The entry points of the package (deno.json's exports), less those not meant for browsers. */
function browserEntryPoints(): string[] {
  const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  return Object.entries(config.exports)
    .filter(([name]) => NOT_FOR_BROWSERS[name] === undefined)
    .map(([, file]) => file.replace(/^\.\//, ""));
}

/** How to run a plain ES module in this runtime, in a fresh process. */
function thisRuntime(script: string): [string, string[]] {
  if ("Deno" in globalThis && !("Bun" in globalThis)) {
    return [process.execPath, ["run", "-A", "--no-config", "--no-lock", script]];
  }
  return [process.execPath, [script]];
}

const dir = await mkdtemp(join(tmpdir(), "bucketcache-bundle-"));

describe("mod.ts bundles for the browser with no node: import", () => {
  test("esbuild's executable is installed (node_modules/.bin/esbuild, with tsx)", () => {
    assert.ok(existsSync(esbuild), `${esbuild} is missing: run npm ci`);
  });

  test("esbuild mod.ts --bundle --platform=browser succeeds, no node: import in its metafile", async () => {
    const built = await build("mod.ts", dir);
    assert.equal(built.status, 0, `esbuild failed:\n${built.stderr}`);
    assert.deepEqual(nodeImports(built.metafile!), []);
    assert.deepEqual(externals(built.metafile!), []);
    assert.ok(
      Object.keys(built.metafile!.inputs).includes("src/keys/hash.ts"),
      "the metafile lists the library's files",
    );
    assert.deepEqual(nodeImportLines(built.code), []);
    assert.ok(
      built.code.includes('builtin("node:crypto")'),
      "built-ins are asked for, not imported",
    );
  });

  test("minified, the bundle holds no import or require of a node: module at all", async () => {
    // Without comments, every "node: in the code is a string: each must be an
    // argument of a function call that is not import() or require().
    const built = await build("mod.ts", dir, ["--minify"]);
    assert.equal(built.status, 0, built.stderr);
    assert.doesNotMatch(built.code, NODE_IMPORT);
    for (const match of built.code.matchAll(/(.{0,12})["'`]node:[a-z_/]+["'`]/g)) {
      assert.match(match[1], /[\w$](?:\?\.)?\($/, `a node: string outside a call: ${match[0]}`);
      assert.doesNotMatch(match[1], /\b(?:import|require)(?:\?\.)?\($/, match[0]);
    }
  });

  test("the subpath entry points meant for browsers and Workers bundle too", async () => {
    const entries = browserEntryPoints();
    assert.ok(entries.includes("opfs.ts"));
    const failures: string[] = [];
    for (const entry of entries) {
      const built = await build(entry, dir);
      if (built.status !== 0) failures.push(`${entry}: esbuild failed:\n${built.stderr}`);
      else {
        for (const found of nodeImports(built.metafile!)) failures.push(`${entry}: ${found}`);
        for (const line of nodeImportLines(built.code)) failures.push(`${entry}: ${line.trim()}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe("the bundle in a fresh process without process, Deno or Buffer", () => {
  test("golden key vectors, the same file names, a bucket on MemoryFileSystem, and a TypeError without fs", async () => {
    const built = await build("tests/fixtures/bundle_entry.ts", dir);
    assert.equal(built.status, 0, built.stderr);
    assert.deepEqual(nodeImports(built.metafile!), []);
    const bundleFile = join(dir, "bundle_entry.mjs");
    await writeFile(bundleFile, built.code);
    const driver = join(dir, "driver.mjs");
    await writeFile(
      driver,
      [
        "// Hide what browsers and Workers do not have, then load the bundle.",
        'for (const name of ["process", "Deno", "Buffer", "require", "module", "global"]) {',
        "  try { delete globalThis[name]; } catch {}",
        "}",
        `const { run } = await import(${JSON.stringify(pathToFileURL(bundleFile).href)});`,
        "const hidden = { process: typeof globalThis.process, Deno: typeof globalThis.Deno, Buffer: typeof globalThis.Buffer };",
        "console.log(JSON.stringify({ hidden, ...(await run()) }));",
        "",
      ].join("\n"),
    );
    const [command, args] = thisRuntime(driver);
    const child = spawnSync(command, args, { cwd: dir, encoding: "utf8", env: process.env });
    assert.equal(child.status, 0, `${command} ${args.join(" ")} failed:\n${child.stderr}`);
    const out = JSON.parse(child.stdout.trim().split("\n").at(-1)!);

    assert.deepEqual(out.hidden, { process: "undefined", Deno: "undefined", Buffer: "undefined" });
    await checkBundleRun(out, "a process without process, Deno or Buffer", {
      webCrypto: true,
    });
  });
});

test("cleanup", async () => {
  await rm(dir, { recursive: true, force: true });
});
