/**
 * LuatOS's `mqtt` module: `import { mqtt } from 'tinymqtt/luatos'`,
 * then `const mqttc = mqtt.create(null, host, port)` and the Lua calls
 * `mqttc:xxx(...)` as `mqttc.xxx(...)`. See docs/compat/luatos.md.
 *
 * @module tinymqtt/luatos
 */
import { checkBool, checkInt, checkString, readKnownOptions } from '../validate.js';
import { MqttError } from '../index.js';
import { STATE_DISCONNECT, STATE_MQTT, STATE_READY, STATE_SCONNECT } from './luatos-events.js';
import { LuatosClient } from './luatos-client.js';
import { luatosTls, type LuatosCertificates } from './luatos-tls.js';

export { LuatosClient } from './luatos-client.js';
export type { LuatosCallback, LuatosPayload, LuatosRetain } from './luatos-client.js';
export type { LuatosErrorKind, LuatosEventArgs, LuatosMetas } from './luatos-events.js';
export type { LuatosCertificates } from './luatos-tls.js';

/** mqtt.create()'s fifth argument as a table: "mqtt扩展参数". */
export interface LuatosOptions {
  /** "是否为ipv6": accepted; the engine resolves the host to IPv4 and IPv6
   *  addresses alike, so it changes nothing */
  ipv6?: boolean;
  /** "接收缓冲区大小": the largest packet the client accepts, in bytes (the
   *  core client's maxPacketSize; the protocol's maximum when absent, LuatOS
   *  has 4 or 32 KiB).
   *  A larger packet closes the connection, as in LuatOS */
  rxSize?: number;
}

/** `mqtt.create(adapter, host, port, ssl, opts)`: "mqtt客户端创建".
 *  - adapter: "适配器序号" (the network adapter); accepted and ignored, the
 *    operating system routes.
 *  - host: "服务器地址,可以是域名, 也可以是ip"; port: the port.
 *  - ssl: "默认不加密,true为无证书最简单的加密，table为有证书的加密": false or
 *    nil for plain TCP, true for TLS without verification, a
 *    LuatosCertificates table for TLS with certificates.
 *  - opts: true for IPv6, or a LuatosOptions table.
 *  Returns the client. LuatOS returns nil when it cannot make one (no
 *  network adapter, unusable certificates); here arguments of the wrong type
 *  throw an MqttError naming the argument, and a certificate the TLS layer
 *  cannot use makes connect() fail with an `error` event. */
function create(adapter: number | null | undefined, host: string, port: number,
  ssl?: boolean | LuatosCertificates | null, opts?: boolean | LuatosOptions | null): LuatosClient {
  if (adapter !== undefined && adapter !== null) checkInt('adapter', adapter, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  checkString('host', host);
  checkInt('port', port, 1, 65535);
  const transport = luatosTls(ssl);
  if (typeof opts === 'object' && opts !== null) {
    const table = readKnownOptions('opts', opts, ['ipv6', 'rxSize']);
    if (table.ipv6 !== undefined) checkBool('opts.ipv6', table.ipv6);
    if (table.rxSize !== undefined) transport.maxPacketSize = checkInt('opts.rxSize', table.rxSize, 1, 2 ** 31 - 1);
  } else if (opts !== undefined && opts !== null) {
    checkBool('opts', opts);
  }
  return new LuatosClient({ host, port, transport });
}

/** The LuatOS `mqtt` module: create() and the STATE_* constants that
 *  mqttc.state() returns. */
export const mqtt = Object.freeze({
  create,
  /** "mqtt 断开": disconnected (also while waiting to reconnect) */
  STATE_DISCONNECT,
  /** "mqtt socket连接中": TCP (and TLS) connecting */
  STATE_SCONNECT,
  /** "mqtt socket已连接 mqtt连接中": CONNECT sent, waiting for CONNACK */
  STATE_MQTT,
  /** "mqtt mqtt已连接": connected */
  STATE_READY,
});
