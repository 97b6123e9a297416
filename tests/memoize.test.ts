// deno-lint-ignore-file require-await no-unused-vars -- memoised functions
// here are async without awaiting, and keep parameters the key or `nocache`
// reads but the body does not.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Bucket, type CachedCallInfo, MemoryFileSystem } from "../mod.ts";
import { FaultyFileSystem } from "./helpers/faulty_fs.ts";
import { tempBucket } from "./helpers/bucket.ts";

const memoryBucket = (fs = new MemoryFileSystem()) => new Bucket("/memo", { fs });

describe("memoize: functions", () => {
  test("computes once per arguments, returns a Promise, keeps name and length", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const add = bucket.memoize(function add(a: number, b: number) {
      calls++;
      return a + b;
    });
    assert.equal(add.name, "add");
    assert.equal(add.length, 2);
    const first = add(1, 2);
    assert.ok(first instanceof Promise);
    assert.equal(await first, 3);
    assert.equal(await add(1, 2), 3);
    assert.equal(calls, 1);
    assert.equal(await add(2, 1), 3);
    assert.equal(calls, 2, "different arguments, different entry");
  });

  test("async functions are awaited and their results cached", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const slow = bucket.memoize(async function slow(n: number) {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return { n };
    });
    assert.deepEqual(await slow(1), { n: 1 });
    assert.deepEqual(await slow(1), { n: 1 });
    assert.equal(calls, 1);
  });

  test("results survive the process: a new bucket on the same directory hits from disk", async () => {
    const bucket = await tempBucket();
    let calls = 0;
    const square = function square(n: number) {
      calls++;
      return n * n;
    };
    assert.equal(await bucket.memoize(square)(4), 16);
    const again = new Bucket(bucket.path).memoize(square);
    assert.equal(await again(4), 16);
    assert.equal(calls, 1);
  });

  test("trailing undefined arguments are dropped from the key", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const f = bucket.memoize(function f(a: number, b?: number) {
      calls++;
      return [a, b];
    });
    await f(1);
    await f(1, undefined);
    assert.equal(calls, 1);
    await f(1, 2);
    assert.equal(calls, 2);
  });

  test("warm calls by primitive arguments: -0, long strings, objects and many calls stay exact", async () => {
    const bucket = new Bucket("/m", { fs: new MemoryFileSystem() });
    let calls = 0;
    const describe = bucket.memoize((a: unknown, b?: unknown) => {
      calls++;
      return `${Object.is(a, -0) ? "-0" : typeof a}:${String(a).length}:${String(b)}`;
    }, { name: "describe" });
    assert.equal(await describe(0), "number:1:undefined");
    assert.equal(await describe(-0), "-0:1:undefined", "-0 is another key than 0");
    assert.equal(await describe(0), "number:1:undefined");
    assert.equal(await describe(-0), "-0:1:undefined");
    assert.equal(calls, 2);
    const long = "x".repeat(1000);
    assert.equal(await describe(long), "string:1000:undefined");
    assert.equal(await describe(long), "string:1000:undefined");
    assert.equal(await describe(1n, null), "bigint:1:null");
    assert.equal(await describe(1, "1"), "number:1:1");
    assert.equal(await describe("1", 1), "string:1:1", "argument types are part of the key");
    assert.equal(await describe({ a: 1 }), "object:15:undefined");
    assert.equal(await describe({ a: 1 }), "object:15:undefined", "objects key by content");
    assert.equal(calls, 7);
    // More distinct calls than the per-function record keeps: still exact.
    for (let i = 0; i < 10_050; i++) await describe(i, "n");
    for (let i = 0; i < 10_050; i += 1000) {
      assert.equal(await describe(i, "n"), `number:${String(i).length}:n`);
    }
    assert.equal(calls, 7 + 10_050);
    assert.equal(await describe(0), "number:1:undefined");
    assert.equal(calls, 7 + 10_050, "nothing recomputed");
  });

  test("name and version are part of the key", async () => {
    const fs = new MemoryFileSystem();
    let calls = 0;
    const impl = (x: number) => {
      calls++;
      return x;
    };
    await memoryBucket(fs).memoize(impl, { name: "impl", version: 1 })(1);
    await memoryBucket(fs).memoize(impl, { name: "impl", version: 1 })(1);
    assert.equal(calls, 1);
    await memoryBucket(fs).memoize(impl, { name: "impl", version: 2 })(1);
    assert.equal(calls, 2, "a new version starts fresh");
    await memoryBucket(fs).memoize(impl, { name: "other", version: 1 })(1);
    assert.equal(calls, 3, "another name is another function");
  });

  test("key: what to key on instead of the arguments", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const fetchUser = bucket.memoize(function fetchUser(user: { id: number; loadedAt: number }) {
      calls++;
      return `user ${user.id}`;
    }, { key: (user: { id: number }) => user.id });
    await fetchUser({ id: 1, loadedAt: 1 });
    await fetchUser({ id: 1, loadedAt: 2 });
    assert.equal(calls, 1);
  });

  test("ignore: names, positions and a rest parameter's name", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const byName = bucket.memoize(function byName(a: number, b: number, c: number) {
      calls++;
      return a + b + c;
    }, { ignore: ["c"] });
    await byName(1, 2, 3);
    assert.equal(await byName(1, 2, 4), 6, "c is ignored: the cached result is returned");
    assert.equal(calls, 1);
    const byIndex = bucket.memoize(function byIndex(a: number, b: number) {
      calls++;
      return a;
    }, { ignore: [1] });
    await byIndex(1, 1);
    await byIndex(1, 2);
    assert.equal(calls, 2);
    const rest = bucket.memoize(function rest(a: number, ...more: number[]) {
      calls++;
      return a + more.length;
    }, { ignore: ["more"] });
    await rest(1, 2, 3);
    await rest(1, 4, 5, 6);
    assert.equal(calls, 3, "every extra argument is ignored");
  });

  test("nocache by name: skips the read, calls, overwrites; not part of the key", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const f = bucket.memoize(function f(a: number, refresh = false) {
      calls++;
      return `${a}:${calls}`;
    }, { nocache: "refresh" });
    assert.equal(await f(1), "1:1");
    assert.equal(await f(1), "1:1");
    assert.equal(await f(1, true), "1:2", "refresh calls the function");
    assert.equal(await f(1), "1:2", "and overwrote the entry");
    assert.equal(
      await f(1, false),
      "1:2",
      "refresh=false reads the cache: it is not part of the key",
    );
  });

  test("nocache predicate", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const f = bucket.memoize(function f(a: number) {
      calls++;
      return calls;
    }, { nocache: (a: number) => a < 0 });
    await f(-1);
    await f(-1);
    assert.equal(calls, 2);
    await f(1);
    await f(1);
    assert.equal(calls, 3);
  });

  test("callback: called on hits only, with args, the value and the expiry; chainable", async () => {
    const bucket = await tempBucket({ hours: 1 });
    const seen: CachedCallInfo[] = [];
    const add = bucket.memoize(function add(a: number, b: number) {
      return a + b;
    });
    assert.equal(add.callback((info) => void seen.push(info)), add);
    await add(1, 2);
    assert.equal(seen.length, 0, "a miss calls no callback");
    await add(1, 2);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].args, [1, 2]);
    assert.equal(seen[0].returnValue, 3);
    assert.ok(seen[0].expirationDate instanceof Date);
    assert.ok(Math.abs(seen[0].expirationDate!.getTime() - (Date.now() + 3_600_000)) < 60_000);
    const forever = memoryBucket().memoize(function one() {
      return 1;
    });
    let info: CachedCallInfo | undefined;
    forever.callback((i) => void (info = i));
    await forever();
    await forever();
    assert.equal(info?.expirationDate, null);
  });

  test("concurrent calls with one key share one execution and one write", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/flight", { fs });
    await bucket.set("make the directory", 0);
    const writesBefore = fs.calls.writeFileAtomic;
    let calls = 0;
    const slow = bucket.memoize(async function slow(n: number) {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return n * 2;
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => slow(5)));
    assert.deepEqual(results, Array(10).fill(10));
    assert.equal(calls, 1);
    assert.equal(fs.calls.writeFileAtomic - writesBefore, 1, "one write");
  });
});

