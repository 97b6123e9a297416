// The backends' fast paths (issue 19) decide exactly what the full checks
// decide: inspectValue (whose fast walk gives up where it cannot decide)
// against the full walk alone, and JSONBackend without a replacer (a walk,
// then JSON.stringify without one) against the replacer path, for the same
// values: the same result, or the same error class and message.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { anyValue } from "./helpers/random.ts";
import { JSONBackend } from "../mod.ts";
import {
  inspectValue,
  inspectValueFully,
  type MessagePackRules,
} from "../src/backends/_value_walk.ts";

const outcome = (f: () => unknown): unknown => {
  try {
    return { value: f() };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
};

class Registered {
  x = 1;
  nested: unknown = { y: -0 };
}
class Unregistered {
  a = [1, 2];
}
class WithToJSON {
  b = 2;
  toJSON(): unknown {
    return { b: this.b };
  }
}
class LaterDate extends Date {}
const classes = new Map<object, string>([[Registered.prototype, "Registered"]]);

const chain = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { next: value, i };
  return value;
};
const cycle = (depth: number): unknown => {
  const root: Record<string, unknown> = { root: true };
  let at = root;
  for (let i = 0; i < depth; i++) at = (at.next = { i }) as Record<string, unknown>;
  at.back = root;
  return root;
};
const ownToJSON = new Date(0);
Object.defineProperty(ownToJSON, "toJSON", { value: () => "x" });
const hiddenToJSON = { a: 1 };
Object.defineProperty(hiddenToJSON, "toJSON", { value: () => 1n, enumerable: false });
const shared = { z: -0, s: "\uD800" };
const dateWithProperty = Object.assign(new Date(0), { extra: () => 1 });
const fakeDate = Object.create(Date.prototype);

const specials: unknown[] = [
  -0,
  NaN,
  Infinity,
  -Infinity,
  undefined,
  null,
  1n,
  2n ** 70n,
  -(2n ** 64n),
  () => 1,
  function named() {},
  Symbol("s"),
  "\uD800",
  "ok \uFFFD",
  { "\uDC00": 1 },
  JSON.parse('{"__proto__": 1}'),
  [, 1],
  new Array(3),
  [undefined],
  Object(1),
  Object("s"),
  Object(true),
  Object(1n),
  new Map([[{}, 1]]),
  new Map([["a", -0]]),
  new Map([[["k", 1], 2]]),
  new Set([1, "\uD800"]),
  new Date(0),
  new Date(NaN),
  new LaterDate(0),
  dateWithProperty,
  fakeDate,
  [new Date(1), { at: new Date(2) }],
  ownToJSON,
  hiddenToJSON,
  new Uint8Array(2),
  Buffer.from([1, 2]),
  new Int16Array(2),
  new ArrayBuffer(2),
  new DataView(new ArrayBuffer(2)),
  /x/g,
  new Error("e", { cause: -0 }),
  new TypeError("t"),
  new WeakMap(),
  Promise.resolve(1),
  new Registered(),
  new Unregistered(),
  new WithToJSON(),
  Object.assign(Object.create(null), { a: -0, b: "x" }),
  Object.assign(Object.create(Array.prototype), { 0: () => 1 }),
  chain(100, 1),
  chain(100, -0),
  chain(100, () => 1),
  cycle(3),
  cycle(80),
  [shared, shared],
  { a: shared, b: [shared] },
];

const rulesVariants: (MessagePackRules | undefined)[] = [
  undefined,
  {
    lossy: false,
    mapsAsMaps: false,
    emptyMaps: false,
    emptySets: false,
    largeBigInts: false,
    arrayMapKeys: false,
  },
  {
    lossy: true,
    mapsAsMaps: false,
    emptyMaps: false,
    emptySets: false,
    largeBigInts: false,
    arrayMapKeys: false,
  },
  {
    lossy: false,
    mapsAsMaps: true,
    emptyMaps: false,
    emptySets: true,
    largeBigInts: true,
    arrayMapKeys: true,
  },
];

const sameInspection = (value: unknown) => {
  for (const rules of rulesVariants) {
    for (const registry of [undefined, classes]) {
      const fast = outcome(() => inspectValue(value, "B", rules, registry));
      const full = outcome(() => inspectValueFully(value, "B", rules, registry));
      assert.deepEqual(fast, full, `rules ${JSON.stringify(rules)}, classes ${Boolean(registry)}`);
    }
  }
};

const plainJSON = new JSONBackend();
const replacerJSON = new JSONBackend({
  replacer(_key: string, value: unknown) {
    return value;
  },
});
const spacedJSON = new JSONBackend({ space: 2 });
const spacedReplacerJSON = new JSONBackend({ space: 2, replacer: (_k, value) => value });
const sameJSON = (value: unknown) => {
  const entry = { value, expirationDate: null };
  assert.deepEqual(outcome(() => plainJSON.dump(entry)), outcome(() => replacerJSON.dump(entry)));
  assert.deepEqual(
    outcome(() => spacedJSON.dump(entry)),
    outcome(() => spacedReplacerJSON.dump(entry)),
  );
};

const placed = (base: unknown, special: unknown, where: number): unknown => {
  switch (where % 6) {
    case 0:
      return special;
    case 1:
      return [base, special];
    case 2:
      return { base, special };
    case 3:
      return [{ list: [base, { deep: special }] }];
    case 4:
      return { special, base };
    default:
      return new Map([["m", [special, base]]]);
  }
};

describe("fast paths decide as the full checks", () => {
  test("inspectValue: each special value, in each place", () => {
    for (const special of specials) {
      for (let where = 0; where < 6; where++) {
        sameInspection(placed({ a: [1, "x"] }, special, where));
      }
    }
  });

  test("inspectValue: generated values with special ones placed in them", () => {
    fc.assert(
      fc.property(
        anyValue({ maxDepth: 3 }),
        fc.nat({ max: specials.length - 1 }),
        fc.nat(),
        (base, index, where) => {
          sameInspection(base);
          sameInspection(placed(base, specials[index], where));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("JSONBackend without a replacer: each special value, in each place", () => {
    for (const special of specials) {
      for (let where = 0; where < 5; where++) sameJSON(placed({ a: [1, "x"] }, special, where));
    }
  });

  test("JSONBackend without a replacer: Dates while Date's methods are replaced", () => {
    const original = Date.prototype.toISOString;
    try {
      Date.prototype.toISOString = function () {
        return (() => 1) as unknown as string;
      };
      sameJSON({ at: new Date(0) });
      assert.throws(() => plainJSON.dump({ value: { at: new Date(0) }, expirationDate: null }), {
        name: "TypeError",
        message: /cannot store a function \(at property "at"\)/,
      });
    } finally {
      Date.prototype.toISOString = original;
    }
  });

  test("JSONBackend without a replacer: generated values", () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, anyValue({ maxDepth: 2 }), fc.nat({ max: specials.length - 1 }), fc.nat(), (
        base,
        other,
        index,
        where,
      ) => {
        sameJSON(base);
        sameJSON(other);
        sameJSON(placed(base, specials[index], where));
      }),
      { numRuns: 300 },
    );
  });
});
