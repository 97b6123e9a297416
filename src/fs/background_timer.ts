// A timer that does not keep the process alive: the one runtime probe the
// store needs outside the adapters (Deno's timers are numbers and are unref'd
// through Deno.unrefTimer; Node's and Bun's are objects with unref()).

/** Runs `run` after `ms` without keeping the process alive for it. */
export function backgroundTimer(ms: number, run: () => void): void {
  const id = setTimeout(run, ms) as unknown;
  if (typeof id === "number") {
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(id);
  } else {
    (id as { unref?: () => void }).unref?.();
  }
}

/** Runs `run` every `ms` without keeping the process alive for it; returns a stop function. */
export function backgroundInterval(ms: number, run: () => void): () => void {
  const id = setInterval(run, ms) as unknown;
  if (typeof id === "number") {
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(id);
  } else {
    (id as { unref?: () => void }).unref?.();
  }
  return () => clearInterval(id as number);
}
