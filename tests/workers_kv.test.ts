// WorkersKVFileSystem: the FileSystem contract suite and KV-specific checks,
//
// - in every runtime, on an in-memory stand-in of a KV namespace with KV's
//   limits (tests/workers/fake_kv.ts), plus rate-limit retries and options;
// - in the real Workers runtime, workerd, through miniflare (no network, no
//   nodejs_compat): the Worker bundled with esbuild runs the contract suite
//   against a real KV binding, and a Worker memoises a call across two
//   requests and across a restart of workerd with the same KV storage; a
//   Worker computes the golden key vectors and file names (no node:crypto).
//
// miniflare needs Node ≥ 22, so the workerd part runs in the Node 24 run;
// the other runs skip it, saying why.
//
// What of the contract KV's semantics leave out: the directory tests (KV
// has none: `directories: false`, as for Redis) and the on-disk tests
// (links, FIFOs, descriptors). The race tests run in one isolate, where the
// adapter makes writes and conditional removals of a key take turns; across
// isolates and locations KV offers no compare-and-delete, and miniflare's
// single local store (strongly consistent) cannot show KV's eventual
// consistency, so neither is tested here.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkersKVFileSystem } from "../workers-kv.ts";
import { FakeKVNamespace } from "./workers/fake_kv.ts";
import { testFileSystem } from "./helpers/fs_contract.ts";
import { collect, runtime } from "./helpers/temp.ts";
import { Bucket } from "../mod.ts";
import { type BundleRun, checkBundleRun } from "./golden/check_run.ts";

const encode = (text: string) => new TextEncoder().encode(text);

testFileSystem(
  "WorkersKVFileSystem on an in-memory KV stand-in",
  () => new WorkersKVFileSystem(new FakeKVNamespace()),
  { makeDir: () => Promise.resolve("/contract"), directories: false },
);

describe("WorkersKVFileSystem on the KV stand-in", () => {
  test("a write refused for KV's rate limit (429) is retried, then gives up", async () => {
    const kv = new FakeKVNamespace();
    const fs = new WorkersKVFileSystem(kv, { retries: 2, retryDelayMs: 1 });
    kv.rateLimited = 2;
    await fs.writeFileAtomic("/a", encode("x"));
    assert.deepEqual(await fs.readFile("/a"), encode("x"));
    assert.equal(kv.puts.length, 3);
    kv.rateLimited = 3;
    await assert.rejects(fs.writeFileAtomic("/a", encode("y")), /429/);
    assert.deepEqual(await fs.readFile("/a"), encode("x"));
  });

  test("expirations: whole seconds, at least KV's 60 s (plus 2 s) from now", async () => {
    const kv = new FakeKVNamespace();
    const fs = new WorkersKVFileSystem(kv);
    const now = Date.now();
    await fs.writeFileAtomic("/soon", encode("x"), { expiresAt: now + 10 });
    await fs.writeFileAtomic("/later", encode("x"), { expiresAt: now + 3_600_001 });
    await fs.writeFileAtomic("/never", encode("x"), { expiresAt: null });
    const expiration = (key: string) => kv.store.get(`bucketcache:${key}`)!.expiration;
    assert.ok(expiration("/soon")! >= Math.floor(now / 1000) + 62);
    assert.equal(expiration("/later"), Math.ceil((now + 3_600_001) / 1000));
    assert.equal(expiration("/never"), undefined);
  });

  test("paths are normalised keys under the prefix; a prefix with '/' is refused", async () => {
    const kv = new FakeKVNamespace();
    const fs = new WorkersKVFileSystem(kv, { prefix: "app:" });
    await fs.writeFileAtomic("/x//cache/f", encode("x"));
    assert.deepEqual([...kv.store.keys()], ["app:/x/cache/f"]);
    assert.deepEqual(await collect(fs.list("/x/cache/")), ["f"]);
    await assert.rejects(fs.readFile("x/cache/f"), /must be absolute/);
    assert.throws(() => new WorkersKVFileSystem(kv, { prefix: "a/b" }), /without "\/"/);
    assert.throws(() => new WorkersKVFileSystem({} as never), /KV namespace binding/);
    assert.throws(() => new WorkersKVFileSystem(kv, { prefx: "" } as never), /Unknown/);
    assert.throws(() => new WorkersKVFileSystem(kv, { retries: -1 }), RangeError);
    assert.deepEqual(fs.capabilities, { directories: false });
  });

  test("removeIfUnchanged leaves a value another isolate wrote after the comparison", async () => {
    // Another isolate's write (same bytes, a new write id) lands between this
    // adapter's read of the value and its check of the write id.
    const kv = new FakeKVNamespace();
    const fs = new WorkersKVFileSystem(kv);
    await fs.writeFileAtomic("/r", encode("judged"));
    const realGet = kv.getWithMetadata.bind(kv);
    let calls = 0;
    kv.getWithMetadata = async (key, options) => {
      const result = await realGet(key, options);
      if (++calls === 1) {
        const metadata = { size: 6, mtimeMs: Date.now(), write: "00000000000000ff" };
        await kv.put(key, encode("judged"), { metadata });
      }
      return result;
    };
    assert.equal(await fs.removeIfUnchanged("/r", encode("judged")), false);
    assert.deepEqual(await fs.readFile("/r"), encode("judged"));
  });

  test("adapters of one isolate take turns per key: a removal never loses a newer write", async () => {
    const kv = new FakeKVNamespace();
    for (let round = 0; round < 30; round++) {
      const remover = new WorkersKVFileSystem(kv); // a Worker often makes one per request
      const writer = new WorkersKVFileSystem(kv);
      const judged = encode(`judged ${round}`);
      await remover.writeFileAtomic("/k", judged);
      await Promise.all([
        remover.removeIfUnchanged("/k", judged),
        writer.writeFileAtomic("/k", encode(`newer ${round}`)),
      ]);
      assert.deepEqual(await writer.readFile("/k"), encode(`newer ${round}`), `round ${round}`);
    }
  });

  test("a bucket with a size budget on KV: recency from touch's sidecar", async () => {
    const kv = new FakeKVNamespace();
    const fs = new WorkersKVFileSystem(kv);
    const bucket = new Bucket("/budget", { fs });
    for (let i = 0; i < 30; i++) await bucket.set(i, i);
    const result = await bucket.evict({ maxEntries: 10 });
    assert.equal(result.usage.entries, 9);
    assert.equal(await new Bucket("/budget", { fs, memory: false }).get(29), 29);
  });
});

