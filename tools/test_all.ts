// Runs the whole test suite on Deno, Bun, Node 20+ (the system's Node, through
// tsx) and Node 24 (npm's `node@24`, native type stripping), one after the
// other, and fails if any runtime fails or is missing.
//
//   deno task test                          all runtimes, every tests/*.test.ts
//   deno task test bun node24               only those runtimes (deno, bun, node, node24)
//   deno task test deno tests/keys.test.ts  only those files
//   deno task test --verbose                also each runner's own output, as it comes
//
// It prints one line per test file and runtime, every failure in full, a
// summary per runtime (tests, passed, failed, skipped) with the names of the
// skipped tests (which say why), and last the line `N passed, N failed, N skipped`.
// The runners' own output is shown only for a run that failed without naming a
// failing test (a file that did not load, a crash). What counts as a test is
// what each runner counts: for Deno a Deno.test — each top-level describe() or
// test() — whose inner test()s are its steps (given in brackets); for Bun and
// Node each test().
//
// The test-only packages (fast-check, the Redis clients, …) are not in deno.json:
// npm installs them into node_modules/ from tools/dev/package.json, and Deno
// finds them there with --node-modules-dir=manual, here and in the child
// processes the tests spawn (tools/test_deno.sh). node_modules/ is installed
// (`npm ci`) when it is missing or older than package-lock.json.

import { existsSync, statSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";

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

const decoder = new TextDecoder();

/** Runs a command in the repository, collecting its output (and echoing it with --verbose). */
async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; echo?: boolean } = {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: root,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      if (options.echo) await sink.write(chunk);
      output += decoder.decode(chunk, { stream: true });
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, output };
}

async function ensureDependencies(): Promise<void> {
  const installed = join(root, "node_modules", ".package-lock.json");
  const needed = [bin("bun"), bin("node"), bin("tsx"), join(root, "node_modules", "fast-check")];
  let reason = "";
  if (!needed.every((path) => existsSync(path))) reason = "node_modules/ is incomplete";
  else if (
    !existsSync(installed) ||
    statSync(join(root, "package-lock.json")).mtimeMs > statSync(installed).mtimeMs
  ) reason = "package-lock.json is newer than node_modules/";
  if (!reason) return;
  const npm = systemExecutable("npm");
  if (!npm) {
    console.error(`${reason}, and installing it needs npm (it comes with Node.js 20 or later)`);
    Deno.exit(1);
  }
  console.log(`${reason}: npm ci`);
  const { code } = await run(npm, ["ci", "--no-audit", "--no-fund"], { echo: true });
  if (code !== 0) throw new Error("npm ci failed");
}

type Status = "passed" | "failed" | "skipped";

/** One test (or, for Deno, one step) as its runner reported it. */
interface Result {
  file: string;
  name: string;
  status: Status;
  error?: string;
  /** A Deno step, not a test. */
  step?: boolean;
}

interface Report {
  tests: Result[];
  /** Deno's steps: the test()s inside a describe(). */
  steps: Result[];
}

// ---------------------------------------------------------------------------
// JUnit XML, as Deno (--junit-path) and Bun (--reporter=junit) write it.

interface JUnitCase {
  suites: Record<string, string>[];
  attrs: Record<string, string>;
  status: Status;
  error?: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity[0] !== "#") return ENTITIES[entity] ?? whole;
    return String.fromCodePoint(
      entity[1] === "x" || entity[1] === "X"
        ? parseInt(entity.slice(2), 16)
        : parseInt(entity.slice(1), 10),
    );
  });

function attributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attrs[m[1]] = unescapeXml(m[2] ?? m[3]);
  }
  return attrs;
}

function parseJUnit(xml: string): JUnitCase[] {
  const cases: JUnitCase[] = [];
  const suites: Record<string, string>[] = [];
  let current: JUnitCase | undefined;
  const tag =
    /<(\/?)(testsuite|testcase|failure|error|skipped)\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const [, closing, name, attrText, selfClosing] = m;
    if (name === "testsuite") {
      if (closing) suites.pop();
      else if (!selfClosing) suites.push(attributes(attrText));
    } else if (name === "testcase") {
      if (closing || selfClosing) {
        if (!closing) {
          current = { suites: [...suites], attrs: attributes(attrText), status: "passed" };
        }
        if (current) cases.push(current);
        current = undefined;
      } else {
        current = { suites: [...suites], attrs: attributes(attrText), status: "passed" };
      }
    } else if (current && !closing && (name === "failure" || name === "error")) {
      current.status = "failed";
      let text = attributes(attrText).message ?? "";
      if (!selfClosing) {
        const end = xml.indexOf(`</${name}>`, tag.lastIndex);
        if (end >= 0) {
          text = unescapeXml(xml.slice(tag.lastIndex, end)).trim() || text;
          tag.lastIndex = end;
        }
      }
      current.error = current.error ? `${current.error}\n${text}` : text;
    } else if (current && !closing && name === "skipped" && current.status !== "failed") {
      current.status = "skipped";
    }
  }
  return cases;
}

