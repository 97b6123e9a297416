// Run by npm before `npm run demo`, `npm test` and `npm run check` (the
// predemo/pretest/precheck scripts): on a fresh clone, installs the npm
// packages (`npm ci`, which brings Deno into node_modules/) so that the
// README's two commands work without a separate install step. Does nothing
// once node_modules/.bin/deno exists.

import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
if (!existsSync(deno)) {
  console.log("node_modules/ is missing: installing with npm ci (once)");
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, "ci", "--no-audit", "--no-fund"], {
      cwd: root,
      stdio: "inherit",
    })
    : spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
      cwd: root,
      stdio: "inherit",
      shell: true,
    });
  process.exit(result.status ?? 1);
}
