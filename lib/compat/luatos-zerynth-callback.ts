// Reporting what the LuatOS and Zerynth layers cannot hand back to the
// caller: an exception a user callback threw (the originals catch it and
// carry on; Zerynth prints it in debug mode), and, in Zerynth, an operation
// that failed after its call returned (its API has no channel for it). Both
// become process warnings (process.on('warning'); printed on stderr by
// default): neither silent nor fatal, and the core client goes on.

/** Emits a process warning of type 'TinymqttWarning': "`what`: message",
 *  with the error's stack as its detail. */
export function warn(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`${what}: ${message}`, { type: 'TinymqttWarning', detail: error instanceof Error ? error.stack : undefined });
}

/** Calls `fn(...args)`; returns its result, or undefined if it threw, in
 *  which case a warning (see warn) says that `what` threw. */
export function runCallback<A extends unknown[], R>(what: string, fn: (...args: A) => R, ...args: A): R | undefined {
  try {
    return fn(...args);
  } catch (e) {
    warn(`${what} threw`, e);
    return undefined;
  }
}
