// What a subscriber received of a numbered stream from one publisher (the
// payloads are "0", "1", "2", ... in the order published): which numbers
// came, how many came more than once, and whether the first copies came in
// the order published.
import type { MqttClient } from '../../lib/index.js';

export class StreamTally {
  /** messages received, copies included */
  received = 0;
  /** first copies that came after a higher number's first copy */
  outOfOrder = 0;
  #copies = new Map<number, number>();
  #highest = -1;

  /** A tally of what `client` receives on `topic` from now on. */
  static of(client: MqttClient, topic: string): StreamTally {
    const tally = new StreamTally();
    client.on('message', (t, payload) => {
      if (t === topic) tally.add(Number(payload.toString()));
    });
    return tally;
  }

  /** Counts one arrival of message `n`. */
  add(n: number): void {
    this.received++;
    const copies = this.#copies.get(n) ?? 0;
    this.#copies.set(n, copies + 1);
    if (copies > 0) return;
    if (n < this.#highest) this.outOfOrder++;
    else this.#highest = n;
  }

  /** Whether message `n` came. */
  has(n: number): boolean {
    return this.#copies.has(n);
  }

  /** The numbers from `from` up to (not including) `to` that never came. */
  missing(from: number, to: number): number[] {
    const out: number[] = [];
    for (let n = from; n < to; n++) if (!this.#copies.has(n)) out.push(n);
    return out;
  }

  /** The messages that came more than once, each with its number of copies. */
  repeated(): Array<[number, number]> {
    return [...this.#copies].filter(([, copies]) => copies > 1);
  }

  /** How many messages came more than once. */
  get duplicated(): number {
    let n = 0;
    for (const c of this.#copies.values()) if (c > 1) n++;
    return n;
  }
}
