// A small stand-in for node:path (POSIX) where there is none.

/** Joins and normalises POSIX paths. */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!absolute) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/** Joins path parts with "/" and normalises. */
export function join(...parts: string[]): string {
  return normalize(parts.filter((part) => part !== "").join("/"));
}

/** Resolves to an absolute path ("/" stands for the working directory). */
export function resolve(...parts: string[]): string {
  let path = "";
  for (const part of parts) path = part.startsWith("/") ? part : `${path}/${part}`;
  return normalize(path.startsWith("/") ? path : `/${path}`);
}

/** The directory part. */
export function dirname(path: string): string {
  const normal = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const slash = normal.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : normal.slice(0, slash);
}

/** The last part, less `extension` when it ends with it. */
export function basename(path: string, extension?: string): string {
  const normal = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const name = normal.slice(normal.lastIndexOf("/") + 1);
  return extension !== undefined && name.endsWith(extension) && name !== extension
    ? name.slice(0, -extension.length)
    : name;
}

/** The extension, with its dot. */
export function extname(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot);
}

/** The path from `from` to `to`. */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}

/** Whether a path is absolute. */
export const isAbsolute = (path: string): boolean => path.startsWith("/");

export const sep = "/";
export const delimiter = ":";

const path = {
  normalize,
  join,
  resolve,
  dirname,
  basename,
  extname,
  relative,
  isAbsolute,
  sep,
  delimiter,
};
export const posix = path;
export default path;
