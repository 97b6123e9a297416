// The values whose key bytes are pinned in tests/golden/keys.json. Add to the
// end only; regenerate with `deno run -A tools/make_golden_keys.ts` and review
// the diff: an existing line that changes is a breaking change.

class Point {
  x: number;
  y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
}
class WithKeyState {
  secret = "ignored";
  [Symbol.for("bucketcache.keyState")]() {
    return { id: 7 };
  }
}
class WithToJSON {
  toJSON() {
    return "as json";
  }
}
class Money {
  cents: number;
  constructor(cents: number) {
    this.cents = cents;
  }
}
const shared = { s: 1 };
const sparse = [1, , 3];

export const goldenKeyValues: [string, () => unknown][] = [
  ["undefined", () => undefined],
  ["null", () => null],
  ["false", () => false],
  ["true", () => true],
  ["zero", () => 0],
  ["negative zero", () => -0],
  ["one", () => 1],
  ["minus one", () => -1],
  ["pi", () => Math.PI],
  ["NaN", () => NaN],
  ["Infinity", () => Infinity],
  ["-Infinity", () => -Infinity],
  ["max safe integer", () => Number.MAX_SAFE_INTEGER],
  ["min positive subnormal", () => Number.MIN_VALUE],
  ["max value", () => Number.MAX_VALUE],
  ["epsilon", () => Number.EPSILON],
  ["1e-300", () => 1e-300],
  ["bigint 0", () => 0n],
  ["bigint 1", () => 1n],
  ["bigint -1", () => -1n],
  ["bigint 255", () => 255n],
  ["bigint 256", () => 256n],
  ["bigint -256", () => -256n],
  ["bigint 2^64", () => 2n ** 64n],
  ["bigint -(10^40)", () => -(10n ** 40n)],
  ["empty string", () => ""],
  ["string a", () => "a"],
  ["string 1", () => "1"],
  ["string with NUL", () => "a\u0000b"],
  ["latin-1", () => "café"],
  ["CJK", () => "名前"],
  ["emoji (surrogate pair)", () => "🙂"],
  ["lone high surrogate", () => "\uD800"],
  ["lone low surrogate", () => "\uDFFF"],
  ["replacement character", () => "\uFFFD"],
  ["reversed pair", () => "\uDE00\uD83D"],
  ["string of 42 chars", () => "x".repeat(42)],
  ["string of 43 chars", () => "x".repeat(43)],
  ["string of 200 chars", () => "y".repeat(200)],
  ["empty array", () => []],
  ["array 1 2", () => [1, 2]],
  ["array with hole", () => sparse],
  ["array with undefined", () => [1, undefined, 3]],
  ["nested arrays", () => [[], [[]], [[[]]]]],
  ["mixed array", () => [null, true, 0, "0", 0n]],
  ["empty object", () => ({})],
  ["object a 1", () => ({ a: 1 })],
  ["object two keys", () => ({ b: 2, a: 1 })],
  ["object key order by bytes", () => ({ aa: 1, b: 2, "": 0, "é": 3 })],
  ["null-prototype object", () => Object.assign(Object.create(null), { a: 1 })],
  ["nested object", () => ({ user: { id: 42, tags: ["x", "y"] }, page: 3 })],
  ["object with undefined value", () => ({ a: undefined })],
  ["shared reference (not a cycle)", () => ({ p: shared, q: shared })],
  ["Date epoch", () => new Date(0)],
  ["Date 2026", () => new Date("2026-11-28T00:00:00.000Z")],
  ["invalid Date", () => new Date(NaN)],
  ["RegExp", () => /ab+c/gi],
  ["RegExp empty", () => new RegExp("")],
  ["empty Map", () => new Map()],
  ["Map", () => new Map<unknown, unknown>([["b", 2], ["a", 1]])],
  ["Map with object keys", () => new Map([[{ k: 2 }, "two"], [{ k: 1 }, "one"]])],
  ["Map with equal object keys", () => new Map([[{ k: 1 }, "z"], [{ k: 1 }, "a"]])],
  ["empty Set", () => new Set()],
  ["Set", () => new Set([3, 1, 2])],
  ["Set of mixed", () => new Set<unknown>(["1", 1, 1n])],
  ["ArrayBuffer", () => new Uint8Array([1, 2, 3]).buffer],
  ["empty ArrayBuffer", () => new ArrayBuffer(0)],
  ["Uint8Array", () => new Uint8Array([1, 2, 3])],
  ["Int8Array", () => new Int8Array([1, 2, 3])],
  ["Uint8ClampedArray", () => new Uint8ClampedArray([1, 2, 3])],
  ["Int16Array", () => new Int16Array([-1, 2])],
  ["Uint16Array", () => new Uint16Array([1, 2])],
  ["Int32Array", () => new Int32Array([-1])],
  ["Uint32Array", () => new Uint32Array([1])],
  ["Float32Array", () => new Float32Array([0.5, -0])],
  ["Float64Array", () => new Float64Array([Math.PI])],
  ["BigInt64Array", () => new BigInt64Array([-1n])],
  ["BigUint64Array", () => new BigUint64Array([1n])],
  ["subarray view", () => new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4)],
  ["DataView", () => new DataView(new Uint8Array([1, 2, 3]).buffer)],
  ["class instance", () => new Point(1, 2)],
  ["class with keyState", () => new WithKeyState()],
  ["class with toJSON", () => new WithToJSON()],
  ["instance with parameter property", () => new Money(250)],
  ["boxed number", () => Object(5)],
  ["boxed string", () => Object("s")],
  ["boxed boolean", () => Object(false)],
  ["memoize-like call", () => ["add", { version: 1 }, [1, 2]]],
  ["deep nesting", () => ({ a: { b: { c: { d: { e: [1, { f: new Map([["g", new Set([1])]]) }] } } } } })],
];
