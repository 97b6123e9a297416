// Spawning test scripts in each runtime (Deno, Bun, Node through tsx), from any runtime.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type RuntimeName = "deno" | "bun" | "node";

/** The repository root. */
export const root: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const localBin = (name: string) => join(root, "node_modules", ".bin", name);

/** How to run a TypeScript file in `runtime`: [executable, leading args]. */
export function runtimeCommand(runtime: RuntimeName): [string, string[]] {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  switch (runtime) {
    case "deno": {
      const deno = env.BUCKETCACHE_DENO ??
        ("Deno" in globalThis && !("Bun" in globalThis)
          ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath()
          : "deno");
      return [deno, ["run"]];
    }
    case "bun":
      return [env.BUCKETCACHE_BUN ?? localBin("bun"), ["run"]];
    case "node": {
      const node = env.BUCKETCACHE_NODE ?? "node";
      return [node, ["--import", "tsx"]];
    }
  }
}

/** Whether a runtime can be spawned here (its executable exists or is on PATH). */
export function runtimeAvailable(runtime: RuntimeName): boolean {
  const [command] = runtimeCommand(runtime);
  return !command.includes("/") || existsSync(command);
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script in a runtime and collects its output. `denoFlags` are passed
 * to `deno run` only (permissions); other runtimes get `--allow-all`-like access.
 */
export function runScript(
  runtime: RuntimeName,
  script: string,
  args: string[] = [],
  options: { denoFlags?: string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const [command, lead] = runtimeCommand(runtime);
  const flags = runtime === "deno" ? (options.denoFlags ?? ["--allow-all"]) : [];
  const child = spawn(command, [...lead, ...flags, script, ...args], {
    cwd: root,
    env: { ...process.env, DENO_NO_PACKAGE_JSON: "1", NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
