// Async context, where the runtime has it (node:async_hooks' AsyncLocalStorage
// in Node, Bun and Deno; reached without a static import so that browsers and
// Workers load this file too). Memoisation uses it to tell a function that
// calls itself with the same key — which would wait for itself forever —
// from two independent callers.

/** A value that follows async calls made inside `run`. */
export interface AsyncContext<T> {
  /** The value of the innermost `run` this code is called from, if any. */
  getStore(): T | undefined;
  /** Runs `fn` with `value` as the context. */
  run<R>(value: T, fn: () => R): R;
}

type AsyncLocalStorageClass = new <T>() => AsyncContext<T>;

/** A new async context, or undefined where the runtime has none. */
export function newAsyncContext<T>(): AsyncContext<T> | undefined {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  }).process;
  const hooks = process?.getBuiltinModule?.("node:async_hooks") as
    | { AsyncLocalStorage?: AsyncLocalStorageClass }
    | undefined;
  return hooks?.AsyncLocalStorage === undefined ? undefined : new hooks.AsyncLocalStorage<T>();
}
