import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { anyValue } from "./helpers/random.ts";
import { decode as independentDecode } from "@msgpack/msgpack";
import { JSONBackend, MessagePackBackend, StructuredCloneBackend } from "../mod.ts";

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
