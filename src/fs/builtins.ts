// The runtime's built-in modules, where it has them: Node (≥ 20.16 and
// ≥ 22.3), Bun and Deno answer `process.getBuiltinModule`; browsers, web
// workers and Cloudflare Workers without `nodejs_compat` have no `process`
// (or none with it) and get undefined. No static or dynamic `import` of a
// `node:` module is written anywhere on mod.ts's import path, so bundlers for
// the browser find none, and importing the library loads nothing it does not
// use. Types come from `import type`, which is erased.

type GetBuiltinModule = (id: string) => unknown;

/**
 * The built-in module `id` (such as `"node:path"`), or undefined where the
 * runtime has none (or no `process.getBuiltinModule` to ask).
 *
 * @param id a `node:` module name
 * @param global the global object to ask (tests pass their own)
 */
export function builtin<T>(id: `node:${string}`, global: object = globalThis): T | undefined {
  const process = (global as { process?: { getBuiltinModule?: GetBuiltinModule } }).process;
  if (typeof process?.getBuiltinModule !== "function") return undefined;
  try {
    return (process.getBuiltinModule(id) ?? undefined) as T | undefined;
  } catch {
    // A runtime that refuses the name (or a stand-in `process` that throws).
    return undefined;
  }
}
