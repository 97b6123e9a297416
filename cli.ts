/**
 * The `bucketcache` command-line tool: look inside a cache directory, check
 * it, prune it, clear it or bring it under a size.
 *
 * ```sh
 * deno run --allow-read --allow-write jsr:@bucketcache/bucketcache/cli stats ./cache
 * node cli.ts ls ./cache --json        # Node 24 (type stripping); Node 20: node --import tsx cli.ts
 * bun cli.ts evict ./cache --max-size 1GB
 * ```
 *
 * Commands: `stats`, `ls`, `show`, `why`, `prune`, `verify`, `clear`,
 * `evict`, `invalidate`; `--help` on each. Exit codes: 0 done, 1 a problem
 * was found (`verify` left damaged files; `show` found no entry, a damaged
 * one, or refused `--json`; `why` found a miss), 2 bad command line, 3
 * failed. Only the library's own files are ever removed: named like an entry
 * and carrying its header; `invalidate --tag` writes a tag's counter in
 * `.bucketcache-tags/`.
 *
 * @module
 */

import process from "node:process";
import { main } from "./src/cli/main.ts";

export { EXIT, main } from "./src/cli/main.ts";
export type { CliOutput } from "./src/cli/main.ts";

if (import.meta.main ?? process.argv[1]?.endsWith("cli.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
