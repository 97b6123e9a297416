import { test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { StructuredCloneBackend } from "../mod.ts";
const backend = new StructuredCloneBackend();
test("hunt", () => {
  const value = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withTypedArray: true,
    withSparseArray: true,
    withUnicodeString: true,
    withObjectString: true,
    maxDepth: 4,
  });
  fc.assert(
    fc.property(value, (v) => {
      fc.pre(isDeepStrictEqual(structuredClone(v), structuredClone(v)));
      const bytes = backend.dump({ value: v, expirationDate: null });
      assert.deepStrictEqual(backend.load(bytes).value, structuredClone(v));
    }),
    { numRuns: 20000 },
  );
});
