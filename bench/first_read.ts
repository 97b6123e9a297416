// First read in a new process (issue 19): what a fresh process pays to read
// one existing ~1 KB entry (default backend) against what it pays to read the
// same bytes with the runtime's own readFile. The parent prepares a bucket
// directory with the entry and a raw copy of its file, then spawns fresh
// child processes of the same runtime, interleaved over rounds (one warm-up
// round first, not counted):
//
// - "floor": the child imports node:fs/promises and times readFile of the
//   raw copy;
// - "bucketcache": the child imports mod.ts and times `new Bucket(dir)` and
//   the first `get` (then, for reference, a second read of the file after
//   unloadKey, which no longer pays for anything first).
//
// Reported: the median in-process first operation (and its ratio to the
// floor's readFile), and the median child wall time from spawn to exit, that
// is start-up + import + first operation (and its ratio to the floor child).
// On Bun and Node the same is measured with mod.ts bundled into one
// JavaScript module by esbuild ("bundled JS"), as a published JavaScript
// build loads: on Node 24 most of a fresh import of the .ts sources is type
// stripping.
// This file has no static imports, so a child loads only what it asks for.
// Compare ratios from one run only: the machine is shared.
//
//   DENO_NO_PACKAGE_JSON=1 deno run -A --node-modules-dir=manual --no-lock bench/first_read.ts [rounds]
//   node_modules/.bin/bun bench/first_read.ts [rounds]
//   node_modules/.bin/node bench/first_read.ts [rounds]     (Node 24: native type stripping)
//   node --import tsx bench/first_read.ts [rounds]          (Node 20)

declare const Deno: { args: string[]; execPath(): string } | undefined;

const runtime = "Bun" in globalThis ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
const args = runtime === "deno" ? Deno!.args : process.argv.slice(2);
const KEY = "first-read";

/** The ~1 KB value stored (as bench/concurrency.ts's). */
const VALUE = {
  id: 7,
  name: "entry number 7",
  tags: ["alpha", "beta", "gamma", "delta"],
  rows: Array.from({ length: 18 }, (_, r) => ({ r, label: `row ${r} of 7`, score: r * 1.5 + 7 })),
};

async function child(kind: string, target: string): Promise<void> {
  const t0 = performance.now();
  let imported: number;
  let first: number;
  let second: number | undefined;
  if (kind === "floor") {
    const { readFile } = await import("node:fs/promises");
    imported = performance.now();
    const bytes = await readFile(target);
    first = performance.now() - imported;
    if (bytes.length < 100) throw new Error("floor: short read");
  } else {
    // "bundled": mod.ts as one JavaScript module (argv[4]), as a published
    // JavaScript build is loaded: no TypeScript to strip on Node.
    const module = kind === "bundled" ? args[3] : "../mod.ts";
    const { Bucket } = await import(module) as typeof import("../mod.ts");
    imported = performance.now();
    const bucket = new Bucket(target);
    const value = await bucket.get(KEY) as typeof VALUE | undefined;
    first = performance.now() - imported;
    if (value?.rows?.[17]?.score !== VALUE.rows[17].score) throw new Error("bucketcache: no value");
    await bucket.unloadKey(KEY);
    const t = performance.now();
    await bucket.get(KEY);
    second = performance.now() - t;
  }
  console.log(JSON.stringify({ import: imported - t0, first, second }));
}

