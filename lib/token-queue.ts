// A first-in first-out queue of operation tokens, for operations that
// complete in the order they were made (QoS 0 publishes: a Written event
// takes every token up to its own). Taking one token from the middle (a
// failure) is rare and linear. A plain array and a head index: no
// allocation per entry once grown.

export class TokenQueue {
  #tokens: number[] = [];
  #head = 0;

  /** Tokens not yet taken. */
  get size(): number {
    return this.#tokens.length - this.#head;
  }

  /** The first token, or undefined when empty. */
  get first(): number | undefined {
    return this.#head < this.#tokens.length ? this.#tokens[this.#head] : undefined;
  }

  /** Adds `token` (larger than every token already in). */
  push(token: number): void {
    this.#tokens.push(token);
  }

  /** Replaces the last token (the queue is not empty) with `token`
   *  (larger than every token in). */
  replaceLast(token: number): void {
    this.#tokens[this.#tokens.length - 1] = token;
  }

  /** Takes every token up to and including `token`; returns how many. */
  takeUpTo(token: number): number {
    const start = this.#head;
    while (this.#head < this.#tokens.length && this.#tokens[this.#head] <= token) this.#head++;
    const taken = this.#head - start;
    this.#compact();
    return taken;
  }

  /** Takes `token`; returns whether it was in. */
  take(token: number): boolean {
    const at = this.#tokens.indexOf(token, this.#head);
    if (at < 0) return false;
    if (at === this.#head) {
      this.#head++;
      this.#compact();
    } else {
      this.#tokens.splice(at, 1);
    }
    return true;
  }

  /** Whether `token` is in. */
  has(token: number): boolean {
    return this.#tokens.indexOf(token, this.#head) >= 0;
  }

  /** Takes everything. */
  clear(): void {
    this.#tokens.length = 0;
    this.#head = 0;
  }

  /** Drops the taken tokens once they are most of the array. */
  #compact(): void {
    if (this.#head === this.#tokens.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#tokens.length) {
      this.#tokens.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
