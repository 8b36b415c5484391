// A test file's mosquitto and a core client connected to it that watches
// what the client under test publishes (and publishes to it): started
// before the file's tests, stopped after them.
import { afterAll, beforeAll } from 'vitest';
import { connect, type MqttClient } from '../../lib/index.js';
import { startMosquitto, type Broker } from './mosquitto.js';

export interface MosquittoWatcher { broker: Broker; watcher: MqttClient }

/** Registers beforeAll/afterAll hooks; the returned object is filled in
 *  before the first test runs. */
export function mosquittoWithWatcher(): MosquittoWatcher {
  const env = {} as MosquittoWatcher;
  beforeAll(async () => {
    env.broker = await startMosquitto();
    env.watcher = await connect({ host: '127.0.0.1', port: env.broker.port });
  });
  afterAll(async () => {
    await env.watcher?.end();
    await env.broker?.stop();
  });
  return env;
}
