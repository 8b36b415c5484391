/**
 * tinymqtt for browsers and other runtimes with a WebSocket (Deno, Bun, edge
 * runtimes): the core client of `tinymqtt` (the same options, methods and
 * events) over the engine compiled to WebAssembly, for `ws://` and `wss://`
 * servers. Payloads are Uint8Arrays. An ES module with no Node built-ins;
 * see docs/web.md.
 *
 * @module tinymqtt/web
 */
import { connect as connectClient, parseUrl, type MqttClient, type MqttClientOptions } from '../client.js';
import { argError } from '../errors.js';
import { loadEngine } from './native.js';

export { loadEngine, type EngineSource } from './native.js';

/** Loads the engine (loadEngine(), once), then connects to `url`
 *  ('wss://broker.example/mqtt') or with options (`protocol` 'ws' or
 *  'wss'), and resolves to a connected client, as `connect` of `tinymqtt`
 *  does. Other protocols (an mqtt:// or mqtts:// `url` before the engine is
 *  loaded), TLS options (the browser does TLS) and WebSocket headers are
 *  refused with an MqttError (ERR_INVALID_ARG) naming the argument or
 *  option. */
export async function connect(url: string | MqttClientOptions, options: MqttClientOptions = {}): Promise<MqttClient> {
  if (typeof url === 'string') {
    const { protocol } = parseUrl(url);
    if (protocol !== 'ws' && protocol !== 'wss')
      throw argError('url', `must be a ws:// or wss:// URL in tinymqtt/web (a browser has no TCP sockets), not ${protocol}://`);
  }
  await loadEngine();
  return typeof url === 'string' ? connectClient(url, options) : connectClient(url);
}

// matchTopic needs the engine loaded (loadEngine(), or a connect() first)
export { MqttClient, MqttError, matchTopic, parseUrl } from '../index.js';
// and the core API's types, as `tinymqtt` exports them
export type * from '../index.js';
