// The benchmark harness (issue 8). Every workload runs each system in a fresh
// process, systems in shuffled order, over several rounds; it reports medians
// and each figure's ratio to the raw-filesystem floor measured in the same
// rounds, and writes bench/results/<runtime>.{md,json,svg}.
//
//   deno task bench                       workers run on Deno
//   deno task bench --runtime bun         … on Bun (node: the system Node through tsx)
//   deno task bench --rounds 5 --count 5000
//   deno task bench --workloads big,many --many 100000
//
// Workloads: kv (1 set, 2 cold get, 3 warm get), memo (6), big (4: one 8 MiB
// value, with peak memory), big64 (the same with 64 MiB), many (5: --many small entries, then a new process
// opens the store and reads one; disk use), keys (7: bench/keys.ts).

import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { binarySystems, kvSystems, memoSystems } from "./systems.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    runtime: { type: "string", default: "deno" },
    rounds: { type: "string", default: "3" },
    count: { type: "string", default: "5000" },
    many: { type: "string", default: "100000" },
    workloads: { type: "string", default: "kv,memo,big,big64,many,keys" },
    only: { type: "string" },
    redraw: { type: "boolean", default: false },
  },
});
const root = resolve(import.meta.dirname ?? ".", "..");
const worker = join(root, "bench", "worker.ts");
const runtime = flags.runtime!;
let rounds = Number(flags.rounds);
let count = Number(flags.count);
let many = Number(flags.many);
const workloads = new Set(flags.workloads!.split(","));
for (const name of workloads) {
  if (!["kv", "memo", "big", "big64", "many", "keys"].includes(name)) {
    throw new TypeError(`--workloads takes kv, memo, big, big64, many and keys, got ${name}`);
  }
}
/** The systems of the many-entries workload: filling 100,000 files takes minutes each. */
const MANY_SYSTEMS = ["bucketcache (structured)", "floor: async fs", "cacache"];

function command(): [string, string[]] {
  switch (runtime) {
    case "deno":
      return [Deno.execPath(), ["run", "-A", "--node-modules-dir=manual", worker]];
    case "bun":
      return [join(root, "node_modules", ".bin", "bun"), [worker]];
    case "node":
      return ["node", ["--import", "tsx", worker]];
    default:
      throw new TypeError(`--runtime must be deno, bun or node, got ${runtime}`);
  }
}

