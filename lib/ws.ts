// MQTT over WebSockets (ws:// and wss://): the options checked and turned
// into what the addon's WebSocket layer takes (binding/ws.h), and the words
// for a refused upgrade.
import { TMQ_ERR_WS_HANDSHAKE } from './constants.js';
import { argError } from './errors.js';
import { describe, isPlainObject, readEntries, readKnownOptions } from './validate.js';

/** options.wsOptions: how the WebSocket upgrade request is made. */
export interface WebSocketOptions {
  /** extra request headers, such as an `Authorization` token. The headers
   *  the client writes itself (Host, Upgrade, Connection, Sec-WebSocket-*)
   *  cannot be given. */
  headers?: Record<string, string>;
}

/** What the addon takes for a WebSocket connection (NativeClientOptions.ws). */
export interface NativeWebSocketOptions {
  /** the request target: '/mqtt' */
  path: string;
  /** the Host header: 'broker:8080' ('broker' for the scheme's own port) */
  host: string;
  /** extra header lines, each 'Name: value\r\n' */
  headers: string;
}

/** The request path when none is given. */
export const DEFAULT_PATH = '/mqtt';

/** An HTTP token (RFC 9110): what a header name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a request target may hold: printable ASCII, no spaces. */
const TARGET = /^\/[\x21-\x7e]*$/;
/** What a header value may not hold: control characters other than tab. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** The headers the client writes itself. */
const OWN = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version',
  'sec-websocket-protocol', 'sec-websocket-extensions']);

/** Checks options.path and options.wsOptions and makes the addon's
 *  WebSocket options for a connection to host:port (`secure`: wss). Errors
 *  are MqttErrors naming the option. */
export function webSocketOptions(path: unknown, wsOptions: unknown, host: string, port: number, secure: boolean): NativeWebSocketOptions {
  const target = path ?? DEFAULT_PATH;
  if (typeof target !== 'string' || !TARGET.test(target))
    throw argError('options.path', `must be a path starting with '/' in printable ASCII without spaces, not ${describe(target)}`);
  const name = host.includes(':') ? `[${host}]` : host;
  const ws = wsOptions === undefined ? {} : readKnownOptions('options.wsOptions', wsOptions, ['headers']);
  return { path: target, host: port === (secure ? 443 : 80) ? name : `${name}:${port}`, headers: headerLines(ws.headers) };
}

/** options.wsOptions.headers as request header lines. */
function headerLines(headers: unknown): string {
  if (headers === undefined) return '';
  if (!isPlainObject(headers)) throw argError('options.wsOptions.headers', `must be an object, not ${describe(headers)}`);
  let lines = '';
  for (const [key, value] of readEntries('options.wsOptions.headers', headers)) {
    const where = `options.wsOptions.headers[${JSON.stringify(key)}]`;
    if (!TOKEN.test(key)) throw argError(where, 'is not a valid header name');
    if (OWN.has(key.toLowerCase())) throw argError(where, 'is a header the client writes itself');
    if (typeof value !== 'string') throw argError(where, `must be a string, not ${describe(value)}`);
    if (CONTROL.test(value)) throw argError(where, 'must not contain control characters (CR, LF, NUL, ...)');
    lines += `${key}: ${value.trim()}\r\n`;
  }
  return lines;
}

/** What a lost connection's error says when the engine error is a refused
 *  WebSocket upgrade (`status` is then its HTTP status), else undefined. */
export function upgradeRefusal(error: number, status: number): string | undefined {
  return error === TMQ_ERR_WS_HANDSHAKE ? `connection (the server refused the WebSocket upgrade with HTTP ${status})` : undefined;
}
