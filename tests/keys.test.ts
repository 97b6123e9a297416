import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";

/**
 * node:util's deep equality, the oracle for "differs". Node 24.21's throws on
 * a Set that holds `undefined` (TypeError in setObjectEquiv): such pairs are
 * skipped there and still checked on the other runtimes.
 */
function structurallyEqual(a: unknown, b: unknown): boolean | undefined {
  try {
    return isDeepStrictEqual(a, b);
  } catch {
    return undefined;
  }
}
import fc from "fast-check";
import { anyValue } from "./helpers/random.ts";
import { Bucket, DefaultKeyMaker, MemoryFileSystem, StreamingDefaultKeyMaker } from "../mod.ts";
import { hashKeyBytes, hashKeyChunks, hashPrefix } from "../src/keys/hash.ts";
import { CHUNK_SIZE, MAX_KEY_DEPTH } from "../src/keys/encode.ts";
import { goldenKeyValues } from "./golden/key_values.ts";

const keys = new DefaultKeyMaker();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

async function streamed(
  value: unknown,
  maker = new StreamingDefaultKeyMaker(),
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of maker.makeKey(value)) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

describe("golden key vectors", () => {
  test("every pinned value encodes to the same bytes and SHA-256 in this runtime", async () => {
    const vectors: { name: string; hex: string; sha256: string }[] = JSON.parse(
      await readFile(new URL("./golden/keys.json", import.meta.url), "utf8"),
    );
    assert.ok(vectors.length >= 60, "at least 60 vectors");
    assert.equal(vectors.length, goldenKeyValues.length, "every value has a vector");
    for (const [index, [name, make]] of goldenKeyValues.entries()) {
      const bytes = keys.makeKey(make());
      assert.equal(vectors[index].name, name);
      assert.equal(hex(bytes), vectors[index].hex, `bytes of ${name}`);
      assert.equal(
        createHash("sha256").update(bytes).digest("hex"),
        vectors[index].sha256,
        `hash of ${name}`,
      );
      assert.equal(hex(await streamed(make())), vectors[index].hex, `streamed bytes of ${name}`);
    }
  });

  test("the documented layout, written out by hand", () => {
    assert.equal(hex(keys.makeKey(1)), "043ff0000000000000");
    assert.equal(hex(keys.makeKey("a")), "060161");
    assert.equal(hex(keys.makeKey(1n)), "05000101");
    assert.equal(hex(keys.makeKey([1, , 3].slice(1, 2))), "070108"); // a hole
    assert.equal(hex(keys.makeKey({ a: null })), "0901016101");
    assert.equal(hex(keys.makeKey(new Uint16Array([1]))), "1005020100");
    assert.equal(hex(keys.makeKey("x".repeat(200))).slice(0, 6), "06c801");
  });
});

