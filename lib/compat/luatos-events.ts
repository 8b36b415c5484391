// What a LuatOS `mqttc:on(cb)` callback receives, and how the core client's
// states and failures read in LuatOS terms (mqtt.STATE_*, the `error`
// event's kinds and CONNACK codes).
import type { ConnectionState, MqttError, QoS } from '../index.js';

/** `metas` of a `recv` event: "metas是元数据(table)... message_id, qos 取值范围0,1,2,
 *  retain 取值范围 0,1, dup 取值范围 0,1". `raw` is ours: the payload's exact
 *  bytes, since `payload` is text. */
export interface LuatosMetas {
  /** the PUBLISH's packet identifier (0 at QoS 0) */
  message_id: number;
  qos: QoS;
  retain: 0 | 1;
  dup: 0 | 1;
  /** ours: the payload as sent, byte for byte (binary survives here) */
  raw: Buffer;
}

/** `error` event kinds: "connect 服务器连接不上" (the server cannot be reached),
 *  "tx 发送数据失败" (sending failed), "conack 服务器鉴权失败，失败码在payload"
 *  (the server refused the login, its code in payload), "other 其他异常". */
export type LuatosErrorKind = 'connect' | 'tx' | 'conack' | 'other';

/** The arguments after `mqtt_client` for each event, as documented:
 *  - `conack`: the MQTT connection is up ("可以订阅和发布数据了").
 *  - `suback`: data true and payload the granted QoS (0 to 2), or data false
 *    and payload the failure code ("一般是0x80"); one event per topic.
 *  - `unsuback`: one event per topic unsubscribed.
 *  - `recv`: data the topic, payload the message as text, then `metas`.
 *  - `sent`: data the message id publish() returned (0 for QoS 0): "qos0会马上通知,
 *    qos1/qos2会在服务器应答会回调".
 *  - `disconnect`: the connection ended (lost, refused, or disconnect()).
 *  - `pong`: PINGRESP, "没有附加数据".
 *  - `error`: data the kind, payload the CONNACK return code for `conack` and
 *    0 otherwise; ours: the MqttError after them. A connection closes after it. */
export type LuatosEventArgs =
  | ['conack']
  | ['suback', boolean, number]
  | ['unsuback']
  | ['recv', string, string, LuatosMetas]
  | ['sent', number]
  | ['disconnect']
  | ['pong']
  | ['error', LuatosErrorKind, number, MqttError];

/** mqtt.STATE_DISCONNECT: "mqtt 断开" (also while waiting to reconnect). */
export const STATE_DISCONNECT = 0;
/** mqtt.STATE_SCONNECT: "mqtt socket连接中" (TCP and TLS under way). */
export const STATE_SCONNECT = 1;
/** mqtt.STATE_MQTT: "mqtt socket已连接 mqtt连接中" (CONNECT sent). */
export const STATE_MQTT = 2;
/** mqtt.STATE_READY: "mqtt mqtt已连接". */
export const STATE_READY = 3;

/** The LuatOS state number of a core client state; `starting` is true
 *  between connect() and the core's first state report. */
export function luatosState(state: ConnectionState, starting: boolean): number {
  switch (state) {
    case 'tcp-connecting':
    case 'tls-handshaking':
      return STATE_SCONNECT;
    case 'mqtt-connecting':
      return STATE_MQTT;
    case 'connected':
      return STATE_READY;
    default:
      return starting ? STATE_SCONNECT : STATE_DISCONNECT;
  }
}

/** The 3.1.1 CONNACK return codes of the core client's refusals. */
const CONNACK_RETURN_CODES: Record<string, number> = {
  ERR_CONNACK_VERSION: 1,
  ERR_CONNACK_ID: 2,
  ERR_CONNACK_UNAVAILABLE: 3,
  ERR_CONNACK_BAD_AUTH: 4,
  ERR_CONNACK_NOT_AUTHORIZED: 5,
};

/** The `error` event of a failed connection attempt: `conack` with the
 *  broker's return code when it refused the CONNECT, else `connect`. */
export function connectFailure(err: MqttError): LuatosEventArgs {
  const code = CONNACK_RETURN_CODES[err.code];
  return code === undefined ? ['error', 'connect', 0, err] : ['error', 'conack', err.reasonCode ?? code, err];
}
