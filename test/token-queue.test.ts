// TokenQueue (lib/token-queue.ts): the in-order queue of QoS 0 publishes
// that Written events take from.
import { describe, expect, it } from 'vitest';
import { TokenQueue } from '../lib/token-queue.js';

describe('TokenQueue', () => {
  it('takes everything up to a token, in order', () => {
    const q = new TokenQueue();
    for (let t = 1; t <= 5; t++) q.push(t);
    expect(q.takeUpTo(3)).toBe(3);
    expect([q.size, q.first]).toEqual([2, 4]);
    expect(q.takeUpTo(3)).toBe(0);
    expect(q.takeUpTo(99)).toBe(2);
    expect([q.size, q.first]).toEqual([0, undefined]);
  });

  it('takes one token from the head or the middle, and knows what it holds', () => {
    const q = new TokenQueue();
    for (const t of [2, 4, 6, 8]) q.push(t);
    expect(q.take(6)).toBe(true);
    expect(q.take(6)).toBe(false);
    expect(q.has(6)).toBe(false);
    expect(q.take(2)).toBe(true);
    expect([q.has(4), q.first, q.size]).toEqual([true, 4, 2]);
    expect(q.takeUpTo(8)).toBe(2);
  });

  it('keeps its order when the ring wraps around and grows, and replaces the last token', () => {
    const q = new TokenQueue();
    let next = 1;
    for (; next <= 50; next++) q.push(next);
    expect(q.takeUpTo(40)).toBe(40);               // the head moves near the end of the first ring
    for (; next <= 300; next++) q.push(next);        // wraps, then grows twice with the head inside
    q.replaceLast(1000);
    expect(q.take(150)).toBe(true);                  // from the middle of a wrapped run
    expect(q.has(150)).toBe(false);
    const order: number[] = [];
    while (q.size > 0) {
      order.push(q.first!);
      q.takeUpTo(q.first!);
    }
    expect(order).toEqual([...Array.from({ length: 259 }, (_, i) => 41 + i).filter((t) => t !== 150), 1000]);
  });

  it('stays correct across compaction of a long run', () => {
    const q = new TokenQueue();
    let taken = 0;
    for (let t = 1; t <= 10_000; t++) {
      q.push(t);
      if (t % 7 === 0) taken += q.takeUpTo(t - 3);
    }
    expect(taken + q.size).toBe(10_000);
    expect(q.first).toBe(9_994);
    q.clear();
    expect(q.size).toBe(0);
  });
});