describe("keys keep types and structure apart", () => {
  const distinct: [string, unknown][] = [
    ["1", 1],
    ['"1"', "1"],
    ["1n", 1n],
    ["true", true],
    ["Object(1)", Object(1)],
    ["[1]", [1]],
    ["[1, 2]", [1, 2]],
    ["Set [1, 2]", new Set([1, 2])],
    ["Map", new Map([[1, 2]])],
    ["{ 1: 2 }", { 1: 2 }],
    ["Uint8Array [1, 2]", new Uint8Array([1, 2])],
    ["Int8Array [1, 2]", new Int8Array([1, 2])],
    ["ArrayBuffer [1, 2]", new Uint8Array([1, 2]).buffer],
    ["DataView [1, 2]", new DataView(new Uint8Array([1, 2]).buffer)],
    ["0", 0],
    ["-0", -0],
    ["null", null],
    ["undefined", undefined],
    ["[]", []],
    ["{}", {}],
    ["[undefined]", [undefined]],
    ["[hole]", new Array(1)],
    ['"\\uD800"', "\uD800"],
    ['"\\uFFFD"', "\uFFFD"],
    ["Date 0", new Date(0)],
    ["/a/", /a/],
    ['"/a/"', "/a/"],
    ["{ a: 1 }", { a: 1 }],
    [
      "instance A { a: 1 }",
      new (class A {
        a = 1;
      })(),
    ],
    [
      "instance B { a: 1 }",
      new (class B {
        a = 1;
      })(),
    ],
    ["[[1], [2]]", [[1], [2]]],
    ["[[1, 2]]", [[1, 2]]],
    ['["ab"]', ["ab"]],
    ['["a", "b"]', ["a", "b"]],
  ];
  test("no two of these share bytes", () => {
    const seen = new Map<string, string>();
    for (const [label, value] of distinct) {
      const bytes = hex(keys.makeKey(value));
      assert.equal(seen.get(bytes), undefined, `${label} collides with ${seen.get(bytes)}`);
      seen.set(bytes, label);
    }
  });

  test("sortKeys: insertion order does not matter; sortKeys: false keeps it", () => {
    const unsorted = new DefaultKeyMaker({ sortKeys: false });
    const pairs: [unknown, unknown][] = [
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [new Map([["a", 1], ["b", 2]]), new Map([["b", 2], ["a", 1]])],
      [new Set([1, 2]), new Set([2, 1])],
    ];
    for (const [x, y] of pairs) {
      assert.deepEqual(keys.makeKey(x), keys.makeKey(y));
      assert.notDeepEqual(unsorted.makeKey(x), unsorted.makeKey(y));
    }
  });

  test("class state: keyState, then toJSON, then own enumerable properties", () => {
    const state = Symbol.for("bucketcache.keyState");
    class User {
      id: number;
      cache = new Map<string, number>();
      constructor(id: number) {
        this.id = id;
      }
      [state]() {
        return this.id;
      }
    }
    const a = new User(1);
    a.cache.set("noise", 1);
    assert.deepEqual(keys.makeKey(a), keys.makeKey(new User(1)), "keyState decides, not the cache");
    assert.notDeepEqual(keys.makeKey(a), keys.makeKey(new User(2)));
    class Stamp {
      toJSON() {
        return "stamp";
      }
    }
    assert.notDeepEqual(
      keys.makeKey(new Stamp()),
      keys.makeKey("stamp"),
      "an instance is not its JSON",
    );
  });
});

describe("key errors name the place in the value and the fix", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "a function",
      () => ({ users: [0, 1, 2, { callback() {} }] }),
      /function callback at key\.users\[3\]\.callback: .*leave them out/,
    ],
    ["a symbol", () => [Symbol("s")], /symbol s at key\[0\]/],
    ["a cycle", () => {
      const node: { self?: unknown } = {};
      node.self = node;
      return { node };
    }, /circular structure .* at key\.node\.self: .*keyState/],
    ["a WeakMap", () => ({ w: new WeakMap() }), /a WeakMap at key\.w/],
    ["a WeakSet", () => new Map([["k", new WeakSet()]]), /a WeakSet at key<Map entry 0 value>/],
    ["a WeakRef", () => new Set([new WeakRef({})]), /a WeakRef at key<Set member 0>/],
    ["a Promise", () => ({ "odd key": Promise.resolve(1) }), /a Promise at key\["odd key"\]/],
    ["an Error", () => [new Error("x")], /an Error at key\[0\]/],
    ["symbol-keyed property", () => ({ [Symbol("k")]: 1 }), /symbol-keyed properties at key/],
  ];
  for (const [label, make, message] of cases) {
    test(label, async () => {
      assert.throws(() => keys.makeKey(make()), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
      await assert.rejects(streamed(make()), TypeError, "the streaming key maker rejects too");
    });
  }

  test("a null-prototype object keys like a plain object with the same properties", () => {
    const bare = Object.assign(Object.create(null), { a: 1 });
    assert.deepEqual(keys.makeKey(bare), keys.makeKey({ a: 1 }));
  });

  test("a shared (not circular) reference is fine", () => {
    const shared = { x: 1 };
    assert.deepEqual(
      keys.makeKey({ a: shared, b: shared }),
      keys.makeKey({ a: { x: 1 }, b: { x: 1 } }),
    );
  });

  test("bad key maker options", () => {
    assert.throws(
      () => new DefaultKeyMaker({ sort: true } as never),
      /Unknown DefaultKeyMaker option "sort"/,
    );
    assert.throws(
      () => new StreamingDefaultKeyMaker({ sortKeys: "yes" } as never),
      /sortKeys must be true or false/,
    );
  });
});

