// A page (or web worker) that computes the golden key vectors, file names and
// a memoised call in headless Chromium with the library bundled as is (no
// stand-ins): tests/fixtures/bundle_entry.ts's run(), checked by
// tests/opfs.test.ts through tests/golden/check_run.ts.

import { run } from "../fixtures/bundle_entry.ts";

let results: unknown;
try {
  results = await run();
} catch (error) {
  results = {
    error: error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack}`
      : String(error),
  };
}
if (typeof document === "undefined") {
  (globalThis as unknown as { postMessage(value: unknown): void }).postMessage(results);
} else (globalThis as { __results?: unknown }).__results = results;
