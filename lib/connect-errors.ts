// The error of a failed connection attempt or a lost connection, saying
// where and why: host:port, then the broker's refusal (its reason code by
// name), the OS error or the resolver's answer, the TLS reason, or which step
// ran out of time. The reasons come from the engine and its ports (the addon
// passes their one-line text on); this file only words them.
import {
  TMQ_ERR_CLOSED, TMQ_ERR_CONNECT_TIMEOUT, TMQ_ERR_KEEPALIVE, TMQ_ERR_SERVER_DISCONNECT,
  TMQ_STATE_MQTT_CONNECTING, TMQ_STATE_TCP_CONNECTING, TMQ_STATE_TLS_HANDSHAKING,
} from './constants.js';
import { MqttError, engineCode } from './errors.js';

/** MQTT 5.0 reason codes of CONNACK and DISCONNECT by name (5.0, 2.4). */
const REASONS: Record<number, string> = {
  0x00: 'Normal disconnection', 0x04: 'Disconnect with Will Message', 0x80: 'Unspecified error', 0x81: 'Malformed Packet', 0x82: 'Protocol Error',
  0x83: 'Implementation specific error', 0x84: 'Unsupported Protocol Version', 0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password', 0x87: 'Not authorized', 0x88: 'Server unavailable', 0x89: 'Server busy',
  0x8a: 'Banned', 0x8b: 'Server shutting down', 0x8c: 'Bad authentication method', 0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over', 0x8f: 'Topic Filter invalid', 0x90: 'Topic Name invalid', 0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid', 0x95: 'Packet too large', 0x96: 'Message rate too high', 0x97: 'Quota exceeded',
  0x98: 'Administrative action', 0x99: 'Payload format invalid', 0x9a: 'Retain not supported', 0x9b: 'QoS not supported',
  0x9c: 'Use another server', 0x9d: 'Server moved', 0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded', 0xa0: 'Maximum connect time', 0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
};

/** MQTT 3.x CONNACK return codes 1-5 by name (3.1.1, 3.2.2.3). */
const RETURN_CODES: Record<number, string> = {
  1: 'unacceptable protocol version', 2: 'identifier rejected', 3: 'server unavailable',
  4: 'bad user name or password', 5: 'not authorized',
};

/** What a failed or lost connection was, for its message. */
export interface ConnectionFailure {
  host: string;
  port: number;
  /** the engine's error code (TMQ_ERR_*) */
  error: number;
  /** the broker's reason code (5.0), a 3.x CONNACK's return code, or 0 */
  reasonCode: number;
  /** the protocol level the client speaks (3, 4, 5) */
  version: number;
  /** whether the connection had been up (lost) or was being made (failed) */
  wasConnected: boolean;
  /** the engine's connection state when it ended (TMQ_STATE_*) */
  state: number;
  /** options.connectTimeout, ms */
  connectTimeout: number;
  /** the transport's one-line reason (OS error, resolver, TLS), or '' */
  detail: string;
  /** the 5.0 Reason String the broker gave, if any */
  reasonString: string | undefined;
}

/** The broker's reason code, by number and name. */
function reasonText(f: ConnectionFailure): string {
  const name = f.version === 5 ? REASONS[f.reasonCode] : RETURN_CODES[f.reasonCode];
  return `reason 0x${f.reasonCode.toString(16).padStart(2, '0')}${name ? ` ${name}` : ''}`;
}

/** What ran out of time, from the state the connection was in. */
function timeoutText(f: ConnectionFailure): string {
  const step = f.state === TMQ_STATE_TCP_CONNECTING ? 'no TCP connection'
    : f.state === TMQ_STATE_TLS_HANDSHAKING ? 'no TLS handshake'
      : f.state === TMQ_STATE_MQTT_CONNECTING ? 'no CONNACK' : 'no connection';
  return `${step} within ${f.connectTimeout} ms (options.connectTimeout)`;
}

/** Why, in words, after the error code. */
function why(f: ConnectionFailure): string | undefined {
  if (f.reasonCode !== 0 || f.error === TMQ_ERR_SERVER_DISCONNECT) return reasonText(f);
  if (f.detail) return f.detail;
  if (f.error === TMQ_ERR_CONNECT_TIMEOUT) return timeoutText(f);
  if (f.error === TMQ_ERR_KEEPALIVE) return 'no answer from the broker within the keepalive';
  if (f.error === TMQ_ERR_CLOSED) return 'the broker closed the connection';
  return undefined;
}

/** The MqttError of a failed or lost connection: "connection to
 *  127.0.0.1:1883 failed: ERR_REFUSED: ECONNREFUSED (Connection refused)",
 *  with `server` set (what tells it from other errors, not its words). */
export function connectionError(f: ConnectionFailure): MqttError {
  const code = engineCode(f.error);
  const host = f.host.includes(':') ? `[${f.host}]` : f.host;
  const verb = f.error === TMQ_ERR_SERVER_DISCONNECT ? 'ended by the broker'
    : f.wasConnected ? 'lost' : f.reasonCode !== 0 ? 'refused by the broker' : 'failed';
  const reason = why(f);
  const says = f.reasonString ? ` (the broker says: ${f.reasonString})` : '';
  const err = new MqttError(code, `connection to ${host}:${f.port} ${verb}: ${code}${reason ? `: ${reason}` : ''}${says}`, f.reasonCode || undefined);
  err.server = { host: f.host, port: f.port };
  return err;
}
