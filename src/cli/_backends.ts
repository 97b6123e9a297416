// The backends the command-line tool can decode, by file extension.

import type { Backend } from "../backends/backend.ts";
import { StructuredCloneBackend } from "../backends/structured_clone.ts";
import { JSONBackend } from "../backends/json.ts";
import { MessagePackBackend } from "../backends/msgpack.ts";

/** The built-in backends, by file extension. */
export const BUILT_IN_BACKENDS: Record<string, new () => Backend> = {
  sclone: StructuredCloneBackend,
  json: JSONBackend,
  msgpack: MessagePackBackend,
};
