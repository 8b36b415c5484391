// tinymqtt, from the built package (dist/), as a benchmark client
// (interface.mjs).
import { readFileSync } from 'node:fs';
import { connect } from '../../dist/index.js';
import { benchClient } from './interface.mjs';

/** A connected client with the benchmark's interface, on the given driver;
 *  over TLS, verifying the server with the CA in PEM file `cafile`, if given;
 *  over WebSockets (ws://, path /mqtt) when `ws` is 1. */
export async function openWith(driver, { port, clientId, maxInflight, maxPacketSize, cafile, ws }) {
  const tls = cafile ? { protocol: 'mqtts', ca: readFileSync(cafile) } : ws ? { protocol: 'ws' } : {};
  const client = await connect({ host: '127.0.0.1', port, clientId, maxInflight, maxPacketSize, driver, ...tls });
  return benchClient(client, 'offline', {
    publish: (topic, payload, qos) => client.publish(topic, payload, { qos }),
    subscribe: (filter, qos) => client.subscribe(filter, { qos }),
    end: () => client.end(),
  });
}

/** The default benchmark client: the default driver, named (the children
 *  would otherwise follow a TINYMQTT_DRIVER of the environment). */
export const open = (params) => openWith('inline', params);