interface TestResult {
  name: string;
  outcome: "pass" | "fail" | "skip";
  ms: number;
  error?: string;
}

/** Why workerd cannot run here, or `undefined`. */
function workerdSkipReason(): string | undefined {
  if (runtime !== "node") return `runs in the Node 24 run: miniflare is a package for Node ≥ 22`;
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) return `runs in the Node 24 run: miniflare needs Node ≥ 22, this is ${major}`;
  return undefined;
}

interface MiniflareInstance {
  dispatchFetch(url: string): Promise<{ status: number; json(): Promise<unknown> }>;
  getKVNamespace(name: string): Promise<{
    list(options?: { prefix?: string }): Promise<{
      keys: { name: string; expiration?: number; metadata?: unknown }[];
    }>;
  }>;
  dispose(): Promise<void>;
}

type MiniflareClass = new (options: Record<string, unknown>) => MiniflareInstance;

const skipReason = workerdSkipReason();
if (skipReason !== undefined) {
  test(`WorkersKVFileSystem in workerd (skipped: ${skipReason})`, { skip: true }, () => {});
} else {
  await workerdSuite();
}

/** Runs everything in workerd while the module loads; the tests then check what came back. */
async function workerdSuite(): Promise<void> {
  const { bundle, bundleLibraryUser, buildErrors } = await import("./browser/_bundle.ts");
  const name = ["mini", "flare"].join("");
  const { Miniflare } = await import(name) as { Miniflare: MiniflareClass };
  const base = {
    modules: true,
    compatibilityDate: "2026-01-01",
    kvNamespaces: ["KV"],
  };

  let adapterError: string[] | undefined;
  try {
    await bundle("workers-kv.ts", "workerd", false);
  } catch (error) {
    adapterError = buildErrors(error);
  }
  test("./workers-kv bundles for workerd with no node: import and no stand-ins", () => {
    assert.equal(adapterError, undefined, adapterError?.join("\n"));
  });

  let contract: TestResult[] | Error;
  try {
    const { code } = await bundle("tests/workers/contract_worker.ts", "workerd");
    const mf = new Miniflare({ ...base, script: code });
    try {
      const response = await mf.dispatchFetch("http://worker/contract");
      contract = await response.json() as TestResult[];
    } finally {
      await mf.dispose();
    }
  } catch (error) {
    contract = error as Error;
  }

  // The golden key vectors in workerd, the library bundled as a user's bundler would (no stand-ins).
  let golden: BundleRun | Error;
  try {
    const { code } = await bundle("tests/workers/golden_worker.ts", "workerd", false);
    const mf = new Miniflare({ ...base, script: code });
    try {
      golden = await (await mf.dispatchFetch("http://worker/golden")).json() as BundleRun;
    } finally {
      await mf.dispose();
    }
  } catch (error) {
    golden = error instanceof Error ? error : new Error(buildErrors(error).join("\n"));
  }

  type Memo = {
    calls: number;
    value: { word: string; html: string; renderedAt: number };
    error?: string;
  };
  let memo:
    | {
      first: Memo;
      second: Memo;
      restarted: Memo;
      keys: { name: string; expiration?: number; metadata?: unknown }[];
      coreNodeImports: string[];
    }
    | Error;
  const persist = await mkdtemp(join(tmpdir(), "bucketcache-workerd-"));
  try {
    const built = await bundleLibraryUser("tests/workers/memo_worker.ts", "workerd");
    const start = () => new Miniflare({ ...base, script: built.code, kvPersist: persist });
    const ask = async (mf: MiniflareInstance) =>
      await (await mf.dispatchFetch("http://worker/memo?word=bucketcache")).json() as Memo;
    let mf = start();
    let first: Memo, second: Memo, keys;
    try {
      first = await ask(mf);
      second = await ask(mf);
      keys = (await (await mf.getKVNamespace("KV")).list({ prefix: "memo:" })).keys;
    } finally {
      await mf.dispose();
    }
    mf = start();
    let restarted: Memo;
    try {
      restarted = await ask(mf);
    } finally {
      await mf.dispose();
    }
    memo = {
      first,
      second,
      restarted,
      keys,
      coreNodeImports: built.standIns
        ? built.coreNodeImports.map((i) => `${i.module} (${i.importer})`)
        : [],
    };
  } catch (error) {
    memo = error as Error;
  } finally {
    await rm(persist, { recursive: true, force: true });
  }

  describe("in workerd (miniflare)", () => {
    test("the golden key vectors: key bytes, SHA-256 and file names equal node:crypto's and Web Crypto's; a Bucket on MemoryFileSystem", async () => {
      if (golden instanceof Error) throw golden;
      const count = await checkBundleRun(golden, "workerd", { webCrypto: true });
      assert.ok(count >= 30, `${count} vectors`);
    });

    if (contract instanceof Error) {
      test("the contract Worker runs", () => {
        throw contract;
      });
    } else {
      const ran = contract;
      test(`the Worker ran the contract suite: ${ran.length} tests`, () => {
        assert.ok(ran.length >= 20, `only ${ran.length} tests ran`);
      });
      for (const result of ran) {
        test(result.name, { skip: result.outcome === "skip" }, () => {
          if (result.outcome === "fail") assert.fail(result.error);
        });
      }
    }

    test(
      `a Worker memoises a call across two requests and a restart of workerd (${
        memo instanceof Error
          ? "not bundled"
          : memo.coreNodeImports.length === 0
          ? "the library bundled as is, no stand-in"
          : "the core's node: imports given test stand-ins"
      })`,
      () => {
        if (memo instanceof Error) throw memo;
        const { first, second, restarted, keys, coreNodeImports } = memo;
        if (coreNodeImports.length > 0) {
          console.log(`core node: imports given test stand-ins: ${coreNodeImports.join(", ")}`);
        }
        assert.equal(first.error, undefined, first.error);
        assert.equal(first.calls, 1, "computed in the first request");
        assert.equal(second.error, undefined, second.error);
        assert.equal(
          second.calls,
          0,
          "the second request (its own bucket, no memory layer) hit KV",
        );
        assert.deepEqual(second.value, first.value);
        assert.equal(restarted.error, undefined, restarted.error);
        assert.equal(restarted.calls, 0, "a new workerd with the same KV storage hit KV");
        assert.deepEqual(restarted.value, first.value);
        const entry = keys.find((k) =>
          /^memo:\/pages\/[0-9a-f]{2}\/[0-9a-f]{64}\.sclone$/.test(k.name)
        );
        assert.ok(entry, `an entry key: ${keys.map((k) => k.name)}`);
        const hour = Math.ceil(Date.now() / 1000) + 3600;
        assert.ok(
          entry.expiration !== undefined && Math.abs(entry.expiration - hour) < 120,
          `a KV expiration about an hour ahead (the bucket's lifetime): ${entry.expiration}`,
        );
        assert.equal((entry.metadata as { size: number }).size > 0, true);
      },
    );
  });
}