async function runWorker(args: string[]): Promise<Record<string, number>> {
  const [exe, lead] = command();
  const { code, stdout, stderr } = await new Deno.Command(exe, {
    args: [...lead, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim().split("\n").pop() ?? "";
  if (code !== 0) {
    throw new Error(new TextDecoder().decode(stderr).trim().split("\n").slice(-3).join(" "));
  }
  return JSON.parse(text);
}

const shuffle = <T>(items: T[]): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
};
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};

const samples = new Map<string, Record<string, number[]>>();
const failures = new Map<string, string>();
const record = (system: string, result: Record<string, number>) => {
  const entry = samples.get(system) ?? {};
  for (const [metric, value] of Object.entries(result)) (entry[metric] ??= []).push(value);
  samples.set(system, entry);
};

const only = flags.only ? new RegExp(flags.only) : undefined;
const saved = join(root, "bench", "results", `${runtime}.json`);
/** Runs `steps` for each system on a fresh directory, recording failures. */
async function eachSystem<T extends { name: string }>(
  systems: T[],
  steps: (system: T, dir: string) => Promise<void>,
): Promise<void> {
  for (const system of systems) {
    const dir = await mkdtemp(join(tmpdir(), "bc-bench-"));
    try {
      await steps(system, dir);
    } catch (error) {
      failures.set(system.name, String((error as Error).message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

for (let round = 1; round <= (flags.redraw ? 0 : rounds); round++) {
  const pick = <T extends { name: string }>(systems: T[], workload: string) =>
    workloads.has(workload) ? shuffle(systems.filter((s) => !only || only.test(s.name))) : [];
  console.error(`round ${round}/${rounds}`);
  await eachSystem(pick(kvSystems, "kv"), async (system, dir) => {
    record(system.name, await runWorker(["set", system.name, dir, String(count)]));
    record(system.name, await runWorker(["get", system.name, dir, String(count)]));
  });
  await eachSystem(pick(memoSystems, "memo"), async (system, dir) => {
    record(system.name, await runWorker(["memo", system.name, dir, "2000"]));
    if (system.persistent) {
      record(system.name, await runWorker(["memo-cold", system.name, dir, "2000"]));
    }
  });
  await eachSystem(pick(binarySystems, "big"), async (system, dir) => {
    record(system.name, await runWorker(["big-set", system.name, dir, "1"]));
    record(system.name, await runWorker(["big-get", system.name, dir, "1"]));
  });
  await eachSystem(pick(binarySystems, "big64"), async (system, dir) => {
    record(system.name, await runWorker(["big-set", system.name, dir, "64"]));
    record(system.name, await runWorker(["big-get", system.name, dir, "64"]));
  });
  const manySystems = pick(binarySystems, "many").filter((s) => MANY_SYSTEMS.includes(s.name));
  await eachSystem(manySystems, async (system, dir) => {
    console.error(`  ${system.name}: ${many} entries`);
    record(system.name, await runWorker(["many-set", system.name, dir, String(many)]));
    record(system.name, await runWorker(["many-open", system.name, dir, String(many)]));
    record(system.name, { manyDisk: await diskUse(dir) });
  });
}

/** Bytes a directory takes on disk (allocated blocks, as `du` counts them). */
async function diskUse(dir: string): Promise<number> {
  const { stdout } = await new Deno.Command("du", { args: ["-sk", dir], stdout: "piped" }).output();
  return Number(new TextDecoder().decode(stdout).split("\t")[0]) * 1024;
}

/** Workload 7: the key benchmark, run once on the same runtime. */
async function keyTable(): Promise<string> {
  const [exe, lead] = command();
  const script = join(root, "bench", "keys.ts");
  const { code, stdout, stderr } = await new Deno.Command(exe, {
    args: [...lead.filter((a) => a !== worker), script],
    cwd: root,
    env: { BIG_MIB: "256" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim();
}

let medians: Record<string, Record<string, number>> = {};
for (const [system, metrics] of samples) {
  medians[system] = Object.fromEntries(Object.entries(metrics).map(([m, xs]) => [m, median(xs)]));
}
let keys: string | undefined;
if (!flags.redraw && workloads.has("keys")) {
  console.error("keys");
  keys = await keyTable();
}
if (existsSync(saved)) {
  // Results of workloads not run now (or all of them, with --redraw) come
  // from the saved file, so the table stays whole.
  const previous = JSON.parse(await Deno.readTextFile(saved));
  const fresh = medians;
  medians = previous.medians ?? {};
  for (const [system, metrics] of Object.entries(fresh)) {
    medians[system] = { ...medians[system], ...metrics };
  }
  if (!workloads.has("kv") || flags.redraw) {
    rounds = previous.rounds;
    count = previous.count;
  }
  if (!workloads.has("many") || flags.redraw) many = previous.many ?? many;
  keys ??= previous.keys;
  for (const [system, error] of Object.entries(previous.failures ?? {})) {
    if (!fresh[system]) failures.set(system, String(error));
  }
}
const floor = medians["floor: async fs"] ?? {};
const cell = (value: number | undefined, base: number | undefined) =>
  value === undefined
    ? "—"
    : `${value < 10 ? value.toFixed(2) : value.toFixed(0)} (${
      base ? (value / base).toFixed(2) : "?"
    }×)`;

const label = runtime === "node" ? "Node (system, via tsx)" : runtime === "bun" ? "Bun" : "Deno";
/** The table of one big-value workload: metrics `${prefix}Set`, `${prefix}Get`, …Peak. */
function bigTable(prefix: string, mib: number): string[] {
  const has = (name: string) => medians[name]?.[`${prefix}Set`] !== undefined;
  if (!binarySystems.some((s) => has(s.name))) return [];
  const ms = (m: Record<string, number>, metric: string) => m[`${prefix}${metric}`] / 1000;
  return [
    "",
    `One ${mib} MiB \`Uint8Array\`: ms to set and to get in a new process (× the floor), and peak memory`,
    "above the value during each (× the value's size; Linux VmHWM). JSON-only peers cannot store it.",
    "",
    "| system | guarantee | set | get | peak extra on set | peak extra on get |",
    "|---|---|---|---|---|---|",
    ...binarySystems.filter((s) => has(s.name)).map((s) => {
      const m = medians[s.name];
      return `| ${s.name} | ${s.guarantee} | ${cell(ms(m, "Set"), ms(floor, "Set"))} | ${
        cell(ms(m, "Get"), ms(floor, "Get"))
      } | ${m[`${prefix}SetPeak`].toFixed(2)}× | ${m[`${prefix}GetPeak`].toFixed(2)}× |`;
    }),
  ];
}

const lines = [
  `### ${label}: ${count} entries of ~1 KB, median of ${rounds} rounds, µs per operation (× the async-fs floor)`,
  "",
  "| system | guarantee | set | cold get (new process) | warm get (same instance; × floor cold get) |",
  "|---|---|---|---|---|",
  ...kvSystems.filter((s) => medians[s.name]).map((s) => {
    const m = medians[s.name];
    return `| ${s.name} | ${s.guarantee} | ${cell(m.set, floor.set)} | ${
      cell(m.coldGet, floor.coldGet)
    } | ${cell(m.warmGet, floor.coldGet)} |`;
  }),
  "",
  `Memoised \`f(a, b, c)\`, 3 small arguments: µs per call (cold hit: × the floor's cold get).`,
  "",
  "| system | persistent | miss | warm hit | cold hit (new process) |",
  "|---|---|---|---|---|",
  ...memoSystems.filter((s) => medians[s.name]).map((s) => {
    const m = medians[s.name];
    return `| ${s.name} | ${s.persistent ? "yes" : "no"} | ${
      cell(m.memoMiss, undefined).replace(" (?×)", "")
    } | ${cell(m.memoWarmHit, undefined).replace(" (?×)", "")} | ${
      s.persistent ? cell(m.memoColdHit, floor.coldGet) : "—"
    } |`;
  }),
  ...bigTable("big", 8),
  ...bigTable("big64", 64),
  ...(binarySystems.some((s) => medians[s.name]?.manyOpenGet !== undefined)
    ? [
      "",
      `${
        many.toLocaleString("en")
      } entries of ~10 bytes: µs per set while filling, then ms for a new`,
      "process to open the store and read one entry (× the floor), and the disk they take.",
      "",
      "| system | set while filling | open + 1 get (new process) | disk use | per entry |",
      "|---|---|---|---|---|",
      ...binarySystems.filter((s) => medians[s.name]?.manyOpenGet !== undefined).map((s) => {
        const m = medians[s.name];
        return `| ${s.name} | ${cell(m.manySet, floor.manySet)} | ${
          cell(m.manyOpenGet / 1000, floor.manyOpenGet / 1000)
        } | ${(m.manyDisk / 1048576).toFixed(0)} MiB | ${(m.manyDisk / many).toFixed(0)} B |`;
      }),
    ]
    : []),
  ...(keys ? ["", "Keys (workload 7, bench/keys.ts):", "", keys] : []),
  ...(failures.size ? ["", "Failed here:", ...[...failures].map(([s, e]) => `- ${s}: ${e}`)] : []),
];
const markdown = lines.join("\n") + "\n";
console.log(markdown);

/** A horizontal bar chart of set and cold-get ratios to the floor. */
function chart(): string {
  const rows = kvSystems.filter((s) => medians[s.name]?.set && medians[s.name]?.coldGet);
  const max = Math.max(
    ...rows.flatMap((
      s,
    ) => [medians[s.name].set / floor.set, medians[s.name].coldGet / floor.coldGet]),
    1,
  );
  const width = 360;
  const rowHeight = 34;
  const left = 220;
  const height = 52 + rows.length * rowHeight;
  const bars = rows.map((s, i) => {
    const y = 44 + i * rowHeight;
    const set = (medians[s.name].set / floor.set) / max * width;
    const get = (medians[s.name].coldGet / floor.coldGet) / max * width;
    const mine = s.name.startsWith("bucketcache");
    return `<text x="${left - 8}" y="${y + 14}" text-anchor="end" font-weight="${
      mine ? "bold" : "normal"
    }">${s.name}</text>` +
      `<rect x="${left}" y="${y}" width="${set.toFixed(1)}" height="12" fill="#3b82f6"/>` +
      `<rect x="${left}" y="${y + 14}" width="${get.toFixed(1)}" height="12" fill="#f59e0b"/>` +
      `<text x="${left + set + 4}" y="${y + 10}" font-size="10">${
        (medians[s.name].set / floor.set).toFixed(2)
      }×</text>` +
      `<text x="${left + get + 4}" y="${y + 24}" font-size="10">${
        (medians[s.name].coldGet / floor.coldGet).toFixed(2)
      }×</text>`;
  });
  const floorX = left + width / max;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    left + width + 80
  }" height="${height}" font-family="sans-serif" font-size="12">` +
    `<text x="10" y="16" font-weight="bold">${label}: time relative to the raw-filesystem floor (lower is better)</text>` +
    `<rect x="10" y="24" width="10" height="10" fill="#3b82f6"/><text x="24" y="33">set</text>` +
    `<rect x="60" y="24" width="10" height="10" fill="#f59e0b"/><text x="74" y="33">cold get (new process)</text>` +
    bars.join("") +
    `<line x1="${floorX}" y1="40" x2="${floorX}" y2="${
      height - 16
    }" stroke="#555" stroke-dasharray="4 3"/>` +
    `<text x="${floorX + 4}" y="${height - 4}" font-size="10" fill="#555">floor = 1×</text>` +
    `</svg>\n`;
}

const out = join(root, "bench", "results");
if (!existsSync(out)) await Deno.mkdir(out, { recursive: true });
await writeFile(join(out, `${runtime}.md`), markdown);
await writeFile(
  join(out, `${runtime}.json`),
  JSON.stringify(
    { runtime, rounds, count, many, keys, medians, failures: Object.fromEntries(failures) },
    null,
    2,
  ) + "\n",
);
await writeFile(join(out, `${runtime}.svg`), chart());
console.error(`wrote bench/results/${runtime}.{md,json,svg}`);
