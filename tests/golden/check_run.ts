// Checks what tests/fixtures/bundle_entry.ts's run() returned in an
// environment without node:crypto (a process with the globals hidden, headless
// Chromium, workerd): the golden key bytes and their SHA-256, file names equal
// to node:crypto's here and to the environment's own Web Crypto, the POSIX path
// fallbacks, a Bucket on MemoryFileSystem and the TypeError without `fs`.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DefaultKeyMaker, StructuredCloneBackend } from "../../mod.ts";
import { goldenKeyValues } from "./key_values.ts";

/** One golden vector as run() computed it. */
interface RunVector {
  name: string;
  hex: string;
  sha256: string;
  fileName: string;
  webCrypto?: string;
}

/** What run() returns (JSON). */
export interface BundleRun {
  nativeKeyHashing: boolean;
  nativePath: boolean;
  golden: RunVector[];
  webCrypto: boolean;
  noFs?: string;
  path: string;
  files: string[];
  got: unknown;
  memoized: unknown[];
  error?: string;
}

/**
 * Asserts everything run() reports; `where` names the environment in messages.
 * Returns how many vectors were checked.
 */
export async function checkBundleRun(
  out: BundleRun,
  where: string,
  { webCrypto }: { webCrypto: boolean },
): Promise<number> {
  assert.equal(out.error, undefined, `${where}: ${out.error}`);
  assert.equal(out.nativeKeyHashing, false, `${where}: the JavaScript SHA-256 hashed the keys`);
  assert.equal(out.nativePath, false, `${where}: the POSIX path fallbacks were used`);
  assert.equal(out.webCrypto, webCrypto, `${where}: crypto.subtle present`);

  const vectors: { name: string; hex: string; sha256: string }[] = JSON.parse(
    await readFile(new URL("./keys.json", import.meta.url), "utf8"),
  );
  const keys = new DefaultKeyMaker();
  const prefix = new TextEncoder().encode(new StructuredCloneBackend().identity);
  assert.equal(out.golden.length, vectors.length, `${where}: every vector computed`);
  for (const [index, vector] of vectors.entries()) {
    const got = out.golden[index];
    assert.equal(got.name, vector.name);
    assert.equal(got.hex, vector.hex, `${where}, ${vector.name}: key bytes`);
    assert.equal(got.sha256, vector.sha256, `${where}, ${vector.name}: SHA-256`);
    const bytes = keys.makeKey(goldenKeyValues[index][1]()) as Uint8Array;
    const fileName = createHash("sha256").update(prefix).update(new Uint8Array([0])).update(bytes)
      .digest("hex");
    assert.equal(got.fileName, fileName, `${where}, ${vector.name}: file name`);
    if (webCrypto) {
      assert.equal(got.webCrypto, fileName, `${where}, ${vector.name}: Web Crypto's SHA-256`);
    }
  }

  assert.match(out.noFs ?? "", /^TypeError: .*Pass an fs adapter/, where);
  assert.match(out.noFs ?? "", /MemoryFileSystem/, where);
  assert.equal(
    out.path,
    "/cache",
    `${where}: a relative path resolves against / where there is no working directory`,
  );
  assert.deepEqual(out.files, [
    ".bucketcache-layout",
    "36/36c5a4ae21e4efd315bbcaf4e6669a7ab8296474cf0532f2572fd2cd228c8433.sclone",
  ], where);
  assert.deepEqual(out.got, { hello: "world" }, where);
  assert.deepEqual(out.memoized, [49, 49, 1], where);
  return vectors.length;
}
