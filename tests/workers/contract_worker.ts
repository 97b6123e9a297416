// A Worker that runs the FileSystem contract suite (and KV-specific checks)
// on WorkersKVFileSystem over its KV binding, inside workerd, on the small
// node:test stand-in; GET /contract answers with the results as JSON.
// Bundled by tests/workers_kv.test.ts and run through miniflare, without
// nodejs_compat: the adapter must need no Node built-in.

import { run } from "../browser/shims/node_test.ts";
import { Buffer } from "../browser/shims/node_buffer.ts";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { testFileSystem } from "../helpers/fs_contract.ts";
import { collect } from "../helpers/temp.ts";
import { WorkersKVFileSystem, type WorkersKVNamespace } from "../../workers-kv.ts";

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;

const encode = (text: string) => new TextEncoder().encode(text);

function declare(kv: WorkersKVNamespace): void {
  testFileSystem(
    "WorkersKVFileSystem (workerd)",
    () => new WorkersKVFileSystem(kv, { prefix: "contract:" }),
    { makeDir: () => Promise.resolve("/contract"), directories: false },
  );

  describe("WorkersKVFileSystem in workerd", () => {
    test("keys are prefix + path; metadata holds size, time and write", async () => {
      const fs = new WorkersKVFileSystem(kv, { prefix: "meta:" });
      const before = Date.now();
      await fs.writeFileAtomic("/cache/ab/x.sclone", encode("hello"));
      const { keys } = await kv.list({ prefix: "meta:" });
      assert.deepEqual(keys.map((k) => k.name), ["meta:/cache/ab/x.sclone"]);
      const metadata = keys[0].metadata as { size: number; mtimeMs: number; write: string };
      assert.equal(metadata.size, 5);
      assert.ok(metadata.mtimeMs >= before - 1000 && metadata.mtimeMs <= Date.now() + 1000);
      assert.match(metadata.write, /^[0-9a-f]{16}$/);
      assert.equal(keys[0].expiration, undefined, "no expiry without expiresAt");
    });

    test("an expiry sooner than KV's 60 s minimum is rounded up to it; later ones kept", async () => {
      const fs = new WorkersKVFileSystem(kv, { prefix: "ttl:" });
      const now = Date.now();
      await fs.writeFileAtomic("/soon", encode("x"), { expiresAt: now + 1000 });
      await fs.writeFileAtomic("/past", encode("x"), { expiresAt: now - 5000 });
      await fs.writeFileAtomic("/later", encode("x"), { expiresAt: now + 7_200_500 });
      const { keys } = await kv.list({ prefix: "ttl:" });
      const expiration = Object.fromEntries(keys.map((k) => [k.name, k.expiration]));
      const minimum = Math.floor(now / 1000) + 60;
      assert.ok(expiration["ttl:/soon"]! >= minimum, `soon: ${expiration["ttl:/soon"]}`);
      assert.ok(expiration["ttl:/soon"]! <= minimum + 4);
      assert.ok(expiration["ttl:/past"]! >= minimum, "an expiry in the past too");
      assert.equal(expiration["ttl:/later"], Math.ceil((now + 7_200_500) / 1000));
    });

    test("touch writes a sidecar key, hidden from listings, removed with the file", async () => {
      const fs = new WorkersKVFileSystem(kv, { prefix: "touch:" });
      await fs.writeFileAtomic("/d/f", encode("x"), { expiresAt: Date.now() + 3_600_000 });
      assert.equal(await fs.touch("/d/f", Date.UTC(2020, 0, 1)), true);
      assert.equal((await fs.stat("/d/f"))!.mtimeMs, Date.UTC(2020, 0, 1));
      const { keys } = await kv.list({ prefix: "touch:" });
      assert.deepEqual(keys.map((k) => k.name).sort(), ["touch:/d/f", "touch:/d/f//mtime"]);
      assert.equal(keys[0].expiration, keys[1].expiration, "the sidecar expires with the file");
      assert.deepEqual(await collect(fs.list("/d", { recursive: true, includeTemporary: true })), [
        "f",
      ]);
      await fs.writeFileAtomic("/d/f", encode("y"));
      assert.ok(Date.now() - (await fs.stat("/d/f"))!.mtimeMs < 60_000, "a new write is recent");
      assert.equal(await fs.remove("/d/f"), true);
      assert.deepEqual((await kv.list({ prefix: "touch:" })).keys, []);
    });

    test("a listing of more than 1000 keys follows the cursor", async () => {
      const fs = new WorkersKVFileSystem(kv, { prefix: "many:" });
      const names: string[] = [];
      for (let i = 0; i < 1100; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => {
            const name = `f${String(i + j).padStart(4, "0")}`;
            names.push(name);
            return fs.writeFileAtomic(`/m/${name}`, encode(name));
          }),
        );
      }
      assert.deepEqual((await collect(fs.list("/m"))).sort(), names.sort());
    });

    test("KV's limits are refused before anything is sent", async () => {
      const fs = new WorkersKVFileSystem(kv, { prefix: "limits:" });
      await assert.rejects(
        fs.writeFileAtomic("/too/big", new Uint8Array(25 * 1024 * 1024 + 1)),
        (error: Error) => error instanceof RangeError && /25 MiB/.test(error.message),
      );
      await assert.rejects(fs.writeFileAtomic(`/${"k".repeat(510)}`, encode("x")), RangeError);
      await fs.writeFileAtomic("/max", new Uint8Array(25 * 1024 * 1024));
      assert.equal((await fs.stat("/max"))!.size, 25 * 1024 * 1024);
      assert.deepEqual((await kv.list({ prefix: "limits:" })).keys.map((k) => k.name), [
        "limits:/max",
      ]);
      await fs.remove("/max");
    });
  });
}

export default {
  async fetch(request: Request, env: { KV: WorkersKVNamespace }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/contract") return new Response("not found", { status: 404 });
    try {
      declare(env.KV);
      return Response.json(await run());
    } catch (error) {
      return Response.json(
        [{ name: "the Worker", outcome: "fail", ms: 0, error: String(error) }],
        { status: 500 },
      );
    }
  },
};
