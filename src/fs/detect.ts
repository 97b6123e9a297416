/**
 * Chooses the storage adapter for the running runtime.
 *
 * @module
 */

import type { FileSystem } from "./types.ts";
import { DenoFileSystem } from "./deno.ts";
import { NodeFileSystem } from "./node.ts";
import { builtin } from "./builtins.ts";

/** Where a program runs, as far as choosing (or suggesting) an adapter goes. */
export type RuntimeEnvironment = "deno" | "node" | "browser" | "worker" | "workerd" | "unknown";

/** What a runtime offers for the default adapter (read from a global object). */
export interface RuntimeProbe {
  /** Deno's own file API (`Deno.open` and friends), outside Bun. */
  deno: boolean;
  /** node:fs, reachable through `process.getBuiltinModule`. */
  nodeFs: boolean;
  /** The kind of runtime, for the error that names adapters. */
  environment: RuntimeEnvironment;
  /** `process.versions.node`, where there is one (Node, and the runtimes that imitate it). */
  nodeVersion?: string;
}

/** Reads what `global` (default: `globalThis`) offers; nothing is imported or called. */
export function probeRuntime(global: object = globalThis): RuntimeProbe {
  const g = global as {
    Deno?: { open?: unknown };
    Bun?: unknown;
    process?: { versions?: { node?: unknown } };
    navigator?: { userAgent?: unknown };
    document?: unknown;
    WorkerGlobalScope?: unknown;
  };
  const deno = "Deno" in g && !("Bun" in g) && typeof g.Deno?.open === "function";
  // node:fs/promises comes with node:fs; asking for it here would load it early.
  // Deno always has node:fs where it answers getBuiltinModule, and its own
  // adapter wins: asking would load node:fs (about 8 ms of a fresh process).
  const nodeFs = deno
    ? typeof (g.process as { getBuiltinModule?: unknown } | undefined)?.getBuiltinModule ===
      "function"
    : builtin("node:fs", g) !== undefined;
  const nodeVersion = typeof g.process?.versions?.node === "string"
    ? g.process.versions.node
    : undefined;
  let environment: RuntimeEnvironment;
  if (g.navigator?.userAgent === "Cloudflare-Workers") environment = "workerd";
  else if (deno) environment = "deno";
  else if (nodeFs || nodeVersion !== undefined) environment = "node";
  else if (typeof g.document === "object" && g.document !== null) environment = "browser";
  else if (typeof g.WorkerGlobalScope === "function") environment = "worker";
  else environment = "unknown";
  return { deno, nodeFs, environment, ...(nodeVersion === undefined ? {} : { nodeVersion }) };
}

interface AdapterSuggestion {
  name: string;
  from: string;
  fits: string;
  environments: readonly RuntimeEnvironment[];
}

const ADAPTERS: readonly AdapterSuggestion[] = [
  {
    name: "OpfsFileSystem",
    from: "@bucketcache/bucketcache/opfs",
    fits: "for browsers and web workers, on the Origin Private File System",
    environments: ["browser", "worker", "unknown"],
  },
  {
    name: "WorkersKVFileSystem",
    from: "@bucketcache/bucketcache/workers-kv",
    fits: "for Cloudflare Workers, over a KV namespace binding",
    environments: ["workerd", "unknown"],
  },
  {
    name: "DenoKvFileSystem",
    from: "@bucketcache/bucketcache/deno-kv",
    fits: "for Deno KV, local or on Deno Deploy",
    environments: ["deno", "unknown"],
  },
  {
    name: "RedisFileSystem",
    from: "@bucketcache/bucketcache/redis",
    fits: "for a Redis server, through your client",
    environments: ["deno", "node", "unknown"],
  },
  {
    name: "MemoryFileSystem",
    from: "@bucketcache/bucketcache",
    fits: "anywhere, entries in memory only",
    environments: ["deno", "node", "browser", "worker", "workerd", "unknown"],
  },
];

const WHERE: Record<RuntimeEnvironment, string> = {
  deno: "In this Deno",
  node: "In this runtime",
  browser: "In a browser",
  worker: "In a web worker",
  workerd: "In Cloudflare Workers",
  unknown: "In this runtime",
};

/** The TypeError that says no disk adapter exists here, and which to pass instead. */
export function noDiskAdapterError(probe: RuntimeProbe): TypeError {
  const describe = (a: AdapterSuggestion) => `${a.name} from "${a.from}" (${a.fits})`;
  const fitting = ADAPTERS.filter((a) => a.environments.includes(probe.environment));
  const others = ADAPTERS.filter((a) => !fitting.includes(a));
  const why = probe.environment === "workerd"
    ? "In Cloudflare Workers there is no disk to store entries on (node:fs, with " +
      "nodejs_compat, is an in-memory file system that does not outlive the request)"
    : probe.nodeVersion !== undefined && !probe.nodeFs && !probe.deno
    ? `Node.js ${probe.nodeVersion} has no process.getBuiltinModule to reach node:fs with ` +
      "(Node 20.16, 22.3 and later have it: upgrade Node, or pass an fs adapter)"
    : `${WHERE[probe.environment]} there is no disk to store entries on (neither Deno's ` +
      "file API nor node:fs)";
  return new TypeError(
    `${why}. Pass an fs adapter, new Bucket(dir, { fs }), such as ` +
      `${fitting.map(describe).join(", or ")}${
        others.length === 0 ? "" : `. Elsewhere: ${others.map(describe).join("; ")}`
      }`,
  );
}

/**
 * The default adapter for what `probe` says the runtime offers.
 *
 * @throws {TypeError} where there is no disk (browsers, web workers, Cloudflare Workers), naming
 *   the adapters to pass instead
 */
export function fileSystemFor(probe: RuntimeProbe): FileSystem {
  if (probe.environment === "workerd") throw noDiskAdapterError(probe);
  if (probe.deno) return new DenoFileSystem();
  if (probe.nodeFs) return new NodeFileSystem();
  throw noDiskAdapterError(probe);
}

let runtimeFileSystem: FileSystem | undefined;

/**
 * Returns the default {@linkcode FileSystem} of the running runtime:
 * {@linkcode DenoFileSystem} in Deno, {@linkcode NodeFileSystem} in Node and
 * Bun (Bun's `node:fs` measured as fast as `Bun.write` for small atomic
 * writes, so it has no adapter of its own). The instance is shared.
 *
 * @returns the adapter a bucket uses when its `fs` option is not given
 * @throws {TypeError} where the runtime has no disk (browsers, web workers,
 *   Cloudflare Workers): the message names the adapters to pass as `fs` there
 *
 * @example
 * ```ts
 * import { defaultFileSystem } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultFileSystem().name, "Deno" in globalThis ? "deno" : "node");
 * ```
 */
export function defaultFileSystem(): FileSystem {
  runtimeFileSystem ??= fileSystemFor(probeRuntime());
  return runtimeFileSystem;
}
