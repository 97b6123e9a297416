// Runs the whole test suite on Deno, Bun, Node 20+ (the system's Node, through
// tsx) and Node 24 (npm's `node@24`, native type stripping), one after the
// other, and fails if any runtime fails or is missing.
//
//   deno task test            all runtimes
//   deno task test bun node24 only those (deno, bun, node, node24)
//
// Installs the npm dependencies first when node_modules/ is missing.

import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

const root = resolve(import.meta.dirname ?? ".", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/** The first executable called `name` on PATH outside node_modules/.bin. */
function systemExecutable(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      await sink.write(chunk);
      output += decoder.decode(chunk, { stream: true });
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  const { code } = await child.status;
  return { code, output };
}

async function ensureDependencies(): Promise<void> {
  if (existsSync(bin("bun")) && existsSync(bin("node")) && existsSync(bin("tsx"))) return;
  const npm = systemExecutable("npm");
  console.log(`node_modules/ is incomplete: installing with ${npm ? "npm ci" : "deno install"}`);
  const { code } = npm
    ? await run(npm, ["ci", "--no-audit", "--no-fund"])
    : await run(Deno.execPath(), ["install"]);
  if (code !== 0) throw new Error("installing the npm dependencies failed");
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

interface Runtime {
  name: string;
  command: () => [string, string[]] | string;
  count: (output: string) => { passed: number; failed: number } | undefined;
}

const nodeCount = (output: string) => {
  const passed = output.match(/^(?:#|ℹ) pass (\d+)$/m);
  const failed = output.match(/^(?:#|ℹ) fail (\d+)$/m);
  return passed && failed ? { passed: +passed[1], failed: +failed[1] } : undefined;
};

const runtimes: Runtime[] = [
  {
    name: "deno",
    command: () => [Deno.execPath(), ["test", "-A", "--parallel", "tests/"]],
    count: (output) => {
      const m = output.replace(ANSI, "").match(
        /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed/m,
      );
      return m ? { passed: +(m[2] ?? m[1]), failed: +m[3] } : undefined;
    },
  },
  {
    name: "bun",
    command: () => [bin("bun"), ["test", "tests/"]],
    count: (output) => {
      const passed = output.match(/^\s*(\d+) pass$/m);
      const failed = output.match(/^\s*(\d+) fail$/m);
      return passed && failed ? { passed: +passed[1], failed: +failed[1] } : undefined;
    },
  },
  {
    name: "node",
    command: () => {
      const node = systemExecutable("node");
      if (!node) return "no system Node.js on PATH (install Node.js 20 or later)";
      return [node, ["--import", "tsx", "--test", "--test-reporter=tap", ...testFiles()]];
    },
    count: nodeCount,
  },
  {
    name: "node24",
    // Node's type stripping leaves decorator syntax alone, so decorator tests
    // run on Node through tsx only.
    command: () => [
      bin("node"),
      ["--test", "--test-reporter=tap", ...testFiles().filter((f) => !f.includes("decorators"))],
    ],
    count: nodeCount,
  },
];

function testFiles(): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(join(root, "tests"))) {
    if (entry.isFile && entry.name.endsWith(".test.ts")) files.push(`tests/${entry.name}`);
  }
  return files.sort();
}

await ensureDependencies();
const wanted = Deno.args.length > 0 ? Deno.args : runtimes.map((r) => r.name);
const unknown = wanted.filter((name) => !runtimes.some((r) => r.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown runtime ${unknown.join(", ")}: choose from ${runtimes.map((r) => r.name).join(", ")}`,
  );
  Deno.exit(2);
}

// Cross-runtime tests spawn the other runtimes through these.
const runtimeEnv: Record<string, string> = {
  BUCKETCACHE_DENO: Deno.execPath(),
  BUCKETCACHE_BUN: bin("bun"),
  DENO_NO_PACKAGE_JSON: "1",
};
const systemNode = systemExecutable("node");
if (systemNode) runtimeEnv.BUCKETCACHE_NODE = systemNode;

const summary: string[] = [];
let totalPassed = 0;
let totalFailed = 0;
for (const runtime of runtimes.filter((r) => wanted.includes(r.name))) {
  console.log(`\n=== ${runtime.name} ===`);
  const command = runtime.command();
  if (typeof command === "string") {
    summary.push(`${runtime.name}: MISSING (${command})`);
    totalFailed++;
    continue;
  }
  const { code, output } = await run(command[0], command[1], {
    ...runtimeEnv,
    BUCKETCACHE_TEST_RUNNER: runtime.name,
  });
  const counts = runtime.count(output);
  totalPassed += counts?.passed ?? 0;
  totalFailed += counts?.failed ?? 0;
  if (code !== 0 && (counts?.failed ?? 0) === 0) totalFailed++;
  summary.push(
    `${runtime.name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`}, ${
      counts ? `${counts.passed} passed, ${counts.failed} failed` : "no counts read"
    }`,
  );
}

console.log("\n=== summary ===");
for (const line of summary) console.log(line);
console.log(`tests: ${totalPassed} passed, ${totalFailed} failed`);
Deno.exit(summary.every((line) => line.includes(": ok")) ? 0 : 1);
