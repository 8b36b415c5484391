// MQTT.js 5 (the `mqtt` package), its async API, as a benchmark client
// (interface.mjs). It has no in-flight limit of its own: the publishers'
// window bounds it.
import { readFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { benchClient } from './interface.mjs';

/** A connected client with the benchmark's interface; over TLS, verifying
 *  the server with the CA in PEM file `cafile`, if given; over WebSockets
 *  (ws://, path /mqtt) when `ws` is 1. */
export async function open({ port, clientId, cafile, ws }) {
  const url = ws ? `ws://127.0.0.1:${port}/mqtt` : `${cafile ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`;
  const tls = cafile ? { ca: readFileSync(cafile) } : {};
  const client = await connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, ...tls });
  return benchClient(client, 'close', {
    publish: (topic, payload, qos) => client.publishAsync(topic, payload, { qos }),
    subscribe: (filter, qos) => client.subscribeAsync(filter, { qos }),
    end: () => client.endAsync(),
  });
}
