// Runs every static check CI runs, stopping at the first failure: the
// configuration (what users and JSR see stays the library's), fmt, lint, type
// checks, docs lint, the doc examples (the modules' and every README code
// block), the publish dry run, and last that none of it changed a tracked file.
//
//   deno task check      (or, with only Node and npm: npm run check)

import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname ?? ".", "..");
const deno = Deno.execPath();
const decoder = new TextDecoder();

const readJson = async (name: string) =>
  JSON.parse(await Deno.readTextFile(join(root, name))) as Record<string, unknown>;

/**
 * The dependency layout that keeps `deno task demo` small: deno.json imports
 * (the import map users and JSR see) and package.json (which Deno reads too,
 * and whose every dependency `deno task` downloads) hold only what the
 * library imports; test and benchmark packages live in tools/dev/package.json,
 * which npm installs into node_modules/ and Deno never reads.
 */
async function checkLayout(): Promise<string[]> {
  const problems: string[] = [];
  const denoJson = await readJson("deno.json");
  const pkg = await readJson("package.json");
  const dev = await readJson("tools/dev/package.json");
  const imports = Object.values(denoJson.imports as Record<string, string>);
  const runtime = pkg.dependencies as Record<string, string>;
  for (const specifier of imports) {
    const name = specifier.match(/^npm:((?:@[^/]+\/)?[^@/]+)/)?.[1];
    if (name && !(name in runtime)) {
      problems.push(`deno.json imports ${specifier}, which package.json "dependencies" lacks`);
    }
  }
  for (const name of Object.keys(runtime)) {
    if (!imports.some((s) => s.startsWith(`npm:${name}@`))) {
      problems.push(`package.json depends on ${name}, which deno.json "imports" does not map`);
    }
  }
  const devDependencies = (pkg.devDependencies ?? {}) as Record<string, string>;
  for (const [name, range] of Object.entries(devDependencies)) {
    if (name !== "bucketcache-dev" || range !== "file:tools/dev") {
      problems.push(
        `package.json devDependencies has ${name}: Deno downloads every package.json ` +
          `dependency on \`deno task\`; put test and benchmark packages in tools/dev/package.json`,
      );
    }
  }
  const tools = dev.dependencies as Record<string, string>;
  for (const name of Object.keys(runtime)) {
    if (name in tools) {
      problems.push(`tools/dev/package.json repeats the library dependency ${name}`);
    }
  }
  for (const [name, script] of Object.entries(pkg.scripts as Record<string, string>)) {
    if (/\bnpx\b/.test(script)) {
      problems.push(`package.json script ${name} uses npx, which prompts or fails with yes=false`);
    }
  }
  return problems;
}

/** An import map file: deno.json's imports, and tools/dev/package.json's packages as npm: specifiers. */
async function devImportMap(): Promise<string> {
  const imports = { ...(await readJson("deno.json")).imports as Record<string, string> };
  const tools = (await readJson("tools/dev/package.json")).dependencies as Record<string, string>;
  for (const [name, range] of Object.entries(tools)) {
    imports[name] = range.startsWith("npm:") ? range : `npm:${name}@${range}`;
  }
  const file = await Deno.makeTempFile({ prefix: "bucketcache-dev-imports-", suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify({ imports }));
  return file;
}

/** The package's entry points (deno.json "exports"): mod.ts, cli.ts, redis.ts, … */
const entryPoints = Object.values((await readJson("deno.json")).exports as Record<string, string>)
  .map((path) => path.replace(/^\.\//, ""));

const checks: { title: string; args: string[]; cwd?: string }[] = [
  { title: "deno fmt --check", args: ["fmt", "--check"] },
  { title: "deno lint", args: ["lint"] },
  {
    // What users get: the entry points with nothing but deno.json's import map.
    title: "type check: the library as users and JSR resolve it",
    args: ["check", ...entryPoints, "src/"],
  },
  {
    // Tests, benchmarks and tools also import the test-only packages, from node_modules/.
    title: "type check: tests, benchmarks, examples and tools",
    args: ["check", "--node-modules-dir=manual", "--no-lock", "tests/", "examples/", "tools/"],
  },
  {
    // The benchmarks' peers are CommonJS packages, whose default exports Deno types only when it
    // resolves them as npm: specifiers: an import map of deno.json's imports and, as npm:
    // specifiers, tools/dev/package.json's packages.
    title: "type check: benchmarks",
    args: ["check", `--import-map=${await devImportMap()}`, "--no-lock", "bench/"],
  },
  { title: "deno doc --lint", args: ["doc", "--lint", ...entryPoints] },
  {
    title: "doc examples: the modules' and README.md's code blocks",
    args: ["test", "--doc", "--allow-all", ...entryPoints, "src/", "README.md"],
  },
  { title: "deno publish --dry-run", args: ["publish", "--dry-run", "--allow-dirty"] },
];

/** Tracked files that differ from the index, and untracked files, as `git status` lists them. */
async function gitStatus(): Promise<string | undefined> {
  try {
    const { code, stdout } = await new Deno.Command("git", {
      args: ["status", "--porcelain", "--untracked-files=all"],
      cwd: root,
      stdout: "piped",
      stderr: "null",
    }).output();
    return code === 0 ? decoder.decode(stdout) : undefined;
  } catch {
    return undefined; // not a git checkout (a published copy): nothing to compare
  }
}

const before = await gitStatus();

console.log("\n=== dependency layout ===");
const problems = await checkLayout();
for (const problem of problems) console.error(problem);
if (problems.length > 0) {
  console.error("\nstatic check failed: dependency layout");
  Deno.exit(1);
}
console.log("deno.json imports and package.json hold the library's dependencies only");

for (const { title, args, cwd } of checks) {
  console.log(`\n=== ${title}: deno ${args.join(" ")} ===`);
  const { code } = await new Deno.Command(deno, {
    args,
    cwd: cwd ?? root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`\nstatic check failed: deno ${args.join(" ")}`);
    Deno.exit(code);
  }
}

console.log("\n=== the checks left the clone as they found it ===");
const after = await gitStatus();
if (before !== undefined && after !== before) {
  console.error("git status changed while checking:");
  console.error(`before:\n${before || "(clean)\n"}after:\n${after || "(clean)\n"}`);
  console.error("static check failed: a check wrote to the clone (deno.lock?)");
  Deno.exit(1);
}
console.log(before === undefined ? "not a git checkout: skipped" : "git status unchanged");
console.log("\nall static checks passed");
