// OpfsFileSystem in a real browser: Debian's headless Chromium, driven by
// puppeteer-core, loading esbuild bundles from a server on 127.0.0.1.
//
// - The FileSystem contract suite (and OPFS-specific tests) runs inside a
//   page and inside a dedicated web worker; each of its tests is reported
//   here as a test of its own.
// - removeIfUnchanged races a writer in another agent (page against worker):
//   the Web Lock both take keeps every newer value.
// - The golden key vectors (tests/fixtures/bundle_entry.ts, bundled with no
//   stand-ins) give the pinned key bytes and node:crypto's file names in a
//   page and in a web worker, checked against Chromium's Web Crypto too.
// - A page memoises a function with a Bucket on OPFS, reloads, and gets a
//   hit from OPFS; a web worker of the same origin gets one too; a size
//   budget evicts by recency (touch's sidecar) on OPFS.
//
// puppeteer-core needs Node ≥ 22, so this runs in the Node 24 run; the other
// runs skip it, saying why. .ci/run installs Chromium and sets
// BUCKETCACHE_BROWSER_REQUIRED=1, which turns a missing browser into a failure.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OpfsFileSystem } from "../opfs.ts";
import * as portable from "../src/fs/_portable.ts";
import { isTemporaryName, temporaryPathFor } from "../src/fs/_temp.ts";
import { type BundleRun, checkBundleRun } from "./golden/check_run.ts";

const required = process.env.BUCKETCACHE_BROWSER_REQUIRED === "1";

describe("the browser and KV adapters' temporary names are the library's", () => {
  test("each helper accepts the other's names, and the same others", () => {
    for (let i = 0; i < 50; i++) {
      const ours = portable.temporaryNameFor(`entry${i}.sclone`);
      assert.equal(isTemporaryName(ours), true, ours);
      const theirs = temporaryPathFor(`/cache/ab/entry${i}.sclone`);
      assert.equal(portable.isTemporaryName(theirs.slice(theirs.lastIndexOf("/") + 1)), true);
      assert.equal(portable.isTemporaryName(`ab/${ours}`), true);
    }
    for (
      const name of ["a.sclone", ".a.sclone.tmp", ".a.0123456789abcdeg.tmp", ".layout", "ab/x"]
    ) {
      assert.equal(portable.isTemporaryName(name), isTemporaryName(name), name);
    }
  });
});

describe("OpfsFileSystem outside a browser", () => {
  test("reports that OPFS is missing and names what to do, on first use", async () => {
    assert.equal(OpfsFileSystem.available(), false);
    const fs = new OpfsFileSystem();
    await assert.rejects(fs.readFile("/cache/x"), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /navigator\.storage\.getDirectory/);
      assert.match(error.message, /pass another fs adapter/);
      return true;
    });
    assert.throws(() => new OpfsFileSystem({ root: undefined, lock: "x" } as never), TypeError);
    assert.throws(() => new OpfsFileSystem({ lockPrefix: "-x" }), /lockPrefix/);
  });
});

interface TestResult {
  name: string;
  outcome: "pass" | "fail" | "skip";
  ms: number;
  error?: string;
}

type Memo = {
  calls: number;
  value: { word: string; length: number; computedAt: number; tags: string[] };
  sameTwice: boolean;
  files: string[];
  error?: string;
};
type Race = {
  rounds: number;
  removed: number;
  kept: number;
  lost: number[];
  creations: number;
  notExactlyOne: number[];
  error: string;
};
type Budget = {
  three: number;
  threeKept: number;
  entries: number;
  newest: number;
  oldest: unknown;
  error?: string;
};

/** An outcome, or the error that kept it from being had. */
type Got<T> = { ok: true; value: T } | { ok: false; error: unknown };
const got = async <T>(run: () => Promise<T>): Promise<Got<T>> => {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
};
const unwrap = <T>(outcome: Got<T>): T => {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
};

/**
 * Everything runs in the browser first, while this module loads (node:test
 * may end the file's root test, and its hooks, before top-level awaits are
 * done); the tests declared afterwards check what was collected.
 */