/**
 * Asserts that both key makers throw a TypeError whose message matches
 * `message` (and whose cause is `cause`, when given), and returns it.
 */
async function assertKeyError(
  value: unknown,
  message: RegExp,
  cause?: unknown,
): Promise<TypeError> {
  let thrown: unknown;
  assert.throws(() => keys.makeKey(value), (error: unknown) => {
    thrown = error;
    return true;
  });
  assert.ok(thrown instanceof TypeError, `a TypeError, not ${thrown}`);
  assert.match(thrown.message, message);
  if (cause !== undefined) assert.equal(thrown.cause, cause, "the original error is the cause");
  await assert.rejects(streamed(value), (error: unknown) => {
    assert.ok(error instanceof TypeError, `the streaming key maker rejects with a TypeError too`);
    assert.equal(error.message, (thrown as TypeError).message, "with the same message");
    if (cause !== undefined) assert.equal(error.cause, cause);
    return true;
  });
  return thrown;
}

describe("instances whose state the key cannot see are an error, not a shared key", () => {
  class Point {
    #x: number;
    #y: number;
    constructor(x: number, y: number) {
      this.#x = x;
      this.#y = y;
    }
    norm() {
      return Math.hypot(this.#x, this.#y);
    }
  }

  test("state in private #fields: a TypeError naming the place and keyState()", async () => {
    const error = await assertKeyError(
      [{ p: new Point(3, 4) }],
      /^Cannot make a key from a Point with no own enumerable properties at key\[0\]\.p: /,
    );
    assert.match(error.message, /give the class a keyState\(\) method/);
    assert.match(error.message, /Symbol\.for\("bucketcache\.keyState"\)/);
    assert.match(error.message, /`key` or `ignore` option/);
  });

  test("state in a closure, a class with no fields, an anonymous class, an Error subclass", async () => {
    class Counter {
      constructor() {
        let n = 0; // the state, in a closure behind a non-enumerable method
        Object.defineProperty(this, "next", { value: () => ++n });
      }
    }
    class Stateless {}
    class AppError extends Error {}
    await assertKeyError(
      { c: new Counter() },
      /a Counter with no own enumerable properties at key\.c/,
    );
    await assertKeyError(
      new Stateless(),
      /a Stateless with no own .* at key: .*null if it has none/,
    );
    await assertKeyError([new (class {})()], /an instance of an anonymous class .* at key\[0\]/);
    await assertKeyError(
      new Map([[1, new AppError("x")]]),
      /an AppError .* at key<Map entry 0 value>/,
    );
  });

  test("a memoised function no longer returns Point(3, 4)'s result for Point(6, 8)", async () => {
    const bucket = new Bucket("/points", { fs: new MemoryFileSystem() });
    const norm = bucket.memoize(function norm(p: Point) {
      return p.norm();
    });
    await assert.rejects(norm(new Point(3, 4)), /a Point with no own enumerable properties at key/);
    await assert.rejects(norm(new Point(6, 8)), TypeError);
  });

  test('a keyState() method is the same hook as [Symbol.for("bucketcache.keyState")]()', () => {
    const Plain = class Point {
      #x: number;
      constructor(x: number) {
        this.#x = x;
      }
      keyState() {
        return [this.#x];
      }
    };
    const Symbolic = class Point {
      #x: number;
      constructor(x: number) {
        this.#x = x;
      }
      [Symbol.for("bucketcache.keyState")]() {
        return [this.#x];
      }
    };
    const Arrow = class Point {
      #x: number;
      constructor(x: number) {
        this.#x = x;
      }
      keyState = () => [this.#x];
    };
    assert.notDeepEqual(keys.makeKey(new Plain(3)), keys.makeKey(new Plain(6)));
    assert.deepEqual(keys.makeKey(new Plain(3)), keys.makeKey(new Plain(3)));
    assert.deepEqual(keys.makeKey(new Plain(3)), keys.makeKey(new Symbolic(3)), "the same bytes");
    assert.deepEqual(
      keys.makeKey(new Arrow(3)),
      keys.makeKey(new Symbolic(3)),
      "an arrow field too",
    );
    class Stateless {
      keyState() {
        return null;
      }
    }
    assert.deepEqual(keys.makeKey(new Stateless()), keys.makeKey(new Stateless()));
    assert.notDeepEqual(keys.makeKey(new Stateless()), keys.makeKey(null));
  });

  test("keys made before keyState() was recognised keep their bytes", () => {
    // Own enumerable properties, then toJSON(), decide before a keyState() method.
    const WithFields = class Tagged {
      id = 1;
      keyState() {
        return "ignored";
      }
    };
    const Fields = class Tagged {
      id = 1;
    };
    assert.deepEqual(keys.makeKey(new WithFields()), keys.makeKey(new Fields()));
    const WithJSON = class Stamp {
      toJSON() {
        return "json";
      }
      keyState() {
        return "ignored";
      }
    };
    const JSONOnly = class Stamp {
      toJSON() {
        return "json";
      }
    };
    assert.deepEqual(keys.makeKey(new WithJSON()), keys.makeKey(new JSONOnly()));
    assert.equal(hex(keys.makeKey(new JSONOnly())), "12055374616d7006046a736f6e");
  });

  test("empty plain objects and built-ins without own properties are still keys", async () => {
    const values: unknown[] = [
      {},
      Object.create(null),
      [],
      new Date(0),
      new Map(),
      new Set(),
      /x/,
      new Uint8Array(0),
      new ArrayBuffer(0),
      new DataView(new ArrayBuffer(0)),
      Object(1),
      Object(""),
      new (class Sub extends Map {})(),
    ];
    for (const value of values) {
      assert.ok(keys.makeKey(value).length > 0);
      assert.deepEqual(await streamed(value), keys.makeKey(value));
    }
    assert.equal(hex(keys.makeKey({})), "0900");
  });
});

describe("deep nesting", () => {
  const nest = (depth: number, wrap: (inner: unknown) => unknown, leaf: unknown = 1): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = wrap(value);
    return value;
  };

  test("keys nested thousands deep encode (no stack overflow), with the documented bytes", async () => {
    assert.equal(MAX_KEY_DEPTH, 10_000, "the limit the JSDoc states");
    for (const depth of [1_500, 5_000, MAX_KEY_DEPTH]) {
      const arrays = nest(depth, (v) => [v]);
      const expected = "0701".repeat(depth) + "043ff0000000000000";
      assert.equal(hex(keys.makeKey(arrays)), expected, `${depth} arrays`);
      assert.equal(hex(await streamed(arrays)), expected, `${depth} arrays, streamed`);
    }
    const objects = nest(3_000, (v) => ({ a: v }));
    const expected = "09010161".repeat(3_000) + "043ff0000000000000";
    assert.equal(hex(keys.makeKey(objects)), expected);
    assert.equal(hex(await streamed(objects)), expected);
  });

  test("deep Maps, Sets, instances and keyState results: Default and Streaming agree", async () => {
    const state = Symbol.for("bucketcache.keyState");
    class Node {
      child: unknown;
      constructor(child: unknown) {
        this.child = child;
      }
    }
    class Wrapped {
      #inner: unknown;
      constructor(inner: unknown) {
        this.#inner = inner;
      }
      [state]() {
        return [this.#inner];
      }
    }
    const shapes: [string, unknown][] = [
      ["Map keys (sorted on their own)", nest(1_500, (v) => new Map([[v, 1], [{ x: 2 }, 0]]))],
      ["Set members (sorted on their own)", nest(1_500, (v) => new Set([v, 0]))],
      ["Map values", nest(1_500, (v) => new Map([["k", v]]))],
      ["instances", nest(1_500, (v) => new Node(v))],
      ["keyState results", nest(1_500, (v) => new Wrapped(v))],
      ["boxed", nest(1_500, (v) => [Object(1), v])],
    ];
    for (const [label, value] of shapes) {
      const bytes = keys.makeKey(value);
      assert.deepEqual(await streamed(value), bytes, label);
      const unsorted = new DefaultKeyMaker({ sortKeys: false });
      assert.deepEqual(
        await streamed(value, new StreamingDefaultKeyMaker({ sortKeys: false })),
        unsorted.makeKey(value),
        `${label}, sortKeys: false`,
      );
    }
  });

  test(`more than ${MAX_KEY_DEPTH} levels is a TypeError naming where`, async () => {
    const error = await assertKeyError(
      { root: nest(MAX_KEY_DEPTH, (v) => [v]) },
      new RegExp(
        `^Cannot make a key from a value nested more than ${MAX_KEY_DEPTH} levels deep at ` +
          String.raw`key\.root(\[0\]){11}…\(9976 more\)…(\[0\]){12}: keys may nest at most`,
      ),
    );
    assert.ok(error.message.length < 500, "the path is shortened");
    await assertKeyError(
      nest(MAX_KEY_DEPTH + 1, (v) => new Set([v, 0])),
      /nested more than 10000 levels deep at key(<Set member 0>){12}…/,
    );
  });

  test("a keyState or getter that makes a new object every time fails instead of running on", async () => {
    const state = Symbol.for("bucketcache.keyState");
    class Endless {
      [state]() {
        return new Endless();
      }
    }
    await assertKeyError(new Endless(), /nested more than 10000 levels deep at key<Endless state>/);
    const endless = (): unknown => ({
      get next() {
        return endless();
      },
    });
    await assertKeyError(endless(), /nested more than 10000 levels deep at key\.next\.next/);
  });
});

describe("a getter, toJSON() or keyState() that throws is a TypeError naming where", () => {
  const boom = new Error("boom");

  test("a getter of a plain object (the synchronous path) and of a nested one", async () => {
    await assertKeyError(
      {
        get name() {
          throw boom;
        },
      },
      /^Cannot make a key from a getter that threw \(Error: boom\) at key\.name: /,
      boom,
    );
    const deep = {
      user: {
        when: new Date(0),
        get "full name"() {
          throw boom;
        },
      },
    };
    await assertKeyError(
      deep,
      /a getter that threw \(Error: boom\) at key\.user\["full name"\]/,
      boom,
    );
  });

  test("an array element's getter and a class instance's accessor property", async () => {
    const list = [1, 2];
    Object.defineProperty(list, 1, {
      enumerable: true,
      get() {
        throw boom;
      },
    });
    await assertKeyError({ list }, /a getter that threw \(Error: boom\) at key\.list\[1\]/, boom);
    class Lazy {
      constructor() {
        Object.defineProperty(this, "value", {
          enumerable: true,
          get() {
            throw boom;
          },
        });
      }
    }
    await assertKeyError([new Lazy()], /a getter that threw .* at key\[0\]\.value: /, boom);
  });

  test("toJSON(), keyState() and the keyState symbol", async () => {
    class Stamp {
      toJSON() {
        throw boom;
      }
    }
    await assertKeyError(
      [new Stamp()],
      /^Cannot make a key from a Stamp whose toJSON\(\) threw \(Error: boom\) at key\[0\]: /,
      boom,
    );
    class Account {
      keyState() {
        throw "no state"; // not an Error: it is the cause as thrown
      }
    }
    await assertKeyError(
      new Map([["k", new Account()]]),
      /an Account whose keyState\(\) threw \(no state\) at key<Map entry 0 value>/,
      "no state",
    );
    await assertKeyError(
      {
        x: {
          [Symbol.for("bucketcache.keyState")]() {
            throw boom;
          },
        },
      },
      /whose \[Symbol\.for\("bucketcache\.keyState"\)\]\(\) threw \(Error: boom\) at key\.x/,
      boom,
    );
  });

  test("anything else user code throws while the key is read (a revoked Proxy)", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const error = await assertKeyError(
      { p: proxy },
      /a value that threw while it was read .* at key\.p/,
    );
    assert.ok(error.cause instanceof TypeError);
  });
});

describe("StreamingDefaultKeyMaker", () => {
  test("chunks are bounded and the same bytes come out for big keys", async () => {
    const value = {
      big: new Float64Array(300_000).map((_, i) => i),
      text: "é".repeat(100_000),
      list: Array.from({ length: 50_000 }, (_, i) => i),
    };
    const chunks: Uint8Array[] = [];
    for await (const chunk of new StreamingDefaultKeyMaker().makeKey(value)) chunks.push(chunk);
    assert.ok(chunks.length > 10);
    assert.ok(chunks.every((chunk) => chunk.length <= CHUNK_SIZE), "no chunk exceeds 64 KiB");
    assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), keys.makeKey(value));
  });

  test("encoding is produced on demand: the first chunk reads a small part of a huge array", async () => {
    let reads = 0;
    const length = 1_000_000;
    const huge = new Proxy(new Array(length).fill(1), {
      get(target, property, receiver) {
        if (typeof property === "string" && /^\d+$/.test(property)) reads++;
        return Reflect.get(target, property, receiver);
      },
    });
    const reader = new StreamingDefaultKeyMaker().makeKey(huge).getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0);
    assert.ok(
      reads < length / 10,
      `only ${reads} of ${length} elements were read for the first chunk`,
    );
    await reader.cancel();
  });
});

