// Counts an adapter's operations in flight, so that synchronous calls are used
// only when nothing else is: one operation at a time is fastest synchronously,
// but a synchronous call blocks the thread, so operations started together
// (Promise.all of many gets or sets) would run one after the other instead of
// overlapping in the runtime's I/O threads.

/**
 * The operations of one adapter in flight. {@linkcode InFlight.run} starts
 * one and counts it until its promise settles. An operation that completed
 * synchronously counts until its settlement is seen: the count drops in a
 * reaction registered before the caller's own, so a caller that awaits each
 * operation before the next (a sequential loop) finds nothing in flight each
 * time, while operations started together find the earlier ones counted.
 */
export class InFlight {
  #count = 0;
  readonly #leave = () => {
    this.#count--;
  };

  /** How many operations are in flight. */
  get count(): number {
    return this.#count;
  }

  /**
   * Runs `operation(alone)`, where `alone` says that no other operation is in
   * flight (synchronous calls may be used), and counts it until it settles.
   */
  run<T>(operation: (alone: boolean) => Promise<T>): Promise<T> {
    const alone = this.#count === 0;
    this.#count++;
    let result: Promise<T>;
    try {
      result = operation(alone);
    } catch (error) {
      this.#count--;
      throw error;
    }
    result.then(this.#leave, this.#leave);
    return result;
  }
}