const relativeFile = (file: string) =>
  relative(root, file.startsWith("file://") ? new URL(file).pathname : resolve(root, file));

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Deno: the JUnit report lists each Deno.test under the module that called
 * Deno.test (a helper's, for tests a helper declares) and each step as
 * "<test> > <step>" under the module that declared the step (Deno's node:test
 * module, for describe()). The test file of each test comes from the console
 * output of --parallel, which starts every line with it: "./tests/x.test.ts =>
 * <test> ... ok".
 */
function denoReport(xml: string, output: string): Report {
  // The files that ran a test of each name, in order (a name may be used by several files).
  const filesOfTest = new Map<string, string[]>();
  for (const line of output.replace(ANSI, "").split("\n")) {
    const m = line.match(/^(\.\/\S+?) => (.*) \.\.\. (?:ok|FAILED|ignored)\b/);
    if (m) filesOfTest.set(m[2], [...filesOfTest.get(m[2]) ?? [], m[1]]);
  }
  const cases = parseJUnit(xml).map((c) => ({
    file: filesOfTest.get(c.attrs.name ?? "")?.shift() ?? c.suites.at(-1)?.name ?? "",
    name: c.attrs.name ?? "",
    status: c.status,
    error: c.error,
  }));
  const names = new Set(cases.map((c) => c.name));
  /** The outermost other case whose name prefixes this one's: the test a step belongs to. */
  const parentTest = (name: string) => {
    for (let i = name.indexOf(" > "); i > 0; i = name.indexOf(" > ", i + 3)) {
      if (names.has(name.slice(0, i))) return name.slice(0, i);
    }
    return undefined;
  };
  const tests: Result[] = [];
  const stepsOf: { parent: string; step: Result }[] = [];
  for (const c of cases) {
    const parent = parentTest(c.name);
    if (parent === undefined) tests.push({ ...c, file: relativeFile(c.file) });
    else stepsOf.push({ parent, step: c });
  }
  const fileOf = new Map(tests.map((t) => [t.name, t.file]));
  const steps = stepsOf.map(({ parent, step }) => ({
    ...step,
    file: fileOf.get(parent) ?? "",
    step: true,
  }));
  // A test whose steps failed says only "N test steps failed": the steps carry the errors.
  for (const test of tests) {
    if (
      test.status === "failed" && /^\d+ test steps? failed\.?$/.test(test.error?.trim() ?? "") &&
      steps.some((s) => s.status === "failed" && s.name.startsWith(`${test.name} > `))
    ) test.error = undefined;
  }
  return { tests, steps };
}

/** Bun: a <testsuite> per file, nested ones per describe(), test()s as <testcase>s. */
function bunReport(xml: string): Report {
  const tests = parseJUnit(xml).map((c) => ({
    file: relativeFile(c.attrs.file ?? c.suites[0]?.file ?? ""),
    name: [...c.suites.slice(1).map((s) => s.name), c.attrs.name].join(" > "),
    status: c.status,
    error: c.error,
  }));
  return { tests, steps: [] };
}

/** Node: JSON lines from tools/node_test_reporter.mjs. */
function nodeReport(jsonl: string): Report {
  const tests: Result[] = [];
  for (const line of jsonl.split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as {
      file: string;
      name: string;
      type: string;
      status: Status;
      failureType?: string;
      error?: string;
    };
    const file = relativeFile(r.file);
    if (r.type === "test") tests.push({ file, name: r.name, status: r.status, error: r.error });
    else if (r.status === "failed" && r.failureType !== "subtestsFailed") {
      // A suite's hook, or the whole file, failed: a failure no test() carries.
      const name = r.type === "file"
        ? "(the test file as a whole)"
        : `${r.name} (the suite itself)`;
      tests.push({ file, name, status: "failed", error: r.error });
    }
  }
  return { tests, steps: [] };
}

// ---------------------------------------------------------------------------

interface Runtime {
  name: string;
  /** The executable, or why there is none. */
  executable: () => string | { missing: string };
  version: (executable: string) => Promise<string>;
  args: (files: string[], reportFile: string) => string[];
  /** The report's file name (in a temporary directory) and how to read it (with the console output). */
  report: [string, (text: string, output: string) => Report];
}

const versionOf = async (executable: string) =>
  (await run(executable, ["--version"])).output.trim().replace(/^v/, "");

const runtimes: Runtime[] = [
  {
    name: "deno",
    executable: () => Deno.execPath(),
    version: () => Promise.resolve(Deno.version.deno),
    args: (files, report) => [
      "test",
      "-A",
      "--parallel",
      "--node-modules-dir=manual",
      "--no-lock",
      `--junit-path=${report}`,
      ...files,
    ],
    report: ["deno.xml", denoReport],
  },
  {
    name: "bun",
    executable: () => existsSync(bin("bun")) ? bin("bun") : { missing: "node_modules/.bin/bun" },
    version: versionOf,
    args: (files, report) => [
      "test",
      // Bun stops a test after 5 s by default and ignores node:test's own
      // timeout option: the tests that spawn processes take longer on a
      // loaded machine.
      "--timeout=300000",
      "--only-failures",
      "--reporter=junit",
      `--reporter-outfile=${report}`,
      ...files.map((f) => `./${f}`),
    ],
    report: ["bun.xml", bunReport],
  },
  {
    name: "node",
    executable: () =>
      systemExecutable("node") ??
        { missing: "no system Node.js on PATH (install Node.js 20 or later)" },
    version: versionOf,
    args: (files, report) => [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=./tools/node_test_reporter.mjs",
      `--test-reporter-destination=${report}`,
      ...files,
    ],
    report: ["node.jsonl", nodeReport],
  },
  {
    name: "node24",
    executable: () => existsSync(bin("node")) ? bin("node") : { missing: "node_modules/.bin/node" },
    version: versionOf,
    // Node's type stripping leaves decorator syntax alone, so decorator tests
    // run on Node through tsx only.
    args: (files, report) => [
      "--test",
      "--test-reporter=./tools/node_test_reporter.mjs",
      `--test-reporter-destination=${report}`,
      ...files.filter((f) => !f.includes("decorators")),
    ],
    report: ["node24.jsonl", nodeReport],
  },
];

function allTestFiles(): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(join(root, "tests"))) {
    if (entry.isFile && entry.name.endsWith(".test.ts")) files.push(`tests/${entry.name}`);
  }
  return files.sort();
}

