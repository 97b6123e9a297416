// Shared randomness for tests: a seeded generator (reproducible runs) and the
// fast-check generator of arbitrary structured values.

import fc from "fast-check";

/** A xorshift32 generator of numbers in [0, 1), reproducible from `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/**
 * Arbitrary values of every type the library handles: bigints, boxed values,
 * dates, Maps, Sets, typed arrays, sparse arrays, unicode strings.
 */
export function anyValue(
  options: { nullPrototype?: boolean; objectString?: boolean; maxDepth?: number } = {},
) {
  return fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: options.nullPrototype ?? true,
    withTypedArray: true,
    withSparseArray: true,
    withUnicodeString: true,
    withObjectString: options.objectString ?? false,
    maxDepth: options.maxDepth ?? 3,
  });
}
