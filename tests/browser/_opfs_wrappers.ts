// Directory handles that hide parts of OPFS, to run the adapter as it runs in
// browsers that lack them: without FileSystemFileHandle.move().

import type { OpfsDirectoryHandle, OpfsFileHandle } from "../../src/fs/opfs.ts";

/** A file handle without `move()`. */
function withoutMoveFile(handle: OpfsFileHandle): OpfsFileHandle {
  return {
    kind: "file",
    getFile: () => handle.getFile(),
    createWritable: (options) => handle.createWritable!(options),
  };
}

/** A directory handle whose file handles (at any depth) have no `move()`. */
export function withoutMove(dir: OpfsDirectoryHandle): OpfsDirectoryHandle {
  return {
    kind: "directory",
    getFileHandle: async (name, options) => withoutMoveFile(await dir.getFileHandle(name, options)),
    getDirectoryHandle: async (name, options) =>
      withoutMove(await dir.getDirectoryHandle(name, options)),
    removeEntry: (name, options) => dir.removeEntry(name, options),
    async *entries() {
      for await (const [name, handle] of dir.entries()) {
        yield [name, handle.kind === "file" ? withoutMoveFile(handle) : withoutMove(handle)];
      }
    },
  };
}

/** The origin's private file system, or a directory in it (made if missing). */
export async function opfsDirectory(name?: string): Promise<OpfsDirectoryHandle> {
  const root = await (navigator.storage.getDirectory() as unknown as Promise<OpfsDirectoryHandle>);
  return name === undefined ? root : await root.getDirectoryHandle(name, { create: true });
}

/** Removes a directory of the origin's private file system, with what it holds. */
export async function removeOpfsDirectory(path: string): Promise<void> {
  let dir = await opfsDirectory();
  const parts = path.split("/").filter(Boolean);
  for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
  await dir.removeEntry(parts[parts.length - 1], { recursive: true }).catch(() => {});
}