describe("hashing", () => {
  test("the name is sha256(identity ‖ 0x00 ‖ key bytes) in hex, for bytes and for streams", async () => {
    const prefix = hashPrefix("StructuredCloneBackend");
    const bytes = keys.makeKey({ user: 42 });
    const expected = createHash("sha256").update(
      Buffer.concat([prefix, new Uint8Array([0]), bytes]),
    ).digest("hex");
    assert.equal(hashKeyBytes(prefix, bytes), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.equal(
      await hashKeyChunks(prefix, new StreamingDefaultKeyMaker().makeKey({ user: 42 })),
      expected,
    );
    assert.equal(await hashKeyChunks(prefix, [bytes.subarray(0, 3), bytes.subarray(3)]), expected);
    assert.notEqual(
      hashKeyBytes(hashPrefix("JSONBackend"), bytes),
      expected,
      "the backend is part of the name",
    );
  });

  test("a key maker yielding something other than bytes is a TypeError", async () => {
    await assert.rejects(
      hashKeyChunks(new Uint8Array(), ["text" as unknown as Uint8Array]),
      /must yield Uint8Array chunks/,
    );
  });
});

describe("properties (fast-check)", () => {
  const value = anyValue();

  test("Default and Streaming bytes are identical", async () => {
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        assert.deepEqual(await streamed(v), keys.makeKey(v));
      }),
      { numRuns: 300 },
    );
  });

  test("structurally equal values give equal keys (a structured clone keys the same)", () => {
    fc.assert(
      fc.property(value, (v) => {
        assert.deepEqual(keys.makeKey(structuredClone(v)), keys.makeKey(v));
      }),
      { numRuns: 300 },
    );
  });

  // Null-prototype objects are plain objects: they key like `{}` with the same
  // properties (tested above), which isDeepStrictEqual calls different.
  const withoutNullPrototypes = anyValue({ nullPrototype: false });

  test("values that differ give different keys", () => {
    fc.assert(
      fc.property(withoutNullPrototypes, withoutNullPrototypes, (a, b) => {
        fc.pre(structurallyEqual(a, b) === false);
        assert.notDeepEqual(keys.makeKey(a), keys.makeKey(b));
      }),
      { numRuns: 500 },
    );
  });

  test("permuting object keys, Map and Set insertion order keeps the key", () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string(), fc.integer()), {
      selector: ([k]) => k,
      maxLength: 8,
    });
    fc.assert(
      fc.property(entries, (pairs) => {
        const reversed = [...pairs].reverse();
        assert.deepEqual(
          keys.makeKey(Object.fromEntries(pairs)),
          keys.makeKey(Object.fromEntries(reversed)),
        );
        assert.deepEqual(keys.makeKey(new Map(pairs)), keys.makeKey(new Map(reversed)));
        assert.deepEqual(
          keys.makeKey(new Set(pairs.map(([k]) => k))),
          keys.makeKey(new Set(reversed.map(([k]) => k))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
