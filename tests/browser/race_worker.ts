// The writing side of race_page.ts, in a dedicated worker.

import { OpfsFileSystem } from "../../src/fs/opfs.ts";

const fs = new OpfsFileSystem();
const post = (value: unknown) =>
  (globalThis as unknown as { postMessage(value: unknown): void }).postMessage(value);

globalThis.addEventListener("message", async (event) => {
  const { path, round, create } = (event as MessageEvent).data as {
    path: string;
    round: number;
    create: boolean;
  };
  const bytes = new Uint8Array(200_000 + round);
  bytes.fill(2);
  new DataView(bytes.buffer).setUint32(0, round);
  try {
    if (create) {
      post(await fs.createExclusive(path, bytes) ? "created" : "taken");
      return;
    }
    await fs.writeFileAtomic(path, bytes);
    post("written");
  } catch (error) {
    post(String(error));
  }
});
post("ready");
