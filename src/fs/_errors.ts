// Classifying the errors that storage adapters see.

/** Whether `error` means "no such file or directory". */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
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
