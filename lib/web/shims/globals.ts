// What tinymqtt/web puts in place of Node's globals in lib/ (the web
// bundle injects these: scripts/build-web.mjs): Buffer (buffer.ts),
// setImmediate, and of process what lib/ reads (no environment variables;
// the debug log's stderr is the console).
export { Buffer } from './buffer.js';

/** A later turn of the event loop (a timer: no MessageChannel, which would
 *  keep a Deno or Bun process alive). */
export function setImmediate(fn: () => void): void {
  setTimeout(fn, 0);
}

export const process = {
  env: {} as Record<string, string | undefined>,
  stderr: { write: (text: string): void => console.error(text.replace(/\n$/, '')) },
};
