// A one-line progress bar on stderr, redrawn in place at most ten times a
// second, and only when stderr is a terminal (never in a pipe or a file).

const WIDTH = 30;
const REDRAW_MS = 100;

/** A progress bar; every method does nothing when stderr is not a terminal. */
export class ProgressBar {
  readonly #shown = process.stderr.isTTY === true;
  #drawnAt = 0;

  /** Redraws `label [====    ] 45% detail` unless drawn less than 100 ms ago
   *  (`force` redraws anyway). */
  update(label: string, done: number, total: number, detail: string, force = false): void {
    if (!this.#shown) return;
    const now = Date.now();
    if (!force && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * WIDTH);
    const bar = `${'='.repeat(filled)}${' '.repeat(WIDTH - filled)}`;
    process.stderr.write(`\r\x1b[K${label} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${detail}`);
  }

  /** Erases the bar. */
  clear(): void {
    if (this.#shown && this.#drawnAt > 0) process.stderr.write('\r\x1b[K');
    this.#drawnAt = 0;
  }
}