describe("memoize: methods without decorator syntax", () => {
  class Service {
    user: string;
    helper = () => "functions are left out of the key";
    constructor(user: string) {
      this.user = user;
    }
  }
  class Other {
    user: string;
    constructor(user: string) {
      this.user = user;
    }
  }

  test("method: true keys on the class name and the instance's state", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const greet = bucket.memoize(function greet(this: { user: string }, greeting: string) {
      calls++;
      return `${greeting}, ${this.user}`;
    }, { method: true });
    assert.equal(await greet.call(new Service("ada"), "hi"), "hi, ada");
    assert.equal(await greet.call(new Service("ada"), "hi"), "hi, ada");
    assert.equal(calls, 1, "a new instance with equal state hits");
    assert.equal(await greet.call(new Service("bob"), "hi"), "hi, bob");
    assert.equal(calls, 2);
    assert.equal(await greet.call(new Other("ada"), "hi"), "hi, ada");
    assert.equal(calls, 3, "another class never shares entries");
    await assert.rejects(greet.call(undefined as never, "hi"), /called without an instance/);
  });

  test("a keyState method decides the instance's part of the key", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    class Client {
      id: number;
      connection = { opened: Math.random() };
      constructor(id: number) {
        this.id = id;
      }
      [Symbol.for("bucketcache.keyState")]() {
        return this.id;
      }
    }
    const fetch = bucket.memoize(function fetch(this: Client, path: string) {
      calls++;
      return `${this.id}${path}`;
    }, { method: true });
    await fetch.call(new Client(1), "/a");
    await fetch.call(new Client(1), "/a");
    assert.equal(calls, 1, "the random connection is not part of the key");
  });
});

