// A first-in first-out queue of operation tokens, for operations that
// complete in the order they were made (QoS 0 publishes: a Written event
// takes every token up to its own). Taking one token from the middle (a
// failure) is rare and linear. A ring of 32-bit integers (tokens are
// positive 32-bit integers, as the addon takes them) that grows and never
// shrinks: a busy publisher fills and empties it thousands of times a
// second, and an array emptied by `length = 0` gave its memory back each
// time, to be grown again (a tenth of the publisher's CPU).

/** The ring of a queue that has never had a token: no memory until then. */
const NONE = new Int32Array(0);

export class TokenQueue {
  #ring = NONE;
  /** index of the first token, and how many there are */
  #head = 0;
  #size = 0;

  /** Tokens not yet taken. */
  get size(): number {
    return this.#size;
  }

  /** The first token, or undefined when empty. */
  get first(): number | undefined {
    return this.#size > 0 ? this.#ring[this.#head] : undefined;
  }

  /** Adds `token` (larger than every token already in). */
  push(token: number): void {
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[this.#index(this.#size++)] = token;
  }

  /** Replaces the last token (the queue is not empty) with `token`
   *  (larger than every token in). */
  replaceLast(token: number): void {
    this.#ring[this.#index(this.#size - 1)] = token;
  }

  /** Takes every token up to and including `token`; returns how many. */
  takeUpTo(token: number): number {
    let taken = 0;
    while (this.#size > 0 && this.#ring[this.#head] <= token) {
      this.#head = this.#index(1);
      this.#size--;
      taken++;
    }
    return taken;
  }

  /** Takes `token`; returns whether it was in. */
  take(token: number): boolean {
    const at = this.#find(token);
    if (at < 0) return false;
    if (at === 0) {
      this.#head = this.#index(1);
    } else {
      for (let i = at; i < this.#size - 1; i++) this.#ring[this.#index(i)] = this.#ring[this.#index(i + 1)];
    }
    this.#size--;
    return true;
  }

  /** Whether `token` is in. */
  has(token: number): boolean {
    return this.#find(token) >= 0;
  }

  /** Takes everything. */
  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  /** The ring index of the i-th token (the ring's length is a power of two). */
  #index(i: number): number {
    return (this.#head + i) & (this.#ring.length - 1);
  }

  /** The position of `token` from the first, or -1. */
  #find(token: number): number {
    for (let i = 0; i < this.#size; i++) if (this.#ring[this.#index(i)] === token) return i;
    return -1;
  }

  /** Doubles the ring (64 to start with), the tokens first. */
  #grow(): void {
    const ring = new Int32Array(Math.max(64, this.#ring.length * 2));
    for (let i = 0; i < this.#size; i++) ring[i] = this.#ring[this.#index(i)];
    this.#ring = ring;
    this.#head = 0;
  }
}
