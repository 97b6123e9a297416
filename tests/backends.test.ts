import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { anyValue } from "./helpers/random.ts";
import { decode as independentDecode } from "@msgpack/msgpack";
import { Buffer } from "node:buffer";
import {
  BackendLoadError,
  Bucket,
  JSONBackend,
  MemoryFileSystem,
  MessagePackBackend,
  StructuredCloneBackend,
} from "../mod.ts";

const roundTrip = (
  backend: StructuredCloneBackend | MessagePackBackend | JSONBackend,
  value: unknown,
) => {
  const dumped = backend.dump({ value, expirationDate: null });
  return backend.load(typeof dumped === "string" ? new TextEncoder().encode(dumped) : dumped).value;
};

describe("StructuredCloneBackend", () => {
  const backend = new StructuredCloneBackend();

  test("what comes back equals structuredClone(value), for generated values", () => {
    const value = anyValue({ objectString: true, maxDepth: 4 });
    fc.assert(
      fc.property(value, (v) => {
        // Only where the oracle agrees with itself: Bun's isDeepStrictEqual
        // calls two clones of a Map with boxed keys different.
        fc.pre(isDeepStrictEqual(structuredClone(v), structuredClone(v)));
        assert.deepStrictEqual(roundTrip(backend, v), structuredClone(v));
      }),
      { numRuns: 400 },
    );
  });

  test("the edge cases one by one", () => {
    class Point {
      x = 1;
      y = 2;
    }
    const shared = { s: 1 };
    const cycle: Record<string, unknown> = { name: "c" };
    cycle.self = cycle;
    const cases: [string, unknown][] = [
      ["-0", -0],
      ["NaN", NaN],
      ["undefined", undefined],
      ["object holding undefined", { a: undefined }],
      ["holes", [1, , 3, , ,]],
      ["huge bigint", -(10n ** 40n)],
      ["Map with object keys", new Map([[{ k: 1 }, new Set([1, "1"])]])],
      ["Date", new Date(123)],
      ["RegExp", /a+b/gimsuy],
      ["typed array view", new Int32Array([1, 2, 3, 4]).subarray(1, 3)],
      ["ArrayBuffer", new Uint8Array([1, 2]).buffer],
      ["DataView", new DataView(new Uint8Array([9, 8]).buffer)],
      ["BigInt64Array", new BigInt64Array([-1n])],
      ["boxed", [Object(1), Object("s"), Object(false), Object(2n)]],
      ["lone surrogates", ["\uD800", "a\uDFFFb", { ["k\uD800"]: -0 }]],
      ["class instance becomes a plain object", new Point()],
    ];
    for (const [label, value] of cases) {
      assert.deepStrictEqual(roundTrip(backend, value), structuredClone(value), label);
    }
    // Node 20's deepStrictEqual calls two Invalid Dates different (NaN !== NaN).
    const invalid = roundTrip(backend, new Date(NaN));
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()), "Invalid Date");
    const back = roundTrip(backend, { a: shared, b: shared, cycle }) as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(back.a, back.b, "shared references stay shared");
    assert.equal(back.cycle.self, back.cycle, "cycles are kept");
    const error = roundTrip(backend, new TypeError("bad", { cause: "why" })) as TypeError;
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, "bad");
    assert.ok(Object.is(roundTrip(backend, -0), -0));
  });

  test("functions, symbols and opaque objects are a TypeError naming where, never dropped", () => {
    const cases: [unknown, RegExp][] = [
      [{ f() {} }, /a function \(f\) at value\.f/],
      [[1, Symbol("s")], /a symbol at value\[1\]/],
      [new Map([["k", new WeakMap()]]), /a WeakMap at value<Map entry 0 value>/],
      [{ p: Promise.resolve() }, /a Promise at value\.p/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => backend.dump({ value, expirationDate: null }), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test("the bytes written are unchanged, with or without registered classes", () => {
    class Point {
      x = 1;
      y = 2;
    }
    class Unused {}
    const cycle: Record<string, unknown> = { name: "c" };
    cycle.self = cycle;
    const shared = { s: 1 };
    const golden: [unknown, string][] = [
      [
        { a: [1, -2, 3.5, "four", null, true], nested: { deep: [{}] } },
        "d4724092a161a66e65737465649601fecb400c000000000000a4666f7572c0c3d4724191a46465657091d4724290",
      ],
      [
        [new Date(0), /a+/g, new Map([["k", new Set([1])]]), 10n ** 30n, undefined],
        "95d6ff00000000d4780092a2612ba16781a16bd473009101d8420000000c9f2c9cd04674edea40000000d40000",
      ],
      [
        [-0, [1, , 3], Object(1), "a\uD800"],
        "94d4300000d43300920392920001920203d4320001d43100c7057404610000d8",
      ],
      [
        { a: shared, b: shared, cycle },
        "d4724093a161a162a56379636c65d66900000001d4724191a17301d67000000001d66900000002d4724292a46e616d65a473656c66a163d67000000002",
      ],
      [[new Point(), new Point()], "92d4724092a178a1790102400102"],
    ];
    const hex = (bytes: Uint8Array) =>
      Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    const registered = new StructuredCloneBackend({ classes: [Unused] });
    for (const [value, expected] of golden) {
      assert.equal(hex(backend.dump({ value, expirationDate: null })), expected);
      assert.equal(
        hex(registered.dump({ value, expirationDate: null })),
        expected,
        "registered classes change nothing for values without their instances",
      );
    }
  });

  test("garbage is a BackendLoadError", () => {
    assert.throws(() => backend.load(new Uint8Array([0xc1])), { name: "BackendLoadError" });
    assert.throws(() => backend.load(new Uint8Array([0x92, 0x01])), { name: "BackendLoadError" });
  });
});

describe("JSONBackend", () => {
  test("round-trips JSON values; the file is JSON text", () => {
    const backend = new JSONBackend();
    const value = { a: [1, "two", { three: null }], b: true, c: 1.5, d: "名前" };
    assert.deepEqual(roundTrip(backend, value), value);
    assert.equal(backend.dump({ value: { a: 1 }, expirationDate: null }), '{"a":1}');
    assert.deepEqual(
      roundTrip(backend, new Date(0)),
      "1970-01-01T00:00:00.000Z",
      "Dates become their JSON",
    );
  });

  test("values JSON cannot hold faithfully are a TypeError naming the property", () => {
    const backend = new JSONBackend();
    const cases: [unknown, RegExp][] = [
      [{ n: 1n }, /a bigint \(at property "n"\)/],
      [{ f() {} }, /a function \(at property "f"\)/],
      [[Symbol("s")], /a symbol \(at property "0"\)/],
      [{ u: undefined }, /undefined \(at property "u"\)/],
      [undefined, /undefined \(at the value\)/],
      [{ x: NaN }, /NaN/],
      [[Infinity], /Infinity/],
      [{ m: new Map() }, /a Map/],
      [new Set([1]), /a Set/],
      [{ t: new Uint8Array(1) }, /a typed array/],
      [/x/, /a RegExp/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => backend.dump({ value, expirationDate: null }), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test("config: space, replacer (function and allow-list), reviver", () => {
    const pretty = new JSONBackend({ space: 2 });
    assert.equal(pretty.dump({ value: { a: 1 }, expirationDate: null }), '{\n  "a": 1\n}');
    const replacing = new JSONBackend({
      replacer: (_key, value) => typeof value === "bigint" ? `${value}n` : value,
      reviver: (_key, value) =>
        typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
    });
    assert.deepEqual(roundTrip(replacing, { big: 10n ** 20n }), { big: 10n ** 20n });
    const dropping = new JSONBackend({
      replacer: (key, value) => key === "secret" ? undefined : value,
    });
    assert.deepEqual(
      roundTrip(dropping, { a: 1, secret: 2 }),
      { a: 1 },
      "a replacer may drop properties",
    );
    const allowList = new JSONBackend({ replacer: ["a", "b"] });
    assert.deepEqual(roundTrip(allowList, { a: { b: 1, c: 2 }, c: 3 }), { a: { b: 1 } });
    assert.throws(
      () => new JSONBackend({ space: {} as never }),
      /space must be a string or a number/,
    );
    assert.throws(() => new JSONBackend({ reviver: 1 as never }), /reviver must be a function/);
  });

  test("bytes that are not UTF-8 JSON are a BackendLoadError", () => {
    const backend = new JSONBackend();
    assert.throws(() => backend.load(new TextEncoder().encode("{nope")), {
      name: "BackendLoadError",
    });
    assert.throws(() => backend.load(new Uint8Array([0xff, 0xfe])), { name: "BackendLoadError" });
  });

  test("an error thrown by the reviver propagates unchanged, not as a BackendLoadError", () => {
    const thrown = new RangeError("the reviver refuses");
    const backend = new JSONBackend({
      reviver(key, value) {
        if (key === "bad") throw thrown;
        return value;
      },
    });
    const bytes = (text: string) => new TextEncoder().encode(text);
    assert.throws(() => backend.load(bytes('{"ok":1,"bad":2}')), (error) => error === thrown);
    assert.deepEqual(backend.load(bytes('{"ok":1}')).value, { ok: 1 }, "the reviver still runs");
    assert.throws(() => backend.load(bytes('{"bad":')), {
      name: "BackendLoadError",
    }, "bad JSON is still a BackendLoadError with a reviver");
    const notAnError = new JSONBackend({
      reviver() {
        throw "a string";
      },
    });
    assert.throws(() => notAnError.load(bytes("1")), (error) => error === "a string");
    const marking = new JSONBackend({
      reviver() {
        throw new BackendLoadError("stale shape");
      },
    });
    assert.throws(
      () => marking.load(bytes("1")),
      (error) => error instanceof BackendLoadError && error.message === "stale shape",
      "a reviver may throw BackendLoadError itself to mark the data unreadable",
    );
    const args: unknown[][] = [];
    new JSONBackend({
      reviver(...rest: unknown[]) {
        args.push(rest.slice(0, 2));
        return rest[1];
      },
    }).load(bytes("[7]"));
    assert.deepEqual(
      args,
      [["0", 7], ["", [7]]],
      "the reviver gets key and value, this the holder",
    );
  });
  test("through a bucket: a reviver's error rejects get and keeps the file", async () => {
    const fs = new MemoryFileSystem();
    const thrown = new RangeError("the reviver refuses");
    await new Bucket("/cache", { fs, backend: JSONBackend }).set("k", { a: 1 });
    const refusing = new Bucket("/cache", {
      fs,
      backend: JSONBackend,
      config: {
        reviver: (_key: string, value: unknown) => {
          if (typeof value === "number") throw thrown;
          return value;
        },
      },
    });
    await assert.rejects(refusing.get("k"), (error) => error === thrown);
    assert.deepEqual(
      await new Bucket("/cache", { fs, backend: JSONBackend }).get("k"),
      { a: 1 },
      "the file is still there",
    );
  });
});

describe("MessagePackBackend", () => {
  test("writes standard MessagePack that an independent implementation decodes", () => {
    const backend = new MessagePackBackend();
    const values: unknown[] = [
      { a: [1, -2, 3.5, "four", null, true], nested: { deep: [{}] } },
      new Uint8Array([1, 2, 3]),
      2 ** 40,
      "名前 🙂",
      [],
    ];
    for (const value of values) {
      const bytes = backend.dump({ value, expirationDate: null });
      const decoded = independentDecode(bytes);
      // Some runtimes hand binary back as a Buffer: compare the bytes.
      assert.deepEqual(
        decoded instanceof Uint8Array ? new Uint8Array(decoded) : decoded,
        value,
        "decoded by @msgpack/msgpack",
      );
      assert.deepEqual(backend.load(bytes).value, value);
    }
  });

  test("functions and symbols are a TypeError, not dropped", () => {
    const backend = new MessagePackBackend();
    assert.throws(
      () => backend.dump({ value: { f() {} }, expirationDate: null }),
      /MessagePackBackend cannot store a function/,
    );
    assert.throws(
      () => backend.dump({ value: [Symbol()], expirationDate: null }),
      /a symbol at value\[0\]/,
    );
  });

  test("data that is not one complete MessagePack value is a BackendLoadError", () => {
    const backend = new MessagePackBackend();
    for (const bytes of [[0xc1], [0x92, 0x01], [0xa3, 0x61], []]) {
      assert.throws(() => backend.load(new Uint8Array(bytes)), { name: "BackendLoadError" });
    }
  });

  test("values that would not come back as stored are a TypeError naming where", () => {
    const backend = new MessagePackBackend();
    class Money {
      cents = 100;
      toJSON() {
        return "1.00 EUR";
      }
    }
    const cycle: Record<string, unknown> = { name: "c" };
    cycle.self = cycle;
    const cases: [unknown, RegExp][] = [
      [{ m: new Map([["a", 1]]) }, /a Map at value\.m faithfully .*plain object/],
      [[new Set([1])], /a Set at value\[0\] faithfully .*an array/],
      [{ t: new Int16Array([1, -1]) }, /an Int16Array at value\.t .*Uint8Array of its bytes/],
      [{ t: new Float64Array(1) }, /a Float64Array at value\.t/],
      [new Uint8ClampedArray(1), /a Uint8ClampedArray at value /],
      [new DataView(new ArrayBuffer(1)), /a DataView at value /],
      [{ b: new ArrayBuffer(1) }, /an ArrayBuffer at value\.b .*Uint8Array/],
      [{ r: /x/g }, /a RegExp at value\.r .*\[source, flags\]/],
      [{ e: new Error("x") }, /an Error at value\.e .*\[name, message, cause\]/],
      [[new TypeError("x")], /a TypeError at value\[0\]/],
      [{ a: [1, 2, -0] }, /-0 at value\.a\[2\] .*comes back as 0/],
      [-0, /-0 at value /],
      [[1, , 3], /an array hole at value\[1\]/],
      [{ price: new Money() }, /a Money with a toJSON method at value\.price/],
      [{ deep: { m: new Map() } }, /a Map at value\.deep\.m/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => backend.dump({ value, expirationDate: null }), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, message);
        assert.match(error.message, /lossy: true/, "the message names the opt-in");
        return true;
      });
    }
  });

  test("what cannot be stored at all is a TypeError naming where", () => {
    const backend = new MessagePackBackend();
    const cycle: Record<string, unknown> = { name: "c" };
    cycle.self = cycle;
    const ring: unknown[] = [];
    ring.push({ back: [ring] });
    const cases: [unknown, RegExp][] = [
      [
        { list: [cycle] },
        /a circular reference at value\.list\[0\]\.self \(back to value\.list\[0\]\)/,
      ],
      [ring, /a circular reference at value\[0\]\.back\[0\] \(back to value\)/],
      [{ n: 2n ** 64n }, /a bigint outside the 64-bit range at value\.n/],
      [[-(2n ** 63n) - 1n], /a bigint outside the 64-bit range at value\[0\]/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => backend.dump({ value, expirationDate: null }), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
    let deep: unknown = "leaf";
    for (let i = 0; i < 300; i++) deep = { next: deep };
    assert.deepStrictEqual(roundTrip(backend, deep), deep, "deep values without cycles are fine");
  });

  test("what MessagePack holds faithfully comes back equal to structuredClone(value)", () => {
    const backend = new MessagePackBackend();
    class Point {
      x = 1;
      y = 2;
    }
    class Stamp extends Date {}
    class List extends Array {}
    const shared = { s: 1 };
    const cases: [string, unknown][] = [
      ["Dates", [new Date(0), new Date(123), new Date(-1234), new Date(8.64e15), new Stamp(5)]],
      ["bigints in 64 bits", [0n, 1n, -(2n ** 63n), 2n ** 64n - 1n]],
      ["numbers", [NaN, Infinity, -Infinity, 2 ** 53 + 2, 0.1, -1.5e300]],
      ["undefined in arrays and objects", [undefined, { u: undefined }, [undefined]]],
      ["undefined", undefined],
      ["bytes", {
        b: new Uint8Array([0, 1, 255]),
        view: new Uint8Array([1, 2, 3, 4]).subarray(1, 3),
      }],
      ["a class instance becomes a plain object, as with structuredClone", new Point()],
      ["a null-prototype object", Object.assign(Object.create(null), { a: 1 })],
      ["an Array subclass", List.from([1, 2])],
      ["shared references come back as equal copies", { a: shared, b: [shared] }],
      ["strings and keys", { "名前": "🙂", "": "", "a b": "\u0000" }],
    ];
    for (const [label, value] of cases) {
      assert.deepStrictEqual(roundTrip(backend, value), structuredClone(value), label);
    }
    const invalid = roundTrip(backend, new Date(NaN));
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()), "Invalid Date");
    const buffer = roundTrip(backend, Buffer.from([1, 2]));
    assert.deepStrictEqual(buffer, new Uint8Array([1, 2]), "a Buffer comes back as a Uint8Array");
  });

  test("the bytes written for values that round-trip are unchanged", () => {
    const backend = new MessagePackBackend();
    const golden: [unknown, string][] = [
      [
        { a: [1, -2, 3.5, "four", null, true], nested: { deep: [{}] } },
        "82a1619601fecb400c000000000000a4666f7572c0c3a66e657374656481a4646565709180",
      ],
      [
        [new Date(0), new Date(123), new Date(-1234), new Date(NaN)],
        "94d6ff00000000d7ff1d53530000000000c70cff2da83b80fffffffffffffffed4ffff",
      ],
      [
        [1n, -(2n ** 63n), 2n ** 64n - 1n],
        "93d30000000000000001d38000000000000000cfffffffffffffffff",
      ],
      [[undefined, { u: undefined }], "92d4000081a175d40000"],
      [
        [NaN, -Infinity, 2 ** 40, 0.1],
        "94cb7ff8000000000000cbfff0000000000000cb4270000000000000cb3fb999999999999a",
      ],
      [new Uint8Array([0, 1, 255]), "c4030001ff"],
      ["名前 🙂", "abe5908de5898d20f09f9982"],
    ];
    const hex = (bytes: Uint8Array) =>
      Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    for (const [value, expected] of golden) {
      assert.equal(hex(backend.dump({ value, expirationDate: null })), expected);
      assert.equal(
        hex(new MessagePackBackend({ lossy: true }).dump({ value, expirationDate: null })),
        expected,
        "lossy: true writes the same bytes",
      );
      assert.equal(
        hex(new MessagePackBackend({ classes: [class Unused {}] }).dump({
          value,
          expirationDate: null,
        })),
        expected,
        "registered classes change nothing for values without their instances",
      );
    }
  });

  test("lossy: true stores the conversions msgpackr makes; what cannot be stored is still refused", () => {
    const backend = new MessagePackBackend({ lossy: true });
    const cases: [unknown, unknown][] = [
      [{ m: new Map<unknown, unknown>([["a", 1], [2, "b"]]) }, { m: { a: 1, 2: "b" } }],
      [new Set([1, 2]), [1, 2]],
      [new Int16Array([1, -1]), new Uint8Array([1, 0, 255, 255])],
      [/x/g, ["x", "g"]],
      [[1, , 3], [1, undefined, 3]],
      [[Object(1), Object("s")], [{}, { 0: "s" }]],
      [{ s: "a\uD800" }, { s: "a\uFFFD" }],
      [JSON.parse('{"__proto__": 1}'), { __proto_: 1 }],
      [new Error("x"), ["Error", "x", undefined]],
    ];
    for (const [value, expected] of cases) {
      assert.deepStrictEqual(roundTrip(backend, value), expected);
    }
    assert.ok(Object.is(roundTrip(backend, -0), 0), "-0 comes back as 0");
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (
      const [value, message] of [
        [cycle, /a circular reference at value\.self/],
        [{ f() {} }, /a function \(f\) at value\.f/],
        [[2n ** 64n], /a bigint outside the 64-bit range/],
        [new Map([[{ k: 1 }, 1]]), /a Map key that is an object at value<Map entry 0 key>/],
      ] as const
    ) {
      assert.throws(() => backend.dump({ value, expirationDate: null }), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
    assert.throws(
      () => new MessagePackBackend({ lossy: "yes" as never }),
      /MessagePackBackend config lossy must be a boolean/,
    );
    assert.equal(new MessagePackBackend({ lossy: false }).config.lossy, false);
  });

  test("a msgpackr option that converts values is itself the opt-in to that conversion", () => {
    const maps = new MessagePackBackend({ mapsAsObjects: false });
    const map = new Map<unknown, unknown>([["a", 1], [2, new Map([["b", [3]]])]]);
    assert.deepStrictEqual(roundTrip(maps, { map }), new Map([["map", map]]));
    assert.throws(
      () => maps.dump({ value: new Set([1]), expirationDate: null }),
      /a Set at value /,
      "other conversions are still refused",
    );
    assert.deepStrictEqual(
      roundTrip(new MessagePackBackend({ setAsEmptyObject: true }), new Set([1])),
      {},
    );
    assert.deepStrictEqual(
      roundTrip(new MessagePackBackend({ mapAsEmptyObject: true }), new Map([[1, 2]])),
      {},
    );
    assert.equal(
      roundTrip(new MessagePackBackend({ largeBigIntToString: true }), 2n ** 70n),
      String(2n ** 70n),
    );
    assert.equal(roundTrip(new MessagePackBackend({ int64AsType: "number" }), 5n), 5);
  });

  test("config is passed to msgpackr", () => {
    const floats = new MessagePackBackend({ useFloat32: 1 });
    assert.equal(
      floats.dump({ value: 1.5, expirationDate: null }).length,
      5,
      "float32: 1 tag byte + 4",
    );
    assert.equal(
      new MessagePackBackend().dump({ value: 1.5, expirationDate: null }).length,
      9,
      "float64 by default",
    );
    assert.throws(
      () => new MessagePackBackend({ structuredClone: true } as never),
      /msgpackr-only/,
    );
    assert.throws(
      () => new MessagePackBackend({ colour: 1 } as never),
      /Unknown MessagePackBackend config key "colour"/,
    );
  });
});

describe("own __proto__ properties (a wrong value if a decoder assigns them)", () => {
  const value = JSON.parse('{"__proto__": null, "a": {"__proto__": {"x": 1}}}');

  test("StructuredCloneBackend keeps them as own properties", () => {
    const back = roundTrip(new StructuredCloneBackend(), value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.ok(Object.hasOwn(back, "__proto__"));
    assert.deepStrictEqual(back, structuredClone(value));
  });

  test("JSONBackend keeps them as own properties", () => {
    assert.deepStrictEqual(roundTrip(new JSONBackend(), value), value);
  });

  test("MessagePackBackend refuses them, and other values it cannot hold faithfully", () => {
    const backend = new MessagePackBackend();
    assert.throws(
      () => backend.dump({ value, expirationDate: null }),
      /own property named __proto__ at value\.__proto__/,
    );
    assert.throws(
      () => backend.dump({ value: [Object(1)], expirationDate: null }),
      /a boxed primitive at value\[0\]/,
    );
    assert.throws(
      () => backend.dump({ value: { s: "\uD800" }, expirationDate: null }),
      /lone surrogate at value\.s/,
    );
  });
});
