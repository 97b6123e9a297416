// Classifying the errors that storage adapters see.

/** The `code` of an error (`"ENOENT"`, `"EEXIST"`, …), or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` means "no such file or directory". */
export function isNotFound(error: unknown): boolean {
  return errorCode(error) === "ENOENT";
}

/** Whether `error` means "a path component is a file, not a directory". */
export function isNotDirectory(error: unknown): boolean {
  return errorCode(error) === "ENOTDIR";
}

/** Builds an error with a Node-style `code`, as the memory adapter reports them. */
export function codedError(code: string, message: string, path: string): Error {
  const error = new Error(`${code}: ${message}, '${path}'`) as Error & {
    code: string;
    path: string;
  };
  error.code = code;
  error.path = path;
  return error;
}
