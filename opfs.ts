/**
 * A storage adapter on the Origin Private File System of browsers and web
 * workers: `new Bucket("/cache", { fs: new OpfsFileSystem() })`. A separate
 * entry point, so the core carries no browser code.
 *
 * @module
 */

export { OpfsFileSystem } from "./src/fs/opfs.ts";
export type {
  OpfsDirectoryHandle,
  OpfsFile,
  OpfsFileHandle,
  OpfsFileSystemOptions,
  OpfsSyncAccessHandle,
  OpfsWritable,
} from "./src/fs/opfs.ts";
