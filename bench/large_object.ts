// A large object (issue 19, target 1b): 500,000 small objects (30 MB as
// JSON, about 64 MiB in memory) set and got through each backend with the memory
// layer off, against each backend's natural floor in the same rounds:
// JSONBackend against JSON.stringify + write to a temporary file + rename and
// readFile + JSON.parse; StructuredCloneBackend against msgpackr's
// `new Packr({ structuredClone: true })` pack + write + rename and read +
// unpack; MessagePackBackend against a plain Packr with the options that
// write the backend's bytes (`useRecords: false` for standard MessagePack,
// `variableMapSize: true`) the same way.
// The bucket's get is a fresh bucket's (the file is read and decoded).
// Systems interleave over rounds (the order alternates); medians and ratios
// to the floor are printed as one JSON line.
//
//   DENO_NO_PACKAGE_JSON=1 deno run -A --node-modules-dir=manual --no-lock bench/large_object.ts [rounds] [count]
//   node_modules/.bin/bun bench/large_object.ts
//   node --import tsx bench/large_object.ts

import { mkdtempSync, rmSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Packr } from "msgpackr/pack";
import {
  type Backend,
  Bucket,
  JSONBackend,
  MessagePackBackend,
  StructuredCloneBackend,
} from "../mod.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const rounds = Number(args[0] ?? 5);
const count = Number(args[1] ?? 500_000);
const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const runtime = "Bun" in globalThis ? "bun" : deno ? "deno" : `node ${process.versions.node}`;

const value = Array.from(
  { length: count },
  (_, i) => ({ id: i, name: `item ${i}`, score: i * 1.5, ok: i % 2 === 0 }),
);
const check = (back: unknown, who: string) => {
  const array = back as typeof value;
  const last = array?.[count - 1];
  if (array?.length !== count || last.id !== count - 1 || last.name !== `item ${count - 1}`) {
    throw new Error(`${who}: wrong value back`);
  }
};

/** The runtime's own whole-file write: Deno.writeFile on Deno (one write call). */
const writeWhole = (path: string, data: Uint8Array | string) =>
  deno && !("Bun" in globalThis)
    ? deno.writeFile(path, typeof data === "string" ? new TextEncoder().encode(data) : data)
    : writeFile(path, data);
let counter = 0;
const writeAtomic = async (path: string, data: Uint8Array | string) => {
  const tmp = `${path}.${counter++}.tmp`;
  await writeWhole(tmp, data);
  await rename(tmp, path);
};

interface Store {
  set(value: unknown): Promise<void>;
  get(): Promise<unknown>;
}
const jsonFloor = (dir: string): Store => ({
  set: (v) => writeAtomic(join(dir, "v.json"), JSON.stringify(v)),
  get: async () => JSON.parse(await readFile(join(dir, "v.json"), "utf8")),
});
const packrFloor = (packr: Packr) => (dir: string): Store => ({
  set: (v) => writeAtomic(join(dir, "v.msgpack"), packr.pack(v)),
  get: async () => packr.unpack(await readFile(join(dir, "v.msgpack"))),
});
const bucket = (backend: new () => Backend) => (dir: string): Store => ({
  set: (v) => new Bucket(dir, { backend, memory: false }).set("v", v).then(() => {}),
  get: () => new Bucket(dir, { backend, memory: false }).get("v"),
});

const groups: [string, [string, (dir: string) => Store][]][] = [
  ["JSONBackend", [["floor", jsonFloor], ["bucketcache", bucket(JSONBackend)]]],
  ["StructuredCloneBackend", [
    ["floor", packrFloor(new Packr({ structuredClone: true }))],
    ["bucketcache", bucket(StructuredCloneBackend)],
  ]],
  ["MessagePackBackend", [
    ["floor", packrFloor(new Packr({ useRecords: false, variableMapSize: true }))],
    ["bucketcache", bucket(MessagePackBackend)],
  ]],
];

const samples: Record<string, number[]> = {};
const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
for (let round = 0; round < rounds; round++) {
  for (const [group, systems] of groups) {
    for (const [name, open] of round % 2 ? systems : [...systems].reverse()) {
      const dir = mkdtempSync(join(tmpdir(), "bc-large-"));
      try {
        // The bucket's first set creates its layout file and a shard: done
        // on a small value, outside the timing.
        await new Bucket(dir, { memory: false }).set("warm", 1);
        let t = performance.now();
        await open(dir).set(value);
        add(`${group} ${name} set`, performance.now() - t);
        const store = open(dir);
        t = performance.now();
        const back = await store.get();
        add(`${group} ${name} get`, performance.now() - t);
        check(back, `${group} ${name}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out: Record<string, string> = {
  runtime,
  value: `${count} objects, ${(JSON.stringify(value).length / 1e6).toFixed(1)} MB as JSON`,
  rounds: String(rounds),
};
for (const [group] of groups) {
  for (const phase of ["set", "get"]) {
    const f = median(samples[`${group} floor ${phase}`]);
    const b = median(samples[`${group} bucketcache ${phase}`]);
    out[`${group} ${phase}`] = `${b.toFixed(0)} ms vs floor ${f.toFixed(0)} (${
      (b / f).toFixed(2)
    }×)`;
  }
}
console.log(JSON.stringify(out));
