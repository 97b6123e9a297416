// The FileSystem contract suite and OPFS-specific tests, run inside a
// browser page or a dedicated web worker (the same bundle), on the small
// node:test stand-in. The results go to globalThis.__results (page) or are
// posted to the page (worker); tests/opfs.test.ts reads them.

import { run, type TestResult } from "./shims/node_test.ts";
import { Buffer } from "./shims/node_buffer.ts";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { testFileSystem } from "../helpers/fs_contract.ts";
import { collect } from "../helpers/temp.ts";
import { OpfsFileSystem } from "../../src/fs/opfs.ts";
import { opfsDirectory, removeOpfsDirectory, withoutMove } from "./_opfs_wrappers.ts";

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;

const where = typeof document === "undefined" ? "web worker" : "page";
const tag = `${where === "page" ? "page" : "worker"}-${Date.now().toString(36)}`;
let dirs = 0;
const setup = {
  makeDir: async (fs: { mkdir(path: string): Promise<void> }) => {
    const dir = `/contract-${tag}-${dirs++}`;
    await fs.mkdir(dir);
    return dir;
  },
  removeDir: (dir: string) => removeOpfsDirectory(dir),
};

testFileSystem(`OpfsFileSystem (${where})`, () => new OpfsFileSystem(), setup);
testFileSystem(
  `OpfsFileSystem on a directory handle given as root, without move() (${where})`,
  () => new OpfsFileSystem({ root: opfsDirectory(`no-move-${tag}`).then(withoutMove) }),
  setup,
);

const encode = (text: string) => new TextEncoder().encode(text);

describe(`OpfsFileSystem specifics (${where})`, () => {
  test("temporary files have the library's form and land in the entry's directory", async () => {
    const fs = new OpfsFileSystem();
    const dir = `/specifics-${tag}`;
    await fs.mkdir(dir);
    const big = new Uint8Array(8 * 1024 * 1024);
    const writing = fs.writeFileAtomic(`${dir}/entry.sclone`, big);
    const seen = new Set<string>();
    let done = false;
    void writing.finally(() => (done = true));
    while (!done) {
      for (const name of await collect(fs.list(dir, { includeTemporary: true }))) seen.add(name);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await writing;
    for (const name of seen) {
      assert.match(name, /^(entry\.sclone|\.entry\.sclone\.[0-9a-f]{16}\.tmp)$/);
    }
    assert.deepEqual(await collect(fs.list(dir, { includeTemporary: true })), ["entry.sclone"]);
    const raw = await collect(
      (await (await opfsDirectory()).getDirectoryHandle(dir.slice(1))).entries(),
    );
    assert.deepEqual(raw.map(([name]) => name), ["entry.sclone"], "nothing else on OPFS");
  });

  test("touch keeps recency in a hidden sidecar that a write or a removal drops", async () => {
    const fs = new OpfsFileSystem();
    const dir = `/sidecar-${tag}`;
    await fs.mkdir(dir);
    const path = `${dir}/entry`;
    await fs.writeFileAtomic(path, encode("one"));
    const past = Date.UTC(2021, 5, 6);
    assert.equal(await fs.touch(path, past), true);
    assert.equal((await fs.stat(path))!.mtimeMs, past);
    assert.deepEqual(await collect(fs.list(dir, { includeTemporary: true })), ["entry"]);
    const names = async () =>
      (await collect((await (await opfsDirectory()).getDirectoryHandle(dir.slice(1))).entries()))
        .map(([name]) => name).sort();
    assert.deepEqual(await names(), [".entry.mtime", "entry"]);
    await fs.writeFileAtomic(path, encode("two"));
    assert.ok(Date.now() - (await fs.stat(path))!.mtimeMs < 60_000, "a write is recent again");
    assert.deepEqual(await names(), ["entry"]);
    await fs.touch(path, past);
    assert.equal(await fs.remove(path), true);
    assert.deepEqual(await names(), [], "the sidecar went with the file");
  });

  test("a directory removed and made again elsewhere (another tab) is looked up anew", async () => {
    const mine = new OpfsFileSystem();
    const theirs = new OpfsFileSystem();
    const dir = `/remade-${tag}`;
    await mine.mkdir(`${dir}/ab`);
    await mine.writeFileAtomic(`${dir}/ab/f`, encode("old"));
    assert.deepEqual(await mine.readFile(`${dir}/ab/f`), encode("old")); // its handles are cached
    await removeOpfsDirectory(dir);
    await theirs.mkdir(`${dir}/ab`);
    await theirs.writeFileAtomic(`${dir}/ab/f`, encode("new"));
    assert.deepEqual(await mine.readFile(`${dir}/ab/f`), encode("new"));
    assert.equal((await mine.stat(`${dir}/ab/f`))!.size, 3);
    await removeOpfsDirectory(dir);
    await theirs.mkdir(`${dir}/ab`);
    await mine.writeFileAtomic(`${dir}/ab/g`, encode("written through a stale handle"));
    assert.deepEqual(
      await theirs.readFile(`${dir}/ab/g`),
      encode("written through a stale handle"),
    );
    assert.equal(
      await mine.removeIfUnchanged(`${dir}/ab/g`, encode("written through a stale handle")),
      true,
    );
  });

  test("errors carry codes; a relative path is a TypeError", async () => {
    const fs = new OpfsFileSystem();
    await assert.rejects(fs.readFile("relative/x"), TypeError);
    await assert.rejects(fs.readFile("/"), { code: "EISDIR" });
    const dir = `/codes-${tag}`;
    await fs.mkdir(`${dir}/sub`);
    await assert.rejects(fs.readFile(`${dir}/sub`), { code: "EISDIR" });
    await assert.rejects(fs.remove(`${dir}/sub`), { code: "EISDIR" });
    assert.equal(await fs.stat(`${dir}/sub`), null, "a directory stats as no file");
    assert.throws(() => new OpfsFileSystem({ rooot: 1 } as never), /Unknown OpfsFileSystem option/);
  });
});

const results: TestResult[] = await run();
if (where === "page") {
  (globalThis as { __results?: TestResult[] }).__results = results;
} else {
  (globalThis as unknown as { postMessage(value: unknown): void }).postMessage(results);
}
