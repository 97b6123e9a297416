// The import path without Node built-ins (issue 18): the JavaScript
// fallbacks used where a runtime has no node:path, node:url, node:crypto or
// node:fs give the same answers as the built-ins, the golden key vectors and
// file names come out of the fallback SHA-256 unchanged, and where there is
// no disk a bucket without `fs` is a TypeError naming the adapters to pass.
// Runs in every runtime (Deno, Bun, Node).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import nodePath from "node:path";
import { fileURLToPath as nodeFileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import {
  Bucket,
  DefaultKeyMaker,
  JSONBackend,
  MemoryFileSystem,
  NodeFileSystem,
  StreamingDefaultKeyMaker,
  StructuredCloneBackend,
} from "../mod.ts";
import { builtin } from "../src/fs/builtins.ts";
import * as path from "../src/fs/path.ts";
import { posixPath } from "../src/fs/path.ts";
import { Sha256 } from "../src/keys/sha256.ts";
import {
  fallbackKeyHashing,
  hashKeyBytes,
  hashKeyChunks,
  hashPrefix,
  nativeKeyHashing,
} from "../src/keys/hash.ts";
import { fileSystemFor, noDiskAdapterError, probeRuntime } from "../src/fs/detect.ts";
import { sameBytes } from "../src/fs/_remove.ts";
import { goldenKeyValues } from "./golden/key_values.ts";

const posix = nodePath.posix;
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const nodeSha = (...parts: Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/** Path-like strings: segments of names, dots and slashes. */
const pathString = fc.array(fc.constantFrom("a", "bc", ".", "..", "...", "/", "//", ".a", "a."), {
  maxLength: 8,
}).map((parts) => parts.join(""));

describe("builtins", () => {
  test("reaches node: modules through process.getBuiltinModule, undefined without it", () => {
    assert.equal(typeof builtin<typeof nodePath>("node:path")?.join, "function");
    assert.equal(builtin("node:no-such-module"), undefined);
    assert.equal(builtin("node:path", {}), undefined);
    assert.equal(builtin("node:path", { process: {} }), undefined);
    assert.equal(
      builtin("node:path", {
        process: {
          getBuiltinModule() {
            throw new Error("refused");
          },
        },
      }),
      undefined,
    );
  });
});

describe("paths: node:path where the runtime has it, POSIX fallbacks elsewhere", () => {
  test("the runtime's own functions are used here (exact behaviour, Windows included)", () => {
    assert.equal(path.nativePath, true);
    assert.equal(path.join, nodePath.join);
    assert.equal(path.resolve, nodePath.resolve);
    assert.equal(path.dirname, nodePath.dirname);
    assert.equal(path.basename, nodePath.basename);
    assert.equal(
      path.fileURLToPath(pathToFileURL("/tmp/a b")),
      nodeFileURLToPath("file:///tmp/a%20b"),
    );
  });

  test("examples match path.posix", () => {
    const cases = [
      "",
      "/",
      "//",
      "///a",
      "a",
      "a/",
      "a//b",
      "./a",
      "../a",
      "a/../..",
      "/..",
      "/a/b/..",
      ".",
      "..",
      "./",
      "a/./b/.",
      "...",
      ".a/..b",
      "/a/b/c/",
    ];
    for (const p of cases) {
      assert.equal(posixPath.normalize(p), posix.normalize(p), `normalize(${JSON.stringify(p)})`);
      assert.equal(posixPath.dirname(p), posix.dirname(p), `dirname(${JSON.stringify(p)})`);
      assert.equal(posixPath.basename(p), posix.basename(p), `basename(${JSON.stringify(p)})`);
      assert.equal(posixPath.join(p), posix.join(p), `join(${JSON.stringify(p)})`);
      assert.equal(posixPath.resolve(p), posix.resolve(p), `resolve(${JSON.stringify(p)})`);
      assert.equal(posixPath.join("x", p, "y"), posix.join("x", p, "y"));
      assert.equal(posixPath.resolve("/root", p), posix.resolve("/root", p));
    }
    assert.equal(posixPath.join(), ".");
    assert.equal(posixPath.join("", ""), ".");
    assert.equal(posixPath.join("/cache", "2d", "2d6e.sclone"), "/cache/2d/2d6e.sclone");
    assert.throws(() => posixPath.join(1 as unknown as string), TypeError);
  });

  test("random paths match path.posix (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(pathString, { maxLength: 4 }), (parts) => {
        assert.equal(posixPath.join(...parts), posix.join(...parts));
        assert.equal(posixPath.resolve(...parts), posix.resolve(...parts));
        for (const p of parts) {
          assert.equal(posixPath.normalize(p), posix.normalize(p));
          assert.equal(posixPath.dirname(p), posix.dirname(p));
          assert.equal(posixPath.basename(p), posix.basename(p));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("fileURLToPath's fallback decodes file: URLs as Node does on POSIX", () => {
    const urls = [
      "file:///tmp/cache",
      "file:///tmp/a%20b/c",
      "file:///tmp/%C3%A9t%C3%A9",
      "file://localhost/etc/x",
      "file:///a/b/../c/",
      "file:///tmp/100%25",
    ];
    for (const url of urls) {
      assert.equal(posixPath.fileURLToPath(url), nodeFileURLToPath(url), url);
      assert.equal(posixPath.fileURLToPath(new URL(url)), nodeFileURLToPath(new URL(url)), url);
    }
    assert.throws(() => posixPath.fileURLToPath("https://example.com/a"), TypeError);
    assert.throws(() => posixPath.fileURLToPath("file:///a%2fb"), TypeError);
    assert.throws(() => posixPath.fileURLToPath("file://host/a"), TypeError);
  });
});

describe("SHA-256 in JavaScript (the fallback without node:crypto)", () => {
  const text = (s: string) => new TextEncoder().encode(s);

  test("FIPS 180-4 examples", () => {
    assert.equal(
      new Sha256().digest(),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(
      new Sha256().update(text("abc")).digest(),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      new Sha256().update(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
        .digest(),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    const million = new Sha256();
    const chunk = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) million.update(chunk);
    assert.equal(
      million.digest(),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  test("every length around the block and padding boundaries, and any chunking, match node:crypto", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + 7) & 0xff);
    for (let length = 0; length <= 300; length++) {
      const bytes = data.subarray(0, length);
      assert.equal(new Sha256().update(bytes).digest(), nodeSha(bytes), `length ${length}`);
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(600), { maxLength: 6 }),
        (bytes, cuts) => {
          const hash = new Sha256();
          let at = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            hash.update(bytes.subarray(at, Math.max(at, cut)));
            at = Math.max(at, cut);
          }
          hash.update(bytes.subarray(at));
          assert.equal(hash.digest(), nodeSha(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a digest is taken once", () => {
    const hash = new Sha256();
    hash.digest();
    assert.throws(() => hash.digest());
    assert.throws(() => hash.update(new Uint8Array(1)));
  });
});

describe("file names are the same with and without node:crypto", () => {
  test("node:crypto hashes keys here", () => {
    assert.equal(nativeKeyHashing, true);
  });

  test("the golden key vectors through the fallback SHA-256", async () => {
    const vectors: { name: string; hex: string; sha256: string }[] = JSON.parse(
      await readFile(new URL("./golden/keys.json", import.meta.url), "utf8"),
    );
    assert.equal(vectors.length, goldenKeyValues.length);
    const keys = new DefaultKeyMaker();
    for (const [index, [name, make]] of goldenKeyValues.entries()) {
      const vector = vectors[index];
      assert.equal(vector.name, name);
      const bytes = keys.makeKey(make());
      assert.deepEqual(bytes, fromHex(vector.hex), name);
      assert.equal(new Sha256().update(bytes).digest(), vector.sha256, name);
      for (const identity of ["StructuredCloneBackend", "JSONBackend", ""]) {
        const prefix = hashPrefix(identity);
        const native = hashKeyBytes(prefix, bytes);
        assert.equal(fallbackKeyHashing.hashKeyBytes(prefix, bytes), native, `${name} ${identity}`);
        assert.equal(native, nodeSha(prefix, new Uint8Array([0]), bytes));
        assert.equal(
          await fallbackKeyHashing.hashKeyChunks(prefix, [bytes.subarray(0, 5), bytes.subarray(5)]),
          native,
        );
      }
    }
  });

  test("pinned file names, native and fallback, for bytes and for streams", async () => {
    const keys = new DefaultKeyMaker();
    const streaming = new StreamingDefaultKeyMaker();
    const pinned: [string, unknown, string][] = [
      [
        new StructuredCloneBackend().identity,
        { user: 42 },
        "36c5a4ae21e4efd315bbcaf4e6669a7ab8296474cf0532f2572fd2cd228c8433",
      ],
      [
        new StructuredCloneBackend().identity,
        ["a", 1, null],
        "0d635a7d86056730cd7821d21eeb729adc6821b457777c38d9c50bd226e5ff00",
      ],
      [
        new JSONBackend().identity,
        { user: 42 },
        "1e80d9bfc2aede0bcadb4652b31966a256a765f82478aec35dc696f092aa87b8",
      ],
    ];
    for (const [identity, key, name] of pinned) {
      const prefix = hashPrefix(identity);
      assert.equal(hashKeyBytes(prefix, keys.makeKey(key)), name);
      assert.equal(fallbackKeyHashing.hashKeyBytes(prefix, keys.makeKey(key)), name);
      assert.equal(await hashKeyChunks(prefix, streaming.makeKey(key)), name);
      assert.equal(await fallbackKeyHashing.hashKeyChunks(prefix, streaming.makeKey(key)), name);
    }
    const fs = new MemoryFileSystem();
    await new Bucket("/cache", { fs }).set({ user: 42 }, 1);
    const files: string[] = [];
    for await (const file of fs.list("/cache", { recursive: true })) files.push(file);
    assert.ok(files.includes(`36/${pinned[0][2]}.sclone`), files.join(", "));
  });

  test("the fallback refuses chunks that are not bytes, as the native one does", async () => {
    await assert.rejects(
      fallbackKeyHashing.hashKeyChunks(new Uint8Array(), ["text" as unknown as Uint8Array]),
      /must yield Uint8Array chunks/,
    );
  });
});

describe("removeIfUnchanged's byte comparison", () => {
  test("sameBytes compares views by content", () => {
    const a = Uint8Array.from([9, 1, 2, 3]);
    assert.equal(sameBytes(a.subarray(1), Uint8Array.from([1, 2, 3])), true);
    assert.equal(sameBytes(a.subarray(1), Uint8Array.from([1, 2, 4])), false);
    assert.equal(sameBytes(a, a.subarray(1)), false);
    assert.equal(sameBytes(new Uint8Array(), new Uint8Array()), true);
  });
});

describe("choosing the default adapter", () => {
  test("this runtime has a disk", () => {
    const probe = probeRuntime();
    assert.equal(probe.nodeFs, true);
    const isDeno = "Deno" in globalThis && !("Bun" in globalThis);
    assert.equal(probe.deno, isDeno);
    assert.equal(probe.environment, isDeno ? "deno" : "node");
    assert.equal(fileSystemFor(probe).name, isDeno ? "deno" : "node");
  });

  const noDisk = (global: object) => () => fileSystemFor(probeRuntime(global));
  const everyAdapter = [
    "MemoryFileSystem",
    "OpfsFileSystem",
    '"@bucketcache/bucketcache/opfs"',
    "WorkersKVFileSystem",
    '"@bucketcache/bucketcache/workers-kv"',
    "DenoKvFileSystem",
    '"@bucketcache/bucketcache/deno-kv"',
    "RedisFileSystem",
    '"@bucketcache/bucketcache/redis"',
  ];
  const mentionsAll = (message: string) => {
    for (const part of everyAdapter) assert.ok(message.includes(part), `${part} in: ${message}`);
    return true;
  };
  const leadsWith = (message: string, adapter: string) =>
    message.indexOf(adapter) < message.indexOf("MemoryFileSystem") &&
    message.indexOf("such as") < message.indexOf(adapter);

  test("a browser: a TypeError that says to pass OpfsFileSystem or MemoryFileSystem", () => {
    assert.throws(noDisk({ document: {}, navigator: { userAgent: "Mozilla/5.0" } }), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^In a browser there is no disk/);
      assert.match(e.message, /Pass an fs adapter/);
      assert.ok(leadsWith(e.message, "OpfsFileSystem"));
      return mentionsAll(e.message);
    });
  });

  test("a web worker: OpfsFileSystem", () => {
    assert.throws(noDisk({ WorkerGlobalScope: class {} }), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^In a web worker/);
      assert.ok(leadsWith(e.message, "OpfsFileSystem"));
      return mentionsAll(e.message);
    });
  });

  test("Cloudflare Workers: WorkersKVFileSystem, also with nodejs_compat's in-memory node:fs", () => {
    const workerd = { navigator: { userAgent: "Cloudflare-Workers" } };
    const withCompat = {
      ...workerd,
      process: { getBuiltinModule: (id: string) => builtin(id as `node:${string}`) },
    };
    for (const global of [workerd, withCompat]) {
      assert.throws(noDisk(global), (e) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /^In Cloudflare Workers/);
        assert.ok(leadsWith(e.message, "WorkersKVFileSystem"));
        return mentionsAll(e.message);
      });
    }
  });

  test("an unknown runtime: every adapter; an old Node: upgrade", () => {
    assert.throws(noDisk({}), (e) => e instanceof TypeError && mentionsAll(e.message));
    assert.throws(noDisk({ process: { versions: { node: "20.11.0" } } }), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /Node\.js 20\.11\.0 has no process\.getBuiltinModule/);
      assert.match(e.message, /upgrade Node/);
      return mentionsAll(e.message);
    });
    assert.ok(noDiskAdapterError(probeRuntime({})) instanceof TypeError);
  });

  test("a probe with node:fs (Bun, Node) gives NodeFileSystem; one with Deno's API, DenoFileSystem", () => {
    const node = { process: { getBuiltinModule: (id: string) => builtin(id as `node:${string}`) } };
    assert.ok(fileSystemFor(probeRuntime(node)) instanceof NodeFileSystem);
    assert.equal(fileSystemFor(probeRuntime({ Deno: { open() {} } })).name, "deno");
    assert.ok(
      fileSystemFor(probeRuntime({ ...node, Deno: { open() {} }, Bun: {} })) instanceof
        NodeFileSystem,
    );
  });
});
