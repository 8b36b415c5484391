// The ways to drive the engine (binding/driver.h), behind one interface so
// that the client, the compat layers and the tests do not care which runs.
import { argError } from './errors.js';
import { describe } from './validate.js';
import { native, type NativeClient, type NativeClientOptions } from './native.js';

/** 'thread': the environment's engine loop thread (keepalive and acks go on
 *  while the JS thread is busy). 'inline': libuv drives the engine on the JS
 *  thread (no thread hop; keepalive and acks need the JS thread to turn, or
 *  a blocking call to drive them). */
export type DriverName = 'thread' | 'inline';

export interface Driver {
  readonly name: DriverName;
  /** A native client driven this way. */
  create(options: NativeClientOptions): NativeClient;
  /** Blocks for this driver's events (the blocking calls: connectSync,
   *  waitSync): the events delivered, 0 on timeout. */
  waitEvents(timeoutMs: number): number;
}

const DRIVERS: Record<DriverName, Driver> = {
  thread: {
    name: 'thread',
    create: (options) => native.createClient(options),
    waitEvents: (timeoutMs) => native.waitEvents(timeoutMs),
  },
  inline: {
    name: 'inline',
    create: (options) => native.createInlineClient(options),
    waitEvents: (timeoutMs) => native.waitInlineEvents(timeoutMs),
  },
};

/** The driver of options.driver, else of the TINYMQTT_DRIVER environment
 *  variable, else 'inline' (less CPU per message and lower latency than
 *  'thread' in the bench: bench/README.md, "Drivers"). */
export function driverFor(name: unknown): Driver {
  const chosen = name ?? process.env.TINYMQTT_DRIVER ?? 'inline';
  if (chosen !== 'thread' && chosen !== 'inline')
    throw argError(name === undefined ? 'TINYMQTT_DRIVER' : 'options.driver', `must be 'thread' or 'inline', not ${describe(chosen)}`);
  return DRIVERS[chosen];
}
