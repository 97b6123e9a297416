// Bundles a test entry for a browser page, a web worker or workerd with
// esbuild (in node_modules through tsx), Node built-ins replaced by the
// stand-ins in shims/. Each `node:` import that the library itself (mod.ts,
// src/, the entry points) still makes is recorded: today's bundles need the
// stand-ins for those, and the tests print them, so the list shows what in
// the core still keeps a browser or a Worker from loading it unchanged.

import { fileURLToPath } from "node:url";
import { dirname, join, relative, resolve } from "node:path";

/** The repository root. */
export const root: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shims = join(root, "tests", "browser", "shims");

const SHIMS: Record<string, string> = {
  "node:test": "node_test.ts",
  "node:assert": "node_assert.ts",
  "node:assert/strict": "node_assert.ts",
  "node:buffer": "node_buffer.ts",
  "node:crypto": "node_crypto.ts",
  "node:path": "node_path.ts",
  "node:path/posix": "node_path.ts",
  "node:fs": "node_other.ts",
  "node:fs/promises": "node_other.ts",
  "node:os": "node_other.ts",
  "node:child_process": "node_other.ts",
  "node:url": "node_other.ts",
  "node:zlib": "node_other.ts",
  "node:process": "node_other.ts",
};

/** A `node:` import of the library that a bundle needed a stand-in for. */
export interface CoreNodeImport {
  /** Such as `"node:path"`. */
  module: string;
  /** The library file importing it, relative to the root (`"src/keys/hash.ts"`). */
  importer: string;
}

/** What {@linkcode bundle} made. */
export interface Bundle {
  /** The bundled ES module. */
  code: string;
  /** The library's own `node:` imports that were replaced, sorted. */
  coreNodeImports: CoreNodeImport[];
}

interface EsbuildPluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: { path: string; importer: string }) => unknown,
  ): void;
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles: { text: string }[];
    errors: unknown[];
  }>;
}

/** Loads esbuild (an npm package; a computed name keeps `deno check` from resolving it). */
export async function loadEsbuild(): Promise<Esbuild> {
  const name = ["es", "build"].join("");
  const module = await import(name);
  return (module.default ?? module) as Esbuild;
}

/** Whether a file belongs to the library (not to the tests). */
const isLibrary = (file: string): boolean =>
  !file.startsWith("tests/") && !file.startsWith("node_modules/") && !file.startsWith("..");

/**
 * Bundles `entry` (relative to the repository root) into one ES module.
 *
 * @param entry such as `"tests/browser/contract_page.ts"`
 * @param target `"browser"` (pages and web workers) or `"workerd"`
 * @param replaceNodeImports replace `node:` imports with the stand-ins
 *   (`false`: a `node:` import fails the build, as for users)
 */
export async function bundle(
  entry: string,
  target: "browser" | "workerd",
  replaceNodeImports = true,
): Promise<Bundle> {
  const esbuild = await loadEsbuild();
  const found = new Map<string, CoreNodeImport>();
  const plugin = {
    name: "node-stand-ins",
    setup(build: EsbuildPluginBuild) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        const shim = SHIMS[args.path];
        if (!replaceNodeImports || shim === undefined) return undefined;
        const importer = relative(root, args.importer).replaceAll("\\", "/");
        if (isLibrary(importer)) {
          found.set(`${args.path} ${importer}`, { module: args.path, importer });
        }
        return { path: join(shims, shim) };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: target === "workerd" ? ["workerd", "worker", "browser"] : ["browser"],
    plugins: [plugin],
    logLevel: "silent",
    sourcemap: "inline",
    legalComments: "none",
  });
  return {
    code: result.outputFiles[0].text,
    coreNodeImports: [...found.values()].sort((a, b) =>
      a.importer === b.importer
        ? a.module.localeCompare(b.module)
        : a.importer.localeCompare(b.importer)
    ),
  };
}

/** The esbuild errors of a failed build, one line each (file:line: text). */
export function buildErrors(error: unknown): string[] {
  const errors = (error as {
    errors?: { text: string; location?: { file: string; line: number } | null }[];
  }).errors;
  if (!Array.isArray(errors)) return [String(error)];
  return errors.map((e) =>
    `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`
  );
}

/**
 * Bundles an entry that uses the library (a Bucket) the way a user's bundler
 * would, with no stand-ins; only if that fails (the core still imports a
 * Node built-in on its path), again with the stand-ins, reporting which of
 * the core's imports needed one and the errors of the first attempt.
 */
export async function bundleLibraryUser(
  entry: string,
  target: "browser" | "workerd",
): Promise<Bundle & { standIns: boolean; plainErrors: string[] }> {
  try {
    return { ...await bundle(entry, target, false), standIns: false, plainErrors: [] };
  } catch (error) {
    return {
      ...await bundle(entry, target, true),
      standIns: true,
      plainErrors: buildErrors(error),
    };
  }
}
