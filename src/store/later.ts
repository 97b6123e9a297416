// The modules a plain get does not use, loaded on their first use: computing
// (getOrSet, memoised calls: compute.ts with leases), explaining and pruning.
// A fresh process that only reads loads and compiles none of them (on Node 24
// every module is type-stripped as it loads). Each import is a literal
// relative path, which bundlers follow.

type Compute = typeof import("./compute.ts");
type Explain = typeof import("./explain.ts");
type Prune = typeof import("./prune.ts");

let compute: Promise<Compute> | undefined;
let explain: Promise<Explain> | undefined;
let prune: Promise<Prune> | undefined;

/** compute.ts, loaded once. */
export const computeModule = (): Promise<Compute> => compute ??= import("./compute.ts");
/** explain.ts, loaded once. */
export const explainModule = (): Promise<Explain> => explain ??= import("./explain.ts");
/** prune.ts, loaded once. */
export const pruneModule = (): Promise<Prune> => prune ??= import("./prune.ts");
