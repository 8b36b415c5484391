// PikaPython's error codes (the document's appendix 1) and which failure of
// the core client each one stands for.
import { MqttError } from '../index.js';

/** 0: success */
export const STATE_SUCCESS = 0;
/** 1: failed for another reason (network, TLS, timeout, not connected, bad argument) */
export const STATE_FAIL_UNKONW = 1;
/** 2: bad user name or password (CONNACK 4; also 5 "not authorized", which
 *  brokers such as mosquitto answer for a wrong password) */
export const STATE_FAIL_BAD_NAME_PASSWD = 2;
/** 3: client id rejected (CONNACK 2, or one MQTT 3.1 cannot carry) */
export const STATE_FAIL_BAD_CLINETID = 3;
/** 4: protocol version refused (CONNACK 1) */
export const STATE_FAIL_BAD_PROTOCOL = 4;
/** 5: the broker answered a subscribe with failure (SUBACK 0x80) */
export const STATE_FAIL_BAD_RCODE = 5;
/** 6: no permission to subscribe or publish: the broker closed the
 *  connection in answer, MQTT 3.1.1's only way to refuse a publish
 *  (MQTT-3.3.5-2), and the way brokers such as aedes refuse a subscription */
export const STATE_FAIL_PERMISSION = 6;

/** The methods that return a code. */
export type PikaOperation = 'connect' | 'subscribe' | 'unsubscribe' | 'publish';

/** The code PikaPython returns when `operation` fails with `error`. */
export function pikaCode(error: unknown, operation: PikaOperation): number {
  switch (error instanceof MqttError ? error.code : undefined) {
    case 'ERR_CONNACK_BAD_AUTH':
    case 'ERR_CONNACK_NOT_AUTHORIZED':
    case 'ERR_PASSWORD':
      return STATE_FAIL_BAD_NAME_PASSWD;
    case 'ERR_CONNACK_ID':
    case 'ERR_CLIENT_ID':
      return STATE_FAIL_BAD_CLINETID;
    case 'ERR_CONNACK_VERSION':
      return STATE_FAIL_BAD_PROTOCOL;
    case 'ERR_SUBACK_REFUSED':
      return STATE_FAIL_BAD_RCODE;
    case 'ERR_CLOSED':
      return operation === 'connect' ? STATE_FAIL_UNKONW : STATE_FAIL_PERMISSION;
    default:
      return STATE_FAIL_UNKONW;
  }
}
