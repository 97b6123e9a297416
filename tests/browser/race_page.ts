// removeIfUnchanged and createExclusive across agents: this page removes
// judged values while a dedicated worker (race_worker.ts: another agent with
// its own event loop, as another tab would be) writes newer ones over them;
// then both create the same file at once. The Web Lock each replace, create
// and compare-and-remove takes must keep every newer value, and let exactly
// one creator win.

import { OpfsFileSystem } from "../../src/fs/opfs.ts";

const fs = new OpfsFileSystem();
const dir = `/race-${Date.now().toString(36)}`;
const path = `${dir}/entry`;
const worker = new Worker("/race_worker.js", { type: "module" });
const fromWorker = () =>
  new Promise<unknown>((resolve) =>
    worker.addEventListener("message", (e) => resolve(e.data), { once: true })
  );

const value = (round: number, which: number) => {
  const bytes = new Uint8Array(200_000 + round);
  bytes.fill(which);
  new DataView(bytes.buffer).setUint32(0, round);
  return bytes;
};

const outcome = {
  rounds: 0,
  removed: 0,
  kept: 0,
  lost: [] as number[],
  creations: 0,
  notExactlyOne: [] as number[],
  error: "",
};
try {
  await fs.mkdir(dir);
  await fromWorker(); // ready
  for (let round = 0; round < 40; round++) {
    const judged = value(round, 1);
    await fs.writeFileAtomic(path, judged);
    const written = fromWorker();
    worker.postMessage({ path, round, create: false });
    if (round % 2) await new Promise((resolve) => setTimeout(resolve, round % 5));
    const removed = await fs.removeIfUnchanged(path, judged);
    await written;
    const now = await fs.readFile(path);
    outcome.rounds++;
    if (removed) outcome.removed++;
    else outcome.kept++;
    const expected = value(round, 2);
    if (now === null || now.byteLength !== expected.byteLength || now[10] !== 2) {
      outcome.lost.push(round);
    }
  }
  for (let round = 0; round < 30; round++) {
    const lease = `${dir}/.lease-${round}`;
    const theirs = fromWorker();
    worker.postMessage({ path: lease, round, create: true });
    const mine = await fs.createExclusive(lease, value(round, 3));
    const won = [mine, (await theirs) === "created"].filter(Boolean).length;
    outcome.creations++;
    if (won !== 1) outcome.notExactlyOne.push(round);
  }
} catch (error) {
  outcome.error = String(error);
}
(globalThis as { __results?: unknown }).__results = outcome;