const verbose = Deno.args.includes("--verbose");
const args = Deno.args.filter((a) => a !== "--verbose");
const runtimeNames = runtimes.map((r) => r.name);
const wanted = args.filter((a) => runtimeNames.includes(a));
const files = args.filter((a) => !runtimeNames.includes(a));
const unknown = files.filter((f) => !f.endsWith(".ts") || !existsSync(join(root, f)));
if (unknown.length > 0) {
  console.error(
    `not a runtime or test file: ${unknown.join(", ")} (runtimes: ${runtimeNames.join(", ")})`,
  );
  Deno.exit(2);
}
const testFiles = files.length > 0 ? files.map((f) => relative(root, resolve(f))) : allTestFiles();

await ensureDependencies();

// Cross-runtime tests spawn the other runtimes through these.
const runtimeEnv: Record<string, string> = {
  BUCKETCACHE_DENO: join(root, "tools", "test_deno.sh"),
  BUCKETCACHE_DENO_EXE: Deno.execPath(),
  BUCKETCACHE_BUN: bin("bun"),
};
const systemNode = systemExecutable("node");
if (systemNode) runtimeEnv.BUCKETCACHE_NODE = systemNode;

const count = (results: Result[], status: Status) =>
  results.filter((r) => r.status === status).length;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const indent = (text: string) => text.replace(/^/gm, "    ");

interface Outcome {
  label: string;
  line: string;
  passed: number;
  failed: number;
  skipped: Result[];
}
const outcomes: Outcome[] = [];
const width = Math.max(...testFiles.map((f) => f.length));
const temp = await Deno.makeTempDir({ prefix: "bucketcache-test-all-" });

