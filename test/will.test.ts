// The will message against mosquitto: published when the client's
// connection ends abruptly (end({ force: true }) closes without DISCONNECT;
// a process killed with SIGKILL), never after a clean end().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from '../lib/index.js';
import { nextMessages } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { Script } from './support/script.js';

let broker: Broker;
let watcher: MqttClient;
beforeAll(async () => {
  broker = await startMosquitto();
  watcher = await connect({ host: '127.0.0.1', port: broker.port });
  await watcher.subscribe('will/#', { qos: 2 });
});
afterAll(async () => {
  await watcher?.end();
  await broker?.stop();
});

const withWill = (topic: string, protocolVersion: 3 | 4 | 5 = 4) => connect({
  host: '127.0.0.1', port: broker.port, protocolVersion, clientId: `will-${topic.replaceAll('/', '-')}`,
  will: { topic, payload: Buffer.from([0, 1, 2, 0xff]), qos: 1, retain: false },
});

describe('will', () => {
  for (const protocolVersion of [3, 4, 5] as const) {
    it(`is published when the client ends with force (no DISCONNECT), protocol ${protocolVersion}`, async () => {
      const topic = `will/force/${protocolVersion}`;
      const client = await withWill(topic, protocolVersion);
      const arriving = nextMessages(watcher, 1);
      await client.end({ force: true });
      expect((await arriving)[0]).toMatchObject({ topic, payload: Buffer.from([0, 1, 2, 0xff]), qos: 1, retain: false });
    });
  }

  it('is not published after a clean end()', async () => {
    const client = await withWill('will/clean');
    const arriving = nextMessages(watcher, 1);
    await client.end();
    await watcher.publish('will/marker', 'after the end', { qos: 1 });
    expect((await arriving)[0].topic).toBe('will/marker');   // no will came first
  });

  it('is published, retained, when the process holding the client is killed with SIGKILL', async () => {
    const topic = 'will/killed';
    const script = new Script(`
      await tinymqtt.connect({ host: '127.0.0.1', port, clientId: 'will-killed',
        will: { topic: ${JSON.stringify(topic)}, payload: 'the process died', qos: 1, retain: true } });
      console.log('connected');`, broker.port);
    try {
      await script.printed('connected');
      const arriving = nextMessages(watcher, 1);
      script.child.kill('SIGKILL');
      expect((await arriving)[0]).toMatchObject({ topic, payload: Buffer.from('the process died'), qos: 1 });
      expect((await script.exited).signal).toBe('SIGKILL');

      const late = await connect({ host: '127.0.0.1', port: broker.port });
      const retained = nextMessages(late, 1);
      await late.subscribe(topic, { qos: 1 });
      expect((await retained)[0]).toMatchObject({ payload: Buffer.from('the process died'), retain: true });
      await late.end();
    } finally {
      script.child.kill('SIGKILL');
    }
  });
});
