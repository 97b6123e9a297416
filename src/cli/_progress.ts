// A progress bar for long commands, drawn on standard error when it is a
// terminal and silent otherwise (pipes, CI logs, scripts).

import process from "node:process";

/** Reports progress as `done` of `total` steps. */
export interface Progress {
  update(done: number, total: number, detail?: string): void;
  /** Clears the bar. */
  done(): void;
}

const WIDTH = 30;

/** A bar on a terminal's standard error, or nothing when it is not a terminal. */
export function progressBar(label: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  return {
    update(done, total, detail = "") {
      const now = Date.now();
      if (now - last < 80 && done < total) return;
      last = now;
      const filled = Math.round((done / total) * WIDTH);
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${
          Math.floor((done / total) * 100)
        }% ${detail}\x1b[K`,
      );
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write("\r\x1b[K");
    },
  };
}