describe("memoize: failures", () => {
  test("a throwing or rejecting function caches nothing", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const flaky = bucket.memoize(async function flaky(fail: boolean) {
      calls++;
      if (fail) throw new Error("boom");
      return "ok";
    });
    await assert.rejects(flaky(true), /boom/);
    await assert.rejects(flaky(true), /boom/);
    assert.equal(calls, 2);
  });

  test("mutating the arguments so the key changes rejects and caches nothing", async () => {
    const bucket = memoryBucket();
    let calls = 0;
    const push = bucket.memoize(function push(list: number[]) {
      calls++;
      list.push(1);
      return list.length;
    });
    await assert.rejects(push([]), /push changed its arguments while it ran.*nothing was cached/);
    await assert.rejects(push([]), TypeError);
    assert.equal(calls, 2, "nothing was cached");
  });

  test("a failing cache write still returns the result", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/w", { fs });
    let calls = 0;
    const f = bucket.memoize(function f(n: number) {
      calls++;
      return n + 1;
    });
    fs.fail("writeFileAtomic", "ENOSPC");
    assert.equal(await f(1), 2);
    assert.equal(await f(1), 2);
    assert.equal(calls, 2, "nothing could be cached");
    fs.heal();
    assert.equal(await f(1), 2);
    assert.equal(await f(1), 2);
    assert.equal(calls, 3, "cached once the disk works again");
  });

  test("a failing cache read that is not 'missing' falls back to calling the function", async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const bucket = new Bucket("/r", { fs, memory: false });
    let calls = 0;
    const f = bucket.memoize(function f(n: number) {
      calls++;
      return n;
    });
    await f(1);
    fs.fail("readFile", "EACCES", 1);
    assert.equal(await f(1), 1);
    assert.equal(calls, 2);
  });

  test("a result the backend cannot store rejects with its TypeError", async () => {
    const bucket = memoryBucket();
    const f = bucket.memoize(function f() {
      return { run: () => 1 };
    });
    await assert.rejects(f(), /cannot store a function/);
  });

  test("arguments that cannot be keyed reject, pointing at ignore and key", async () => {
    const bucket = memoryBucket();
    const f = bucket.memoize(function f(cb: () => void) {
      return typeof cb;
    });
    await assert.rejects(
      f(() => {}),
      /Cannot key a call of f: .*function.*ignore option.*key option/,
    );
  });
});

describe("memoize: invalid use", () => {
  const bucket = memoryBucket();
  const cases: [string, () => unknown, RegExp][] = [
    [
      "unknown option",
      () => bucket.memoize(function f() {}, { nocash: "x" } as never),
      /Unknown memoize option "nocash"/,
    ],
    [
      "nocache name that is not a parameter",
      () =>
        bucket.memoize(function f(a: number) {
          return a;
        }, { nocache: "refresh" }),
      /nocache names "refresh", which is not a parameter of f \(its parameters: a\)/,
    ],
    ["ignore name that is not a parameter", () =>
      bucket.memoize(function f(a: number) {
        return a;
      }, { ignore: ["b"] }), /ignore names "b"/],
    [
      "anonymous function without a name",
      () => bucket.memoize((() => () => 1)()),
      /anonymous function without a name/,
    ],
    [
      "names on a native function",
      () => bucket.memoize(Math.max, { ignore: ["value1"] }),
      /cannot be read .*give positions, or use the key option/,
    ],
    ["names on a bound function", () =>
      bucket.memoize(
        function f(a: number) {
          return a;
        }.bind(null),
        { nocache: "a" },
      ), /cannot be read/],
    [
      "negative position",
      () => bucket.memoize(function f() {}, { ignore: [-1] }),
      /not a parameter position/,
    ],
    ["memoize(42)", () => bucket.memoize(42 as never), /takes a function or an options object/],
    [
      "method not boolean",
      () => bucket.memoize(function f() {}, { method: "yes" } as never),
      /method must be true or false/,
    ],
    [
      "decorator from options used on a plain call",
      () => (bucket.memoize({}) as unknown as (v: unknown) => unknown)(() => 1),
      /returns a decorator/,
    ],
    [
      "decorator options checked at once",
      () => bucket.memoize({ bogus: 1 } as never),
      /Unknown memoize option "bogus"/,
    ],
  ];
  for (const [label, make, message] of cases) {
    test(label, () => {
      assert.throws(make, (error: unknown) => {
        assert.ok(error instanceof TypeError, `${label}: ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test("native functions still memoise with positions", async () => {
    const max = bucket.memoize(Math.max, { ignore: [2] });
    assert.equal(await max(1, 2, 99), 99);
    assert.equal(await max(1, 2, 0), 99, "position 2 is not part of the key: a hit");
  });
});
