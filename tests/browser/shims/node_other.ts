// Stand-ins for the Node built-ins that only the disk adapters, the disk
// parts of the test helpers and the CLI use: importing them works, calling
// the disk functions fails with a message naming the missing module (the
// contract suite reaches them only with `onDisk`, which these runs never set).

const missing = (name: string) => (): never => {
  throw new Error(`${name} is not available here (a browser or Worker test bundle)`);
};

// node:fs
export const existsSync = (): boolean => false;
export const readdirSync = (): string[] => [];
export const rmSync = (): void => {};
export const statfsSync = missing("node:fs statfsSync");

// node:fs/promises (and names node:fs shares)
export const lstat = missing("node:fs lstat");
export const mkdir = missing("node:fs mkdir");
export const mkdtemp = missing("node:fs mkdtemp");
export const rm = missing("node:fs rm");
export const stat = missing("node:fs stat");
export const symlink = missing("node:fs symlink");
export const writeFile = missing("node:fs writeFile");
export const readFile = missing("node:fs readFile");
export const readdir = missing("node:fs readdir");
export const open = missing("node:fs open");
export const opendir = missing("node:fs opendir");
export const rename = missing("node:fs rename");
export const unlink = missing("node:fs unlink");
export const link = missing("node:fs link");
export const utimes = missing("node:fs utimes");
export const lutimes = missing("node:fs lutimes");
export const promises = {
  lstat,
  mkdir,
  mkdtemp,
  rm,
  stat,
  symlink,
  writeFile,
  readFile,
  readdir,
  open,
};
export const constants = { O_RDONLY: 0, O_NOFOLLOW: 0, O_WRONLY: 1, O_CREAT: 64, O_EXCL: 128 };

// node:os
export const tmpdir = (): string => "/tmp";
export const freemem = (): number => 0;
export const totalmem = (): number => 0;
export const EOL = "\n";

// node:child_process
export const spawnSync = (): { status: number; stdout: string; stderr: string } => ({
  status: 1,
  stdout: "",
  stderr: "no child processes here",
});
export const spawn = missing("node:child_process spawn");

// node:url
export const fileURLToPath = (url: string | URL): string =>
  decodeURIComponent(new URL(url).pathname);
export const pathToFileURL = (path: string): URL => new URL(`file://${encodeURI(path)}`);

// node:zlib: CRC-32 in JavaScript
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();
export function crc32(data: Uint8Array | string, initial = 0): number {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// node:process
const processShim = (globalThis as { process?: unknown }).process ?? {
  env: {},
  argv: [],
  platform: "browser",
  versions: {},
  cwd: () => "/",
  on: () => {},
  exitCode: 0,
  stdout: { isTTY: false, write: () => true },
  stderr: { isTTY: false, write: () => true },
};
export const env = (processShim as { env: Record<string, string> }).env;

export default new Proxy(processShim as Record<string, unknown>, {
  get(target, key) {
    if (key in target) return target[key as string];
    if (key === "crc32") return crc32;
    if (key === "tmpdir") return tmpdir;
    if (key === "fileURLToPath") return fileURLToPath;
    if (key === "existsSync") return existsSync;
    return undefined;
  },
});
