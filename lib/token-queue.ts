// A first-in first-out queue of operation tokens with a number each (a QoS 0
// publish and its bytes), for operations that complete in the order they
// were made. Taking everything up to a token is what a Written event does;
// taking one token from the middle (a failure) is rare and linear. Two
// plain arrays and a head index: no allocation per entry once grown.

export class TokenQueue {
  #tokens: number[] = [];
  #values: number[] = [];
  #head = 0;

  /** Entries not yet taken. */
  get size(): number {
    return this.#tokens.length - this.#head;
  }

  /** The first token, or undefined when empty. */
  get first(): number | undefined {
    return this.#head < this.#tokens.length ? this.#tokens[this.#head] : undefined;
  }

  /** Adds `token` (larger than every token already in) with `value`. */
  push(token: number, value: number): void {
    this.#tokens.push(token);
    this.#values.push(value);
  }

  /** Takes every entry up to and including `token`; returns the sum of
   *  their values. */
  takeUpTo(token: number): number {
    let sum = 0;
    while (this.#head < this.#tokens.length && this.#tokens[this.#head] <= token) sum += this.#values[this.#head++];
    this.#compact();
    return sum;
  }

  /** Takes `token`'s entry; returns its value, or undefined if it is not in. */
  take(token: number): number | undefined {
    const at = this.#tokens.indexOf(token, this.#head);
    if (at < 0) return undefined;
    const value = this.#values[at];
    if (at === this.#head) {
      this.#head++;
      this.#compact();
    } else {
      this.#tokens.splice(at, 1);
      this.#values.splice(at, 1);
    }
    return value;
  }

  /** Whether `token` is in. */
  has(token: number): boolean {
    return this.#tokens.indexOf(token, this.#head) >= 0;
  }

  /** Takes everything. */
  clear(): void {
    this.#tokens.length = 0;
    this.#values.length = 0;
    this.#head = 0;
  }

  /** Drops the taken entries once they are most of the arrays. */
  #compact(): void {
    if (this.#head === this.#tokens.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#tokens.length) {
      this.#tokens.splice(0, this.#head);
      this.#values.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
