// Every bad input of the public API: the promised error class, a message that
// says what to change, and the bucket's contents unchanged afterwards.

import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Backend,
  Bucket,
  DefaultKeyMaker,
  deferredWrite,
  JSONBackend,
  MessagePackBackend,
  StreamingDefaultKeyMaker,
} from "../mod.ts";
import { makeTempDir } from "./helpers/temp.ts";
import { entryFiles } from "./helpers/bucket.ts";

type ErrorClass = typeof TypeError | typeof RangeError;
let dir: string;
let bucket: Bucket;
const stored: Record<string, unknown> = { a: { list: [1, 2] }, b: "text" };

async function snapshot(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of await entryFiles(dir)) {
    files.set(name, (await readFile(join(dir, name))).toString("hex"));
  }
  return files;
}

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

const cases: [string, () => unknown, ErrorClass, RegExp][] = [
  // paths
  ["path: empty", () => new Bucket(""), TypeError, /must not be empty/],
  ["path: a number", () => new Bucket(42 as never), TypeError, /string or a file: URL/],
  ["path: an http URL", () => new Bucket(new URL("http://example.com/")), TypeError, /file: URL/],
  [
    "path: a file, not a directory",
    () => new Bucket(join(dir, "file-not-dir", "c")).set("k", 1),
    Error,
    /ENOTDIR|not a directory/i,
  ],
  // options
  [
    "options: not an object",
    () => new Bucket("c", 5 as never),
    TypeError,
    /options must be an object/,
  ],
  [
    "options: unknown name",
    () => new Bucket("c", { hourz: 1 } as never),
    TypeError,
    /Unknown Bucket option "hourz"/,
  ],
  [
    "lifetime: and a shortcut",
    () => new Bucket("c", { lifetime: 1, hours: 1 }),
    TypeError,
    /either lifetime or shortcuts/,
  ],
  [
    "lifetime: negative",
    () => new Bucket("c", { lifetime: -1 }),
    RangeError,
    /must not be negative/,
  ],
  ["lifetime: NaN", () => new Bucket("c", { lifetime: NaN }), RangeError, /finite/],
  ["lifetime: Infinity", () => new Bucket("c", { lifetime: Infinity }), RangeError, /finite/],
  [
    "lifetime: a string",
    () => new Bucket("c", { lifetime: "1h" as never }),
    TypeError,
    /milliseconds .* or a duration/,
  ],
  [
    "lifetime: unknown part",
    () => new Bucket("c", { lifetime: { hour: 1 } as never }),
    TypeError,
    /Unknown lifetime part "hour"/,
  ],
  [
    "lifetime: negative shortcut",
    () => new Bucket("c", { days: -2 }),
    RangeError,
    /lifetime.days must not be negative/,
  ],
  [
    "lifetime: shortcut of the wrong type",
    () => new Bucket("c", { hours: "1" as never }),
    TypeError,
    /must be a number/,
  ],
  [
    "lifetime: set to a negative number",
    () => (bucket.lifetime = -5),
    RangeError,
    /must not be negative/,
  ],
  [
    "set: unknown option",
    () => bucket.set("a", 1, { lifetme: 1 } as never),
    TypeError,
    /Unknown set option "lifetme"/,
  ],
  [
    "set: negative lifetime",
    () => bucket.set("a", 1, { lifetime: -1 }),
    RangeError,
    /set lifetime must not be negative/,
  ],
  [
    "memory: negative",
    () => new Bucket("c", { memory: { maxEntries: -1 } }),
    RangeError,
    /whole number/,
  ],
  [
    "memory: unknown option",
    () => new Bucket("c", { memory: { size: 1 } as never }),
    TypeError,
    /Unknown memory option "size"/,
  ],
  [
    "memory: a string",
    () => new Bucket("c", { memory: "lots" as never }),
    TypeError,
    /true, false or/,
  ],
  // backends and config
  [
    "backend: not a Backend",
    () => new Bucket("c", { backend: class Foo {} as never }),
    TypeError,
    /Foo does not extend Backend/,
  ],
  [
    "backend: a string",
    () => new Bucket("c", { backend: "json" as never }),
    TypeError,
    /Backend subclass or an instance/,
  ],
  [
    "backend: missing members",
    () => {
      // @ts-ignore: deliberately incomplete
      class Half extends Backend {
        readonly binaryFormat = true;
      }
      return new Bucket("c", { backend: Half as never });
    },
    TypeError,
    /Half must define fileExtension/,
  ],
  [
    "config: with an instance",
    () => new Bucket("c", { backend: new JSONBackend(), config: { space: 2 } }),
    TypeError,
    /config goes with a backend class/,
  ],
  [
    "config: unknown key",
    () => new Bucket("c", { backend: JSONBackend, config: { indent: 2 } }),
    TypeError,
    /it accepts space, replacer, reviver/,
  ],
  [
    "config: for a backend that takes none",
    () => new Bucket("c", { config: { x: 1 } }),
    TypeError,
    /it takes no config/,
  ],
  [
    "config: non-standard MessagePack",
    () => new Bucket("c", { backend: MessagePackBackend, config: { useRecords: true } as never }),
    TypeError,
    /msgpackr-only/,
  ],
  [
    "config: JSON space of the wrong type",
    () => new Bucket("c", { backend: JSONBackend, config: { space: {} } }),
    TypeError,
    /space must be a string or a number/,
  ],
  [
    "keymaker: not a KeyMaker",
    () => new Bucket("c", { keymaker: {} as never }),
    TypeError,
    /makeKey/,
  ],
  [
    "keymaker: unknown option",
    () => new DefaultKeyMaker({ sort: true } as never),
    TypeError,
    /Unknown DefaultKeyMaker option "sort"/,
  ],
  [
    "keymaker: sortKeys of the wrong type",
    () => new StreamingDefaultKeyMaker({ sortKeys: 1 } as never),
    TypeError,
    /sortKeys must be true or false/,
  ],
  [
    "fs: not an adapter",
    () => new Bucket("c", { fs: { readFile() {} } as never }),
    TypeError,
    /readPrefix\(\) is missing/,
  ],
  [
    "fs: an adapter from before race-free removal",
    () => {
      const old = Object.fromEntries(
        ["readFile", "readPrefix", "writeFileAtomic", "remove", "list", "stat", "mkdir"].map(
          (m) => [m, () => {}],
        ),
      );
      return new Bucket("c", { fs: { name: "old", ...old } as never });
    },
    TypeError,
    /removeIfUnchanged\(\) is missing.*only the file that was judged/,
  ],
  // budgets
  [
    "maxSize: negative",
    () => new Bucket("c", { maxSize: -1 }),
    RangeError,
    /maxSize must be a whole number ≥ 1/,
  ],
  [
    "maxSize: a string",
    () => new Bucket("c", { maxSize: "1GB" as never }),
    TypeError,
    /maxSize must be a number of bytes/,
  ],
  [
    "maxEntries: fractional",
    () => new Bucket("c", { maxEntries: 1.5 }),
    RangeError,
    /maxEntries must be a whole number/,
  ],
  [
    "maxSize: an adapter without touch()",
    () => {
      const { touch: _, ...noTouch } = Object.fromEntries(
        [
          "readFile",
          "readPrefix",
          "writeFileAtomic",
          "remove",
          "removeIfUnchanged",
          "list",
          "stat",
          "mkdir",
        ].map((m) => [m, () => {}]),
      ) as Record<string, unknown>;
      return new Bucket("c", { fs: { name: "bare", ...noTouch } as never, maxSize: 1000 });
    },
    TypeError,
    /need an fs adapter with touch\(\).*bare has none/,
  ],
  [
    "evict: unknown option",
    () => bucket.evict({ maxSiz: 5 } as never),
    TypeError,
    /Unknown evict option "maxSiz"/,
  ],
  ["evict: no budget and no limits", () => bucket.evict(), TypeError, /pass the limits to evict/],
  [
    "evict: zero entries",
    () => bucket.evict({ maxEntries: 0 }),
    RangeError,
    /maxEntries must be a whole number ≥ 1/,
  ],
  // keys
  [
    "key: a function",
    () => bucket.get({ f: () => 1 }),
    TypeError,
    /function f at key\.f: .*leave them out/,
  ],
  ["key: a symbol", () => bucket.set([Symbol("s")], 1), TypeError, /symbol s at key\[0\]/],
  [
    "key: circular",
    () => bucket.has(cycle),
    TypeError,
    /circular structure \(the value contains itself\) at key\.self/,
  ],
  ["key: a WeakMap", () => bucket.delete(new WeakMap()), TypeError, /a WeakMap at key/],
  ["key: a Promise", () => bucket.getitem(Promise.resolve()), TypeError, /a Promise at key/],
  // values
  [
    "value: a function (structured clone)",
    () => bucket.set("a", { run() {} }),
    TypeError,
    /cannot store a function \(run\) at value\.run/,
  ],
  [
    "value: a symbol (structured clone)",
    () => bucket.set("b", [Symbol()]),
    TypeError,
    /cannot store a symbol at value\[0\]/,
  ],
  [
    "value: a bigint (JSON)",
    () => new Bucket(dir, { backend: JSONBackend }).set("a", { n: 1n }),
    TypeError,
    /JSONBackend cannot store a bigint/,
  ],
  [
    "value: a Map (JSON)",
    () => new Bucket(dir, { backend: JSONBackend }).set("a", new Map()),
    TypeError,
    /a Map/,
  ],
  [
    "value: a function (MessagePack)",
    () => new Bucket(dir, { backend: MessagePackBackend }).set("a", () => 1),
    TypeError,
    /MessagePackBackend cannot store a function/,
  ],
  // memoize
  [
    "memoize: unknown option",
    () => bucket.memoize(function f() {}, { nocash: 1 } as never),
    TypeError,
    /Unknown memoize option "nocash"/,
  ],
  [
    "memoize: nocache not a parameter",
    () =>
      bucket.memoize(function f(a: number) {
        return a;
      }, { nocache: "b" }),
    TypeError,
    /not a parameter of f/,
  ],
  [
    "memoize: ignore not a parameter",
    () =>
      bucket.memoize(function f(a: number) {
        return a;
      }, { ignore: ["z"] }),
    TypeError,
    /not a parameter of f/,
  ],
  [
    "memoize: anonymous without name",
    () => bucket.memoize((() => () => 1)()),
    TypeError,
    /anonymous function without a name/,
  ],
  [
    "memoize: names on a native function",
    () => bucket.memoize(Math.max, { ignore: ["x"] }),
    TypeError,
    /give positions, or use the key option/,
  ],
  [
    "memoize: not a function",
    () => bucket.memoize("f" as never),
    TypeError,
    /takes a function or an options object/,
  ],
  [
    "memoize: decorator with method: false",
    () => bucket.memoize({ method: false }),
    TypeError,
    /leave out method: false/,
  ],
  [
    "memoize: a call that cannot be keyed",
    () =>
      bucket.memoize(function f(cb: unknown) {
        return typeof cb;
      })(() => 1),
    TypeError,
    /Cannot key a call of f: .*ignore option/,
  ],
  [
    "memoize: a mutating function",
    () =>
      bucket.memoize(function grow(list: number[]) {
        return list.push(1);
      })([]),
    TypeError,
    /grow changed its arguments while it ran/,
  ],
  // deferred writes
  ["deferredWrite: not a bucket", () => deferredWrite({} as never), TypeError, /needs a Bucket/],
  [
    "deferredWrite: callback not a function",
    () => deferredWrite(bucket, 1 as never),
    TypeError,
    /must be a function/,
  ],
];

describe("bad input", () => {
  before(async () => {
    dir = await makeTempDir();
    bucket = new Bucket(dir);
    for (const [key, value] of Object.entries(stored)) await bucket.set(key, value);
    await writeFile(join(dir, "file-not-dir"), "x");
  });

  for (const [label, action, kind, message] of cases) {
    test(label, async () => {
      const before = await snapshot();
      let thrown: unknown;
      try {
        await action();
      } catch (error) {
        thrown = error;
      }
      assert.ok(thrown instanceof kind, `${label}: expected a ${kind.name}, got ${String(thrown)}`);
      if (kind !== Error) {
        assert.equal((thrown as Error).constructor, kind, `${label}: exactly a ${kind.name}`);
      }
      assert.match((thrown as Error).message, message);
      assert.deepEqual(await snapshot(), before, "no file changed");
      for (const [key, value] of Object.entries(stored)) {
        assert.deepEqual(await bucket.get(key), value, `memory still holds ${key}`);
        assert.deepEqual(
          await new Bucket(dir, { memory: false }).get(key),
          value,
          `disk still holds ${key}`,
        );
      }
    });
  }
  test("the table covers every kind of input", () => {
    assert.ok(cases.length >= 50, `${cases.length} bad inputs`);
  });
});
