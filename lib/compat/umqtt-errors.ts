// The exceptions umqtt raises, as MqttErrors: MQTTException for a broker's
// refusal, OSError for what the socket would have raised.
import { MqttError } from '../index.js';

/** umqtt's `MQTTException`: the broker refused. MicroPython and QuecPython
 *  raise `MQTTException(resp[3])` with the CONNACK return code (1
 *  unacceptable protocol version, 2 identifier rejected, 3 server
 *  unavailable, 4 bad user name or password, 5 not authorized) and the
 *  SUBACK's 0x80 for a refused subscription; `args[0]` (and `reasonCode`) is
 *  that number here too. `code` is the core client's (ERR_CONNACK_BAD_AUTH,
 *  ERR_SUBACK_REFUSED, ...). */
export class MQTTException extends MqttError {
  /** Python's `e.args`: the return code */
  readonly args: [number];

  constructor(code: string, returnCode: number, message: string) {
    super(code, message, returnCode);
    this.name = 'MQTTException';
    this.args = [returnCode];
  }
}

/** Python's `OSError`, raised where umqtt's socket would raise it: `errno`
 *  (also `args[0]`) is the Linux errno (111 ECONNREFUSED, 110 ETIMEDOUT, 104
 *  ECONNRESET, 107 ENOTCONN, 5 EIO for TLS), -2 for a name that does not
 *  resolve (as MicroPython's getaddrinfo), and -1 for a connection the
 *  broker closed (umqtt.simple's `raise OSError(-1)`). `code` is the core
 *  client's. */
export class OSError extends MqttError {
  readonly errno: number;
  /** Python's `e.args`: the errno */
  readonly args: [number];

  constructor(code: string, errno: number, message: string) {
    super(code, message);
    this.name = 'OSError';
    this.errno = errno;
    this.args = [errno];
  }
}

/** The CONNACK return code of each refusal. */
const RETURN_CODES: Record<string, number> = {
  ERR_CONNACK_VERSION: 1,
  ERR_CONNACK_ID: 2,
  ERR_CONNACK_UNAVAILABLE: 3,
  ERR_CONNACK_BAD_AUTH: 4,
  ERR_CONNACK_NOT_AUTHORIZED: 5,
};

/** The errno and its name for each failure a socket would raise. */
const ERRNOS: Record<string, [number, string]> = {
  ERR_REFUSED: [111, 'ECONNREFUSED'],
  ERR_CONNECT_TIMEOUT: [110, 'ETIMEDOUT'],
  ERR_TIMEOUT: [110, 'ETIMEDOUT'],
  ERR_KEEPALIVE: [110, 'ETIMEDOUT'],
  ERR_IO: [104, 'ECONNRESET'],
  ERR_NOT_CONNECTED: [107, 'ENOTCONN'],
  ERR_CLOSED: [-1, 'connection closed'],
  ERR_DNS: [-2, 'EAI_NONAME'],
  ERR_TLS: [5, 'EIO'],
  ERR_TLS_VERIFY: [5, 'EIO'],
};

/** What umqtt raises for `error`: an MQTTException for a broker's refusal,
 *  an OSError for a transport failure or a bounded wait that ran out; any
 *  other error (bad arguments: ERR_INVALID_ARG, ...) as it is. The core
 *  client's error is the new one's `cause`. */
export function umqttError(error: unknown): unknown {
  if (!(error instanceof MqttError) || error instanceof MQTTException || error instanceof OSError) return error;
  let out: MqttError | undefined;
  const returnCode = RETURN_CODES[error.code]
    ?? (error.code === 'ERR_SUBACK_REFUSED' || error.code === 'ERR_CONNACK_REFUSED' ? error.reasonCode : undefined);
  const errno = ERRNOS[error.code];
  if (returnCode !== undefined) out = new MQTTException(error.code, returnCode, `MQTTException(${returnCode}): ${error.message}`);
  else if (errno) out = new OSError(error.code, errno[0], `[Errno ${errno[0]}] ${errno[1]}: ${error.message}`);
  if (!out) return error;
  out.cause = error;
  return out;
}