async function browserSuite(): Promise<void> {
  const { bundle, bundleLibraryUser, buildErrors } = await import("./browser/_bundle.ts");
  const { htmlFor, script, startChromium, workerHtmlFor } = await import("./browser/_chromium.ts");

  // The adapter itself must bundle for a browser as it is: no node: import at all.
  let adapterError: string[] | undefined;
  try {
    await bundle("opfs.ts", "browser", false);
  } catch (error) {
    adapterError = buildErrors(error);
  }
  test("./opfs bundles for the browser with no node: import and no stand-ins", () => {
    assert.equal(adapterError, undefined, adapterError?.join("\n"));
  });

  const bundles = await got(async () => ({
    contract: await bundle("tests/browser/contract_page.ts", "browser"),
    memo: await bundleLibraryUser("tests/browser/memo_page.ts", "browser"),
    race: await bundle("tests/browser/race_page.ts", "browser"),
    raceWorker: await bundle("tests/browser/race_worker.ts", "browser"),
    // The library as a user's bundler sees it: no stand-ins (a node: import fails the build).
    golden: await bundle("tests/browser/golden_page.ts", "browser", false),
  }));
  if (!bundles.ok) {
    test("the browser test pages bundle", () => {
      throw new Error(buildErrors(bundles.error).join("\n"));
    });
    return;
  }
  const { contract, memo, race, raceWorker, golden } = bundles.value;
  const coreImports = memo.coreNodeImports.map((i) => `${i.module} (${i.importer})`);
  const modules = [...new Set(memo.coreNodeImports.map((i) => i.module))];
  test(
    memo.standIns
      ? `a Bucket bundles for the browser only with test stand-ins for the core's ${
        modules.join(", ")
      } (the memo pages run on them)`
      : "a Bucket on OPFS bundles for the browser as is: no node: import, no stand-in",
    () => {
      // Reported, not failed: the core's node-free import path is tested on its own.
      if (memo.standIns) {
        console.log(`core node: imports: ${coreImports.join(", ")}`);
        console.log(`without stand-ins: ${memo.plainErrors.join("; ")}`);
      }
    },
  );

  const started = await got(() =>
    startChromium({
      "/contract.html": htmlFor("/contract.js"),
      "/contract-worker.html": workerHtmlFor("/contract.js"),
      "/contract.js": script(contract.code),
      "/memo.html": htmlFor("/memo.js"),
      "/memo-worker.html": workerHtmlFor("/memo.js"),
      "/memo.js": script(memo.code),
      "/race.html": htmlFor("/race.js"),
      "/race.js": script(race.code),
      "/race_worker.js": script(raceWorker.code),
      "/golden.html": htmlFor("/golden.js"),
      "/golden-worker.html": workerHtmlFor("/golden.js"),
      "/golden.js": script(golden.code),
    })
  );
  if (!started.ok) {
    test(`Chromium starts (${process.env.BUCKETCACHE_CHROMIUM ?? "/usr/bin/chromium"})`, () => {
      throw started.error;
    });
    return;
  }
  const chromium = started.value;

  /** Loads a page (or reloads `reuse`) and waits for what it leaves in globalThis.__results. */
  const results = async <T>(path: string, timeout = 400_000): Promise<T> => {
    const page = await chromium.newPage();
    try {
      await page.goto(chromium.origin + path);
      await page.waitForFunction("globalThis.__results !== undefined", { timeout, polling: 100 });
      return await page.evaluate<T>("globalThis.__results");
    } catch (error) {
      throw new Error(`${path}: ${String(error)}\n${chromium.log.slice(-20).join("\n")}`);
    } finally {
      await page.close().catch(() => {});
    }
  };

  let contractRuns: [string, Got<TestResult[]>][];
  let raceOutcome: Got<Race>;
  let memoOutcome: Got<{ first: Memo; reloaded: Memo; worker: Memo }>;
  let budgetOutcome: Got<Budget>;
  let goldenRuns: [string, Got<BundleRun>][];
  try {
    goldenRuns = [
      ["page", await got(() => results<BundleRun>("/golden.html", 60_000))],
      ["web worker", await got(() => results<BundleRun>("/golden-worker.html", 60_000))],
    ];
    contractRuns = [
      ["page", await got(() => results<TestResult[]>("/contract.html"))],
      ["web worker", await got(() => results<TestResult[]>("/contract-worker.html"))],
    ];
    raceOutcome = await got(() => results<Race>("/race.html"));
    memoOutcome = await got(async () => {
      const page = await chromium.newPage();
      const load = async (reload: boolean) => {
        if (reload) await page.reload();
        else await page.goto(`${chromium.origin}/memo.html`);
        await page.waitForFunction("globalThis.__results !== undefined", { timeout: 60_000 });
        return await page.evaluate<Memo>("globalThis.__results");
      };
      try {
        const first = await load(false);
        const reloaded = await load(true);
        return { first, reloaded, worker: await results<Memo>("/memo-worker.html", 60_000) };
      } finally {
        await page.close().catch(() => {});
      }
    });
    budgetOutcome = await got(() => results<Budget>("/memo.html?budget", 120_000));
  } finally {
    await chromium.close();
  }

  // The contract suite in the page and in a worker: one test here per test there.
  for (const [where, run] of contractRuns) {
    describe(`in headless Chromium (${where})`, () => {
      if (!run.ok) {
        test(`the contract suite runs in a ${where}`, () => {
          throw run.error;
        });
        return;
      }
      const ran = run.value;
      test(`the ${where} ran the contract suite: ${ran.length} tests`, () => {
        assert.ok(ran.length >= 40, `only ${ran.length} tests ran`);
        assert.ok(ran.some((r) => /without move\(\)/.test(r.name)), "the no-move() variant ran");
      });
      for (const result of ran) {
        test(result.name, { skip: result.outcome === "skip" }, () => {
          if (result.outcome === "fail") assert.fail(result.error);
        });
      }
    });
  }

  describe("the golden key vectors in headless Chromium, the library bundled as is", () => {
    for (const [where, run] of goldenRuns) {
      test(`in a ${where}: key bytes, SHA-256 and file names equal node:crypto's and Web Crypto's; a Bucket on MemoryFileSystem`, async () => {
        const count = await checkBundleRun(unwrap(run), `Chromium ${where}`, { webCrypto: true });
        assert.ok(count >= 30, `${count} vectors`);
      });
    }
  });

  describe("OPFS across agents, and a Bucket on OPFS, in headless Chromium", () => {
    test("removeIfUnchanged in a page racing writes from a worker never loses the newer value", () => {
      const outcome = unwrap(raceOutcome);
      assert.equal(outcome.error, "");
      assert.equal(outcome.rounds, 40);
      assert.deepEqual(outcome.lost, [], "rounds whose newer value was lost");
    });

    test("createExclusive in a page and a worker at once: exactly one wins each time", () => {
      const outcome = unwrap(raceOutcome);
      assert.equal(outcome.error, "");
      assert.equal(outcome.creations, 30);
      assert.deepEqual(outcome.notExactlyOne, [], "rounds without exactly one creator");
    });

    test("a page memoises a call, reloads and gets a hit from OPFS; so does a worker", () => {
      const { first, reloaded, worker } = unwrap(memoOutcome);
      assert.equal(first.error, undefined, first.error);
      assert.equal(first.calls, 1, "computed on the first load");
      assert.equal(first.sameTwice, true, "the second call in the page is a memory hit");
      assert.deepEqual(first.value.tags, ["a", "b"]);
      assert.ok(
        first.files.some((f) => /^[0-9a-f]{2}\/[0-9a-f]{64}\.sclone$/.test(f)),
        `an entry file in a shard: ${first.files}`,
      );
      assert.equal(reloaded.error, undefined, reloaded.error);
      assert.equal(reloaded.calls, 0, "after the reload the value came from OPFS");
      assert.deepEqual(reloaded.value, first.value);
      assert.equal(worker.error, undefined, worker.error);
      assert.equal(worker.calls, 0, "a worker of the origin read the page's entry");
      assert.deepEqual(worker.value, first.value);
    });

    test("a size budget on OPFS evicts the least recently used (recency from touch)", () => {
      const outcome = unwrap(budgetOutcome);
      assert.equal(outcome.error, undefined, outcome.error);
      assert.equal(outcome.three, 3);
      assert.ok(outcome.entries <= 5, `${outcome.entries} entries left`);
      assert.equal(outcome.newest, 11, "the newest entry is kept");
      assert.equal(outcome.threeKept, 3, "the entry read just before is kept");
      assert.equal(outcome.oldest, undefined, "the oldest entry is evicted");
    });
  });
}

const { browserSkipReason } = await import("./browser/_chromium.ts");
const skipReason = browserSkipReason();

if (skipReason !== undefined && !(required && skipReason.startsWith("no Chromium"))) {
  test(`OPFS in headless Chromium (skipped: ${skipReason})`, { skip: true }, () => {});
} else if (skipReason !== undefined) {
  test("Chromium required (BUCKETCACHE_BROWSER_REQUIRED=1)", () => {
    assert.fail(`${skipReason}: .ci/run should have installed it`);
  });
} else {
  await browserSuite();
}
