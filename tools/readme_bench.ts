// Copies the benchmark results (bench/results/<runtime>.md and .svg) into
// the README between its bench markers:  deno run -A tools/readme_bench.ts

const root = new URL("..", import.meta.url);
const readme = new URL("README.md", root);
const text = await Deno.readTextFile(readme);
const start = text.indexOf("<!-- bench:start");
const end = text.indexOf("<!-- bench:end -->");
if (start < 0 || end < 0) throw new Error("README.md has no bench markers");
const parts: string[] = [];
for (const [runtime, label] of [["node", "Node"], ["deno", "Deno"], ["bun", "Bun"]]) {
  const md = await Deno.readTextFile(new URL(`bench/results/${runtime}.md`, root));
  parts.push(
    `![${label}: time relative to the raw-filesystem floor](bench/results/${runtime}.svg)\n`,
    md.trim().replace(/^### /m, "#### ") + "\n",
  );
}
const head = text.slice(0, text.indexOf("\n", start) + 1);
await Deno.writeTextFile(readme, head + "\n" + parts.join("\n") + "\n" + text.slice(end));
console.log("README.md: benchmark results updated");