try {
  for (const runtime of runtimes.filter((r) => wanted.length === 0 || wanted.includes(r.name))) {
    const executable = runtime.executable();
    if (typeof executable !== "string") {
      console.log(`\n${runtime.name}: MISSING (${executable.missing})`);
      outcomes.push({
        label: runtime.name,
        line: `MISSING (${executable.missing})`,
        passed: 0,
        failed: 1,
        skipped: [],
      });
      continue;
    }
    const label = `${runtime.name} ${await runtime.version(executable)}`;
    const [reportName, readReport] = runtime.report;
    const reportFile = join(temp, reportName);
    const runArgs = runtime.args(testFiles, reportFile);
    console.log(`\n=== ${label}: ${plural(testFiles.length, "file")} ===`);
    const started = performance.now();
    const { code, output } = await run(executable, runArgs, {
      env: { ...runtimeEnv, BUCKETCACHE_TEST_RUNNER: runtime.name },
      echo: verbose,
    });
    const seconds = (performance.now() - started) / 1000;
    let report: Report = { tests: [], steps: [] };
    try {
      report = readReport(await Deno.readTextFile(reportFile), output);
    } catch {
      // No report: shown below as a run that failed without naming a failing test.
    }

    const tag = runtime.name.padEnd(6);
    let silentFiles = 0;
    for (const file of testFiles) {
      if (!runArgs.includes(file) && !runArgs.includes(`./${file}`)) continue; // not run here
      const tests = report.tests.filter((t) => t.file === file);
      const steps = report.steps.filter((s) => s.file === file);
      if (tests.length === 0) silentFiles++;
      const parts = [`${count(tests, "passed")} passed`];
      if (count(tests, "failed")) parts.push(`${count(tests, "failed")} FAILED`);
      if (count(tests, "skipped")) parts.push(`${count(tests, "skipped")} skipped`);
      let line = tests.length === 0 ? "no tests reported" : parts.join(", ");
      if (steps.length > 0) {
        const stepParts = [plural(steps.length, "step")];
        if (count(steps, "failed")) stepParts.push(`${count(steps, "failed")} FAILED`);
        if (count(steps, "skipped")) stepParts.push(`${count(steps, "skipped")} skipped`);
        line += ` (${stepParts.join(", ")})`;
      }
      console.log(`${tag}  ${file.padEnd(width)}  ${line}`);
    }

    const failures = [...report.tests, ...report.steps].filter((r) =>
      r.status === "failed" && r.error !== undefined
    );
    for (const failure of failures) {
      console.log(`\nFAILED ${runtime.name} ${failure.file}: ${failure.name}`);
      console.log(indent(failure.error!.trimEnd()));
    }

    const passed = count(report.tests, "passed");
    let failed = count(report.tests, "failed") + silentFiles;
    if (silentFiles > 0 || (code !== 0 && failed === 0)) {
      // A file that did not load, a crash: the runner's own output says what happened.
      console.log(
        `\n${runtime.name} exited with code ${code}${
          silentFiles > 0 ? `, ${plural(silentFiles, "file")} reporting no test` : ""
        }; its output:`,
      );
      console.log(indent(output.trimEnd()));
      if (failed === 0) failed++;
    }
    const tests = report.tests.length;
    let line = `${plural(tests, "test")}: ${passed} passed, ${failed} failed, ${
      count(report.tests, "skipped")
    } skipped`;
    if (report.steps.length > 0) {
      line += ` (${plural(report.steps.length, "step")}: ${count(report.steps, "passed")} passed, ${
        count(report.steps, "failed")
      } failed, ${count(report.steps, "skipped")} skipped)`;
    }
    line += `, ${seconds.toFixed(0)} s${code === 0 ? "" : `, exit code ${code}`}`;
    outcomes.push({
      label,
      line,
      passed,
      failed,
      skipped: [...report.tests, ...report.steps].filter((r) => r.status === "skipped"),
    });
  }
} finally {
  await Deno.remove(temp, { recursive: true });
}

console.log("\n=== summary ===");
const labelWidth = Math.max(...outcomes.map((o) => o.label.length));
for (const o of outcomes) console.log(`${o.label.padEnd(labelWidth)}  ${o.line}`);
console.log(
  "(a test is what each runner counts: for Deno a Deno.test, i.e. each top-level describe() or " +
    "test(), whose inner test()s are its steps; for Bun and Node each test())",
);
const skipped = outcomes.flatMap((o) => o.skipped.map((s) => ({ ...s, runtime: o.label })));
if (skipped.length > 0) {
  console.log("skipped (each name says why):");
  for (const s of skipped) {
    const name = s.step ? `${s.name} (a step)` : s.name;
    console.log(`  ${s.runtime.split(" ")[0].padEnd(6)}  ${s.file}: ${name}`);
  }
}
const total = (key: "passed" | "failed") => outcomes.reduce((sum, o) => sum + o[key], 0);
const totalSkipped = skipped.filter((s) => !s.step).length;
console.log(`${total("passed")} passed, ${total("failed")} failed, ${totalSkipped} skipped`);
Deno.exit(total("failed") === 0 ? 0 : 1);
