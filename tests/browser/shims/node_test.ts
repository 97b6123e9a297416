// A small stand-in for node:test where there is none (a browser page, a web
// worker, a Cloudflare Worker): describe/test/before/after collect the tests
// as node:test would, and run() runs them in order and reports each one.
// Enough for tests/helpers/fs_contract.ts; bundled in place of node:test.

type Fn = () => unknown;

interface Case {
  kind: "test";
  name: string;
  fn: Fn;
  skip: boolean;
}

interface Suite {
  kind: "suite";
  name: string;
  before: Fn[];
  after: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  children: (Suite | Case)[];
}

/** The outcome of one test, as run() reports it. */
export interface TestResult {
  /** The names of the enclosing suites and the test, joined with " > ". */
  name: string;
  /** `"pass"`, `"fail"` or `"skip"`. */
  outcome: "pass" | "fail" | "skip";
  /** Milliseconds. */
  ms: number;
  /** For a failure: the error's message and stack. */
  error?: string;
}

const newSuite = (name: string): Suite => ({
  kind: "suite",
  name,
  before: [],
  after: [],
  beforeEach: [],
  afterEach: [],
  children: [],
});

const root = newSuite("");
let current = root;

type Options = { skip?: boolean | string; timeout?: number };

function parse(args: unknown[]): { name: string; options: Options; fn: Fn } {
  const name = typeof args[0] === "string" ? args[0] : "(anonymous)";
  const rest = typeof args[0] === "string" ? args.slice(1) : args;
  const options = (typeof rest[0] === "object" && rest[0] !== null ? rest[0] : {}) as Options;
  const fn = rest.find((arg) => typeof arg === "function") as Fn | undefined;
  return { name, options, fn: fn ?? (() => {}) };
}

/** Declares a suite; its body runs at once, declaring its tests. */
export function describe(...args: unknown[]): void {
  const { name, options, fn } = parse(args);
  const suite = newSuite(name);
  current.children.push(suite);
  if (options.skip) return;
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}

/** Declares a test. */
export function test(...args: unknown[]): void {
  const { name, options, fn } = parse(args);
  current.children.push({ kind: "test", name, fn, skip: Boolean(options.skip) });
}

export { describe as suite, test as it };

/** Runs `fn` before the tests of the enclosing suite. */
export function before(fn: Fn): void {
  current.before.push(fn);
}
/** Runs `fn` after the tests of the enclosing suite. */
export function after(fn: Fn): void {
  current.after.push(fn);
}
/** Runs `fn` before each test of the enclosing suite. */
export function beforeEach(fn: Fn): void {
  current.beforeEach.push(fn);
}
/** Runs `fn` after each test of the enclosing suite. */
export function afterEach(fn: Fn): void {
  current.afterEach.push(fn);
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);

/** How long one test may take before it fails. */
const TEST_TIMEOUT_MS = 240_000;

async function timed(fn: Fn, name: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${name}: timed out after ${TEST_TIMEOUT_MS} ms`)),
          TEST_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function runSuite(
  suite: Suite,
  path: string[],
  eachBefore: Fn[],
  eachAfter: Fn[],
  results: TestResult[],
  onResult?: (result: TestResult) => void,
): Promise<void> {
  const report = (result: TestResult) => {
    results.push(result);
    onResult?.(result);
  };
  const names = suite.name === "" ? path : [...path, suite.name];
  let setupError: unknown;
  try {
    for (const fn of suite.before) await timed(fn, `${names.join(" > ")} before`);
  } catch (error) {
    setupError = error;
  }
  const befores = [...eachBefore, ...suite.beforeEach];
  const afters = [...suite.afterEach, ...eachAfter];
  for (const child of suite.children) {
    if (child.kind === "suite") {
      await runSuite(child, names, befores, afters, results, onResult);
      continue;
    }
    const name = [...names, child.name].join(" > ");
    if (child.skip) {
      report({ name, outcome: "skip", ms: 0 });
      continue;
    }
    const started = Date.now();
    try {
      if (setupError !== undefined) throw setupError;
      for (const fn of befores) await timed(fn, `${name} beforeEach`);
      await timed(child.fn, name);
      for (const fn of afters) await timed(fn, `${name} afterEach`);
      report({ name, outcome: "pass", ms: Date.now() - started });
    } catch (error) {
      report({ name, outcome: "fail", ms: Date.now() - started, error: describeError(error) });
    }
  }
  for (const fn of suite.after) {
    try {
      await timed(fn, `${names.join(" > ")} after`);
    } catch (error) {
      report({
        name: `${names.join(" > ")} (after)`,
        outcome: "fail",
        ms: 0,
        error: describeError(error),
      });
    }
  }
}

/** Runs every test declared so far, in order; `onResult` hears each as it ends. */
export async function run(onResult?: (result: TestResult) => void): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const suite = { ...root, children: root.children.splice(0) };
  await runSuite(suite, [], [], [], results, onResult);
  return results;
}

/** node:test's `mock` and others are not provided. */
export default test;
