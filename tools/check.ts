// Runs every static check CI runs, stopping at the first failure:
// fmt, lint, type check, docs lint, doc examples, publish dry run.

const deno = Deno.execPath();
const checks: string[][] = [
  ["fmt", "--check"],
  ["lint"],
  ["check", "mod.ts", "cli.ts", "redis.ts", "src/", "tests/", "examples/", "bench/", "tools/"],
  ["doc", "--lint", "mod.ts", "cli.ts", "redis.ts"],
  ["test", "--doc", "--allow-all", "mod.ts", "cli.ts", "redis.ts", "src/"],
  ["publish", "--dry-run", "--allow-dirty"],
];

for (const args of checks) {
  console.log(`\n=== deno ${args.join(" ")} ===`);
  const { code } = await new Deno.Command(deno, { args, stdout: "inherit", stderr: "inherit" })
    .output();
  if (code !== 0) {
    console.error(`\nstatic check failed: deno ${args.join(" ")}`);
    Deno.exit(code);
  }
}
console.log("\nall static checks passed");
