// Paths, without importing node:path or node:url: the runtime's own
// functions where it has them (node:path through process.getBuiltinModule in
// Node, Bun and Deno — exactly their behaviour, Windows paths included), and
// POSIX ones in JavaScript elsewhere (browsers, web workers, Cloudflare
// Workers), where storage adapters name their entries with "/" paths.
//
// The fallbacks follow Node's path.posix step by step (tests/portable.test.ts
// compares them with it on random paths), so a path means the same thing
// whichever is used.

import type * as NodePath from "node:path";
import type * as NodeUrl from "node:url";
import { builtin } from "./builtins.ts";

const SLASH = 47; // "/"
const DOT = 46; // "."

/**
 * Node's normalizeString for "/" paths: resolves "." and ".." segments and
 * collapses repeated slashes; no leading or trailing slash in the result.
 */
function normalizeSegments(path: string, allowAboveRoot: boolean): string {
  let result = "";
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length) code = path.charCodeAt(i);
    else if (code === SLASH) break;
    else code = SLASH;
    if (code === SLASH) {
      if (lastSlash === i - 1 || dots === 1) {
        // An empty or "." segment.
      } else if (dots === 2) {
        if (
          result.length < 2 || lastSegmentLength !== 2 ||
          result.charCodeAt(result.length - 1) !== DOT ||
          result.charCodeAt(result.length - 2) !== DOT
        ) {
          if (result.length > 2) {
            const last = result.lastIndexOf("/");
            if (last === -1) {
              result = "";
              lastSegmentLength = 0;
            } else {
              result = result.slice(0, last);
              lastSegmentLength = result.length - 1 - result.lastIndexOf("/");
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (result.length !== 0) {
            result = "";
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          result += result.length > 0 ? "/.." : "..";
          lastSegmentLength = 2;
        }
      } else {
        if (result.length > 0) result += `/${path.slice(lastSlash + 1, i)}`;
        else result = path.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === DOT && dots !== -1) {
      dots++;
    } else {
      dots = -1;
    }
  }
  return result;
}

function checkString(value: unknown, name: string): void {
  if (typeof value !== "string") {
    throw new TypeError(`The "${name}" argument must be of type string, got ${typeof value}`);
  }
}

/** path.posix.normalize. */
function posixNormalize(path: string): string {
  checkString(path, "path");
  if (path.length === 0) return ".";
  const absolute = path.charCodeAt(0) === SLASH;
  const trailingSlash = path.charCodeAt(path.length - 1) === SLASH;
  let normal = normalizeSegments(path, !absolute);
  if (normal.length === 0) {
    if (absolute) return "/";
    return trailingSlash ? "./" : ".";
  }
  if (trailingSlash) normal += "/";
  return absolute ? `/${normal}` : normal;
}

/** path.posix.join. */
function posixJoin(...paths: string[]): string {
  const parts: string[] = [];
  for (const path of paths) {
    checkString(path, "path");
    if (path.length > 0) parts.push(path);
  }
  return parts.length === 0 ? "." : posixNormalize(parts.join("/"));
}

/** The working directory where the runtime has one (a `process.cwd`), else "/". */
function workingDirectory(): string {
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd;
  if (typeof cwd === "function") {
    try {
      const dir = cwd();
      if (typeof dir === "string" && dir.charCodeAt(0) === SLASH) return dir;
    } catch {
      // None to be had.
    }
  }
  return "/";
}

/** path.posix.resolve; relative to the working directory, or to "/" where there is none. */
function posixResolve(...paths: string[]): string {
  let resolved = "";
  let absolute = false;
  for (let i = paths.length - 1; i >= -1 && !absolute; i--) {
    const path = i >= 0 ? paths[i] : workingDirectory();
    checkString(path, `paths[${i}]`);
    if (path.length === 0) continue;
    resolved = `${path}/${resolved}`;
    absolute = path.charCodeAt(0) === SLASH;
  }
  resolved = normalizeSegments(resolved, !absolute);
  if (absolute) return `/${resolved}`;
  return resolved.length > 0 ? resolved : ".";
}

/** path.posix.dirname. */
function posixDirname(path: string): string {
  checkString(path, "path");
  if (path.length === 0) return ".";
  const hasRoot = path.charCodeAt(0) === SLASH;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path.charCodeAt(i) === SLASH) {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else {
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/** path.posix.basename (without the suffix argument). */
function posixBasename(path: string): string {
  checkString(path, "path");
  let start = 0;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 0; i--) {
    if (path.charCodeAt(i) === SLASH) {
      if (!matchedSlash) {
        start = i + 1;
        break;
      }
    } else if (end === -1) {
      matchedSlash = false;
      end = i + 1;
    }
  }
  return end === -1 ? "" : path.slice(start, end);
}

/**
 * url.fileURLToPath for POSIX paths: the decoded pathname of a `file:` URL.
 * Like Node's, it refuses other schemes, a host other than "localhost" and an
 * encoded "/" (which would name a different path).
 */
function posixFileURLToPath(url: string | URL): string {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (!(parsed instanceof URL)) {
    throw new TypeError(`The "path" argument must be a string or a URL, got ${typeof url}`);
  }
  if (parsed.protocol !== "file:") {
    throw new TypeError(`The URL must be of scheme file, got ${parsed.protocol}`);
  }
  if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
    throw new TypeError(
      `File URL host must be "localhost" or empty on this platform, got ${parsed.hostname}`,
    );
  }
  const pathname = parsed.pathname;
  if (/%2f/i.test(pathname)) {
    throw new TypeError("File URL path must not include encoded / characters");
  }
  return decodeURIComponent(pathname);
}

/** The JavaScript fallbacks, exported for the tests that compare them with node:path. */
export const posixPath: {
  readonly join: (...paths: string[]) => string;
  readonly resolve: (...paths: string[]) => string;
  readonly dirname: (path: string) => string;
  readonly basename: (path: string) => string;
  readonly normalize: (path: string) => string;
  readonly fileURLToPath: (url: string | URL) => string;
} = Object.freeze({
  join: posixJoin,
  resolve: posixResolve,
  dirname: posixDirname,
  basename: posixBasename,
  normalize: posixNormalize,
  fileURLToPath: posixFileURLToPath,
});

const nodePath = builtin<typeof NodePath>("node:path");
const nodeUrl = builtin<typeof NodeUrl>("node:url");

/** Whether the runtime's node:path is used (false: the POSIX fallbacks). */
export const nativePath: boolean = typeof nodePath?.join === "function";

/** path.join: joins and normalises. */
export const join: (...paths: string[]) => string = nodePath?.join ?? posixJoin;
/** path.resolve: an absolute, normalised path. */
export const resolve: (...paths: string[]) => string = nodePath?.resolve ?? posixResolve;
/** path.dirname. */
export const dirname: (path: string) => string = nodePath?.dirname ?? posixDirname;
/** path.basename (without the suffix argument). */
export const basename: (path: string) => string = nodePath?.basename ?? posixBasename;
/** url.fileURLToPath: the path a `file:` URL names. */
export const fileURLToPath: (url: string | URL) => string = nodeUrl?.fileURLToPath ??
  posixFileURLToPath;
