/**
 * tinymqtt for browsers and other runtimes with a WebSocket (Deno, Bun, edge
 * runtimes): the core client of `tinymqtt` (the same options, methods and
 * events) over the engine compiled to WebAssembly, for `ws://` and `wss://`
 * servers. Payloads are Uint8Arrays. An ES module with no Node built-ins;
 * see docs/web.md.
 *
 * @module tinymqtt/web
 */
import { connect as connectClient, type MqttClient, type MqttClientOptions } from '../client.js';
import { loadEngine } from './native.js';

export { loadEngine, type EngineSource } from './native.js';

/** Loads the engine (loadEngine(), once), then connects to `url`
 *  ('wss://broker.example/mqtt') or with options (`protocol` 'ws' or
 *  'wss'), and resolves to a connected client, as `connect` of `tinymqtt`
 *  does. Other protocols, TLS options (the browser does TLS) and WebSocket
 *  headers are refused with an MqttError (ERR_INVALID_ARG) naming the
 *  option. */
export async function connect(url: string | MqttClientOptions, options: MqttClientOptions = {}): Promise<MqttClient> {
  await loadEngine();
  return typeof url === 'string' ? connectClient(url, options) : connectClient(url);
}

// matchTopic needs the engine loaded (loadEngine(), or a connect() first)
export { MqttClient, MqttError, matchTopic, parseUrl } from '../index.js';
// and the core API's types, as `tinymqtt` exports them
export type * from '../index.js';
