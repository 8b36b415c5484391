// The debug log: packets in and out against mosquitto, reconnects and their
// delays against the fake broker, DEBUG=tinymqtt turning it on (to stderr),
// and nothing asked of the addon while it is off.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MqttClient, connect } from '../lib/index.js';
import { debugEnabled } from '../lib/log.js';
import { FakeBroker } from './support/fake-broker.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let fake: FakeBroker;
beforeAll(async () => { [broker, fake] = await Promise.all([startMosquitto(), FakeBroker.start()]); });
afterAll(async () => { await Promise.all([broker?.stop(), fake?.stop()]); });
afterEach(() => { vi.unstubAllEnvs(); vi.restoreAllMocks(); });

describe('the debug log', () => {
  it('shows every packet in and out, with the broker address', async () => {
    const lines: string[] = [];
    const c = await connect({ host: '127.0.0.1', port: broker.port, clientId: 'log-1', log: (l) => lines.push(l) });
    await c.subscribe('log/t', { qos: 1 });
    const got = new Promise((resolve) => c.once('message', resolve));
    await c.publish('log/t', 'hello', { qos: 1 });
    await got;
    await c.end();
    const at = `127.0.0.1:${broker.port}`;
    expect(lines).toEqual(expect.arrayContaining([
      `${at} connecting`,
      expect.stringMatching(new RegExp(`^${at} out CONNECT client id 'log-1' clean=1 keepalive=60 \\(\\d+ bytes\\)$`)),
      `${at} in CONNACK session present=0 reason=0x00 (4 bytes)`,
      expect.stringMatching(new RegExp(`^${at} out SUBSCRIBE id=\\d+ \\(\\d+ bytes\\)$`)),
      expect.stringMatching(/ in SUBACK id=\d+ /),
      expect.stringMatching(/ out PUBLISH id=\d+ qos=1 topic 'log\/t' payload 5 bytes \(\d+ bytes\)$/),
      expect.stringMatching(/ in PUBLISH id=\d+ qos=1 topic 'log\/t' payload 5 bytes/),
      expect.stringMatching(/ out PUBACK id=\d+ \(4 bytes\)$/),
      expect.stringMatching(/ in PUBACK id=\d+ /),
      `${at} out DISCONNECT (2 bytes)`,
    ]));
  });

  it('shows a lost connection, the reconnect delay and the attempt', async () => {
    const lines: string[] = [];
    const c = new MqttClient({
      host: '127.0.0.1', port: fake.port, reconnectPeriod: 50, reconnectFactor: 1, reconnectJitter: false, log: (l) => lines.push(l),
    });
    c.on('error', () => {});
    const connected = c.connect();
    (await fake.acceptConnected()).end();
    await connected;
    await fake.acceptConnected();
    await expect.poll(() => lines.filter((l) => l.includes('in CONNACK')).length).toBe(2);
    await c.end();
    const at = `127.0.0.1:${fake.port}`;
    expect(lines).toEqual(expect.arrayContaining([
      `${at} connection to ${at} lost: ERR_CLOSED: the broker closed the connection`,
      `${at} reconnecting in 50 ms (attempt 1)`,
      `${at} reconnect attempt 1`,
    ]));
  });

  it('is on with DEBUG=tinymqtt, to stderr, and off with log: false', async () => {
    expect(debugEnabled('tinymqtt')).toBe(true);
    expect(debugEnabled('express,tinymqtt')).toBe(true);
    expect(debugEnabled('*')).toBe(true);
    expect(debugEnabled('tiny*')).toBe(true);
    expect(debugEnabled('*,-tinymqtt')).toBe(false);
    expect(debugEnabled('tinymqttx')).toBe(false);
    expect(debugEnabled(undefined)).toBe(false);
    vi.stubEnv('DEBUG', 'tinymqtt');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; });
    const c = await connect({ host: '127.0.0.1', port: broker.port });
    await c.end();
    vi.restoreAllMocks();
    expect(written).toContainEqual(expect.stringMatching(new RegExp(`^tinymqtt 127\\.0\\.0\\.1:${broker.port} in CONNACK .*\\n$`)));
    const off = new MqttClient({ host: '127.0.0.1', port: broker.port, log: false });
    expect(off.options.logPackets).toBeUndefined();   // the addon is not asked for packet events
    expect(() => new MqttClient({ log: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.log') }));
  });
});
