// Waiting for what a client emits, with a time limit so a missing event
// fails the test quickly and says what it waited for.
import type { EventEmitter } from 'node:events';
import type { MqttClient } from '../../lib/index.js';

/** A received message, its payload copied. */
export interface Received { topic: string; payload: Buffer; qos: number; retain: boolean; dup: boolean }

/** Resolves with the arguments of the next `event`; rejects after `ms`. */
export function nextEvent(emitter: EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' event within ${ms} ms`));
    }, ms);
    const on = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/** The next `n` messages the client receives; rejects after `ms` with those that came. */
export function nextMessages(client: MqttClient, n: number, ms = 5000): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const got: Received[] = [];
    const timer = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`${got.length} of ${n} messages within ${ms} ms: ${got.map((m) => m.topic).join(', ')}`));
    }, ms);
    const on = (topic: string, payload: Buffer, packet: { qos: number; retain: boolean; dup: boolean }) => {
      got.push({ topic, payload: Buffer.from(payload), qos: packet.qos, retain: packet.retain, dup: packet.dup });
      if (got.length === n) {
        clearTimeout(timer);
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

/** Whether `ready()` holds within `ms`, checked every 5 ms. */
export async function pollUntil(ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
