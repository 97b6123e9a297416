// A Node test reporter for tools/test_all.ts: one JSON line per finished test, suite or test file
// ({ file, name, type, status, error? }), with `name` the path of describe() names joined by " > ".
// Plain JavaScript so that Node 20 (through tsx) and Node 24 both load it as it is.
//
//   node --test --test-reporter=./tools/node_test_reporter.mjs --test-reporter-destination=FILE …

import { inspect } from "node:util";

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* reporter(source) {
  /** @type {Map<string, string[]>} names of the open describe()s, per file */
  const open = new Map();
  /** @type {Map<string, string>} what each file's process wrote to stderr, for a file that fails */
  const stderr = new Map();
  for await (const { type, data } of source) {
    if (type === "test:stderr") {
      const file = data.entryFile ?? data.file; // Node 24: file is relative, entryFile absolute
      stderr.set(file, ((stderr.get(file) ?? "") + data.message).slice(-20_000));
    }
    if (type !== "test:start" && type !== "test:pass" && type !== "test:fail") continue;
    const file = data.file ?? "";
    const stack = open.get(file) ?? [];
    open.set(file, stack);
    if (type === "test:start") {
      stack[data.nesting] = data.name;
      stack.length = data.nesting + 1;
      continue;
    }
    const name = [...stack.slice(0, data.nesting), data.name].join(" > ");
    const details = data.details ?? {};
    // A test file that failed as a whole (it did not load, or its process exited early) is
    // reported under its own path.
    const wholeFile = data.nesting === 0 && file !== "" && file.endsWith(data.name);
    const record = {
      file,
      name,
      type: wholeFile ? "file" : details.type ?? "test", // "suite" for describe()
      status: type === "test:fail"
        ? "failed"
        : data.skip !== undefined || data.todo !== undefined
        ? "skipped"
        : "passed",
    };
    if (type === "test:fail") {
      const error = details.error;
      record.failureType = error?.failureType;
      record.error = inspect(error?.cause ?? error, { depth: 6 });
      if (wholeFile && stderr.has(file)) record.error += `\n${stderr.get(file)}`;
    }
    yield JSON.stringify(record) + "\n";
  }
}
