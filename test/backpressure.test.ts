// QoS 0 publish: resolves on acceptance below the high-water mark, waits for
// the socket above it, and never loses an accepted message silently. The
// broker here accepts the connection, answers CONNACK, then stops reading, so
// the socket's buffers fill up and writes stall.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, MqttError } from '../lib/index.js';

let server: Server;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);   // the client's forced close may reset it
    sock.once('data', () => {
      sock.write(Buffer.from([0x20, 2, 0, 0]));   // CONNACK, accepted
      sock.pause();                               // and never read again
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** 'pending' if p has not settled within ms, else how it settled. */
async function within(p: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

describe('QoS 0 publish backpressure', () => {
  it('resolves at once below options.highWaterMark and waits above it, for the socket', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port, highWaterMark: 1 << 20, keepalive: 0 });
    await client.connect();
    const payload = Buffer.alloc(64 * 1024, 1);
    // far more than the socket buffers and the mark: the tail must wait
    let accepted = 0;
    let waiting: Promise<void> | undefined;
    while (!waiting && accepted < 200) {
      const p = client.publish('bp/t', payload);
      const r = await within(p, 50);
      expect(r).not.toBe('rejected');
      if (r === 'pending') waiting = p;
      else accepted++;
    }
    // the first ones were accepted at once, at least up to the mark
    expect(accepted).toBeGreaterThanOrEqual(16);
    expect(waiting).toBeDefined();                        // above the mark: waits for the socket
    expect(await within(waiting!, 200)).toBe('pending');
    await client.end({ force: true });
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('reports in one error event the accepted QoS 0 publishes a forced close leaves unwritten', async () => {
    // a mark far above what the socket buffers take: 32 MiB are accepted at once
    const client = new MqttClient({ host: '127.0.0.1', port, highWaterMark: 64 << 20, keepalive: 0 });
    await client.connect();
    const errors: MqttError[] = [];
    client.on('error', (e: MqttError) => errors.push(e));
    const payload = Buffer.alloc(64 * 1024, 1);
    const all = Array.from({ length: 512 }, () => client.publish('bp/t', payload));
    expect(await within(Promise.all(all), 100)).toBe('resolved');
    await client.end({ force: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_CLOSED', message: expect.stringMatching(/before \d+ accepted QoS 0 publishes were written/) });
  });

  it('waits for every write with highWaterMark 0', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port, highWaterMark: 0, keepalive: 0 });
    await client.connect();
    await expect(client.publish('bp/t', 'small')).resolves.toBeUndefined();   // written at once
    const burst = [client.publish('bp/t', 'a'), client.publish('bp/t', 'b'), client.publish('bp/t', 'c')];
    expect(new Set(burst).size).toBe(1);                                      // one write: one promise
    await expect(burst[0]).resolves.toBeUndefined();
    await client.end({ force: true });
  });

  it('shares one promise among the publishes above the mark before the next write, settled by the last of them', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port, highWaterMark: 0, keepalive: 0 });
    await client.connect();
    const errors: MqttError[] = [];
    client.on('error', (e: MqttError) => errors.push(e));
    const payload = Buffer.alloc(64 * 1024, 1);
    // 12.5 MiB in one turn: more than the socket buffers take from a broker that never reads
    const burst = Array.from({ length: 200 }, () => client.publish('bp/t', payload));
    expect(new Set(burst).size).toBe(1);
    const signalled = client.publish('bp/t', payload, { signal: new AbortController().signal });
    const next = client.publish('bp/t', payload);
    expect(signalled).not.toBe(burst[0]);                 // a publish with a signal has its own
    expect(next).not.toBe(burst[0]);                      // and starts a new group
    expect(next).not.toBe(signalled);
    expect(await within(burst[0], 200)).toBe('pending');  // its last one is not written
    await client.end({ force: true });
    await expect(burst[0]).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(signalled).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(next).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    // the group's others are accepted ones: reported once, like those below the mark
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_CLOSED', message: expect.stringMatching(/before \d+ accepted QoS 0 publishes were written/) });
  });

  it('refuses a PUBLISH larger than options.sendBufferSize before sending anything', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port, sendBufferSize: 4096, keepalive: 0 });
    await client.connect();
    await expect(client.publish('bp/t', Buffer.alloc(5000))).rejects.toMatchObject({
      code: 'ERR_PACKET_TOO_LARGE', message: expect.stringMatching(/payload .*options\.sendBufferSize/),
    });
    await expect(client.publish('bp/t', Buffer.alloc(4000))).resolves.toBeUndefined();
    await client.end({ force: true });
  });
});
