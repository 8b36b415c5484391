// What tinymqtt/web puts in place of Node's globals in lib/ (the web
// bundle injects these: scripts/build-web.mjs): Buffer (buffer.ts),
// setImmediate, and of process what lib/ reads (no environment variables;
// the debug log's stderr is the console).
export { Buffer } from './buffer.js';

/** Callbacks waiting for the next turn, in order. */
const queue: (() => void)[] = [];
/** In a page or a web worker, a message to itself: the next task at once
 *  (a timer's 0 ms become at least 4 ms once timers nest, which would cap
 *  the engine's turns at 250 a second). Elsewhere (Deno, Bun) a timer: an
 *  open MessagePort could keep the process alive. */
const inBrowser = typeof MessageChannel === 'function' &&
  (typeof document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined');
let channel: MessageChannel | undefined;

/** Runs what was queued before this turn; one that throws is reported as
 *  uncaught without stopping the others. */
function turn(): void {
  for (const fn of queue.splice(0)) {
    try {
      fn();
    } catch (e) {
      queueMicrotask(() => { throw e; });
    }
  }
}

/** Node's setImmediate: `fn` in a later turn of the event loop, after what
 *  is already queued. */
export function setImmediate(fn: () => void): void {
  if (!inBrowser) {
    setTimeout(fn, 0);
    return;
  }
  queue.push(fn);
  if (queue.length > 1) return;
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = turn;
  }
  channel.port2.postMessage(null);
}

export const process = {
  env: {} as Record<string, string | undefined>,
  stderr: { write: (text: string): void => console.error(text.replace(/\n$/, '')) },
};
