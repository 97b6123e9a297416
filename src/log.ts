/**
 * Logging through LogTape, silent until the application configures LogTape.
 *
 * @module
 */

import { getLogger, type Logger } from "@logtape/logtape";

/** LogTape's levels, lowest first. */
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";
import { abbreviate, describeKey } from "./errors.ts";

/**
 * What the library's exported logger offers: its LogTape category and whether
 * a level is on. Configure output with LogTape's own `configure()`.
 */
export interface LibraryLogger {
  /** `["bucketcache"]`; records use sub-categories of it. */
  readonly category: readonly string[];
  /** Whether records at `level` reach any sink. */
  isEnabledFor(level: LogLevel): boolean;
}

const root: Logger = getLogger(["bucketcache"]);

/**
 * The library's logger, category `["bucketcache"]`. Records go to
 * sub-categories: `keys` (hashing, debug), `file` (loads at info, damaged
 * files and lifetime-changed expiry at warning), `memoize` (calls and hits at
 * info, write failures at error). Nothing is logged until the application
 * calls LogTape's `configure()` for these categories.
 *
 * @example Turn logging on
 * ```ts
 * import { configure, getConsoleSink, reset } from "@logtape/logtape";
 * import { logger } from "@bucketcache/bucketcache";
 * import assert from "node:assert/strict";
 *
 * await configure({
 *   sinks: { console: getConsoleSink() },
 *   loggers: [{ category: ["bucketcache"], lowestLevel: "info", sinks: ["console"] }],
 * });
 * assert.equal(logger.isEnabledFor("info"), true);
 * await reset();
 * ```
 */
export const logger: LibraryLogger = root;

/** Settings of the library's log records. */
export interface LoggerConfig {
  /** Log keys in full instead of abbreviated to 80 characters. Default `false`. */
  logFullKeys: boolean;
}

/**
 * Settings of the library's log records; change them at any time.
 *
 * @example Log keys in full
 * ```ts
 * import { loggerConfig } from "@bucketcache/bucketcache";
 *
 * loggerConfig.logFullKeys = true;
 * loggerConfig.logFullKeys = false;
 * ```
 */
export const loggerConfig: LoggerConfig = { logFullKeys: false };

/** Sub-category loggers. */
export const keysLogger: Logger = root.getChild("keys");
/** File loads, damaged files, expiry. */
export const fileLogger: Logger = root.getChild("file");
/** Memoised calls. */
export const memoizeLogger: Logger = root.getChild("memoize");

/** A key as it appears in log records: abbreviated unless `logFullKeys`. */
export function keyForLog(key: unknown): string {
  const text = describeKey(key);
  return loggerConfig.logFullKeys ? text : abbreviate(text);
}
