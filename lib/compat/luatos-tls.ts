// The `ssl` argument of LuatOS mqtt.create() as core client TLS options.
import { MqttError, type MqttClientOptions } from '../index.js';
import { describe, isPlainObject, readKnownOptions } from '../validate.js';

/** The certificate table of mqtt.create()'s `ssl` argument. */
export interface LuatosCertificates {
  /** "服务器ca证书数据": the CA that signs the server's certificate (PEM) */
  server_cert?: string | Buffer;
  /** "客户端证书数据": the client certificate (PEM), for mutual TLS */
  client_cert?: string | Buffer;
  /** "客户端私钥加密数据": the client certificate's private key (PEM) */
  client_key?: string | Buffer;
  /** "客户端私钥口令数据": the private key's passphrase */
  client_password?: string;
  /** "是否强制校验 0不校验/1可选校验/2强制校验 默认2": 0 no verification, 1
   *  optional, 2 required (default). Optional verification lets the
   *  handshake succeed whatever the verification finds, as mbedTLS's
   *  VERIFY_OPTIONAL does, so 0 and 1 both connect to any server. */
  verify?: 0 | 1 | 2;
}

/** The TLS options the core client needs for `ssl`: none for false or
 *  nil; "true为无证书最简单的加密" (true: encryption without certificates, no
 *  verification); a table: its certificates, verified unless verify < 2. */
export function luatosTls(ssl: boolean | LuatosCertificates | null | undefined): MqttClientOptions {
  if (ssl === undefined || ssl === null || ssl === false) return {};
  if (ssl === true) return { protocol: 'mqtts', rejectUnauthorized: false };
  if (!isPlainObject(ssl))
    throw new MqttError('ERR_INVALID_ARG', `ssl must be a boolean or a table of certificates, not ${describe(ssl)}`);
  const table = readKnownOptions('ssl', ssl, ['server_cert', 'client_cert', 'client_key', 'client_password', 'verify']);
  const verify = table.verify ?? 2;
  if (verify !== 0 && verify !== 1 && verify !== 2) throw new MqttError('ERR_INVALID_ARG', `ssl.verify must be 0, 1 or 2, not ${describe(verify)}`);
  return {
    protocol: 'mqtts',
    rejectUnauthorized: verify === 2,
    ca: table.server_cert as LuatosCertificates['server_cert'],
    cert: table.client_cert as LuatosCertificates['client_cert'],
    key: table.client_key as LuatosCertificates['client_key'],
    passphrase: table.client_password as LuatosCertificates['client_password'],
  };
}