async function parent(rounds: number): Promise<void> {
  const { spawnSync } = await import("node:child_process");
  const { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } = await import(
    "node:fs"
  );
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const { Bucket } = await import("../mod.ts");

  const root = mkdtempSync(join(tmpdir(), "bc-first-"));
  const dir = join(root, "bucket");
  await new Bucket(dir).set(KEY, VALUE);
  /** The entry file: the one file under dir that is not the layout file. */
  const find = (at: string): string | undefined => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        const found = find(path);
        if (found !== undefined) return found;
      } else if (!name.startsWith(".") && /^[0-9a-f]{64}\./.test(name)) return path;
    }
    return undefined;
  };
  const entry = find(dir);
  if (entry === undefined) throw new Error("no entry file written");
  const raw = join(root, "raw.bin");
  copyFileSync(entry, raw);

  const script = fileURLToPath(import.meta.url);
  let command: string;
  let prefix: string[];
  const env = { ...process.env };
  if (runtime === "deno") {
    command = Deno!.execPath();
    prefix = ["run", "-A", "--node-modules-dir=manual", "--no-lock", script];
    env.DENO_NO_PACKAGE_JSON = "1";
  } else {
    command = process.execPath;
    prefix = [...process.execArgv, script];
  }
  const samples: Record<string, number[]> = {};
  const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
  const run = (kind: string, target: string) => {
    const t = performance.now();
    const out = spawnSync(command, [...prefix, "child", kind, target, bundled], {
      env,
      encoding: "utf8",
    });
    const wall = performance.now() - t;
    if (out.status !== 0) throw new Error(`${kind} child failed: ${out.stderr}`);
    const line = out.stdout.trim().split("\n").pop()!;
    return { wall, ...JSON.parse(line) as { import: number; first: number; second?: number } };
  };
  // The library as one JavaScript module too (esbuild, dependencies left as
  // imports), so the cost of type stripping on Node 24 shows apart.
  const bundled = join(root, "mod.bundle.mjs");
  const esbuild = join(
    fileURLToPath(new URL("..", import.meta.url)),
    "node_modules",
    ".bin",
    "esbuild",
  );
  const built = spawnSync(esbuild, [
    fileURLToPath(new URL("../mod.ts", import.meta.url)),
    "--bundle",
    "--format=esm",
    "--platform=node",
    "--packages=external",
    `--outfile=${bundled}`,
    "--log-level=warning",
  ], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr}`);
  // Bare imports (msgpackr, @logtape/logtape) resolve from the repository's node_modules.
  symlinkSync(
    join(fileURLToPath(new URL("..", import.meta.url)), "node_modules"),
    join(root, "node_modules"),
  );
  const kinds: [string, string][] = [["floor", raw], ["bucketcache", dir], ["bundled", dir]];
  try {
    for (let round = -1; round < rounds; round++) {
      for (const [kind, target] of round % 2 ? kinds : [...kinds].reverse()) {
        if (kind === "bundled" && runtime === "deno") continue; // Deno runs the .ts as it is
        const r = run(kind, target);
        if (round < 0) continue; // warm-up: caches of transpiled code
        add(`${kind} wall`, r.wall);
        add(`${kind} import`, r.import);
        add(`${kind} first`, r.first);
        if (r.second !== undefined) add(`${kind} second`, r.second);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = (name: string) => median(samples[name]);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const name = runtime === "node" ? `node ${process.versions.node}` : runtime;
  console.log(JSON.stringify({
    runtime: name,
    rounds,
    "first get": `${ms(m("bucketcache first"))} vs readFile ${ms(m("floor first"))} (${
      (m("bucketcache first") / m("floor first")).toFixed(2)
    }×)`,
    "second get (after unloadKey)": ms(m("bucketcache second")),
    "import": `${ms(m("bucketcache import"))} vs node:fs/promises ${ms(m("floor import"))}`,
    "child wall (start + import + first op)": `${ms(m("bucketcache wall"))} vs floor ${
      ms(m("floor wall"))
    } (${(m("bucketcache wall") / m("floor wall")).toFixed(2)}×)`,
    ...(samples["bundled wall"] === undefined ? {} : {
      "bundled JS: first get": `${ms(m("bundled first"))} (${
        (m("bundled first") / m("floor first")).toFixed(2)
      }×)`,
      "bundled JS: child wall": `${ms(m("bundled wall"))} (${
        (m("bundled wall") / m("floor wall")).toFixed(2)
      }×)`,
    }),
  }));
}

if (args[0] === "child") await child(args[1], args[2]);
else await parent(Number(args[0] ?? 9));
