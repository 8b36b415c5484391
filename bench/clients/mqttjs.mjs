// MQTT.js 5 (the `mqtt` package), its async API, as a benchmark client
// (interface.mjs). It has no in-flight limit of its own: the publishers'
// window bounds it.
import { connectAsync } from 'mqtt';
import { benchClient } from './interface.mjs';

/** A connected client with the benchmark's interface. */
export async function open({ port, clientId }) {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, protocolVersion: 4, reconnectPeriod: 0 });
  return benchClient(client, 'close', {
    publish: (topic, payload, qos) => client.publishAsync(topic, payload, { qos }),
    subscribe: (filter, qos) => client.subscribeAsync(filter, { qos }),
    end: () => client.endAsync(),
  });
}
