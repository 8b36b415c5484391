// The error class every tinymqtt failure is, in a file of its own that imports
// nothing, so that the addon's loader (load-addon.ts) can throw it before the
// addon, which errors.ts needs, exists.

/** An error with a stable `code` ('ERR_INVALID_TOPIC', 'ERR_NOT_CONNECTED',
 *  'ERR_CONNACK_BAD_AUTH', 'ERR_SUBACK_REFUSED', 'ERR_PACKET_TOO_LARGE',
 *  'ERR_INVALID_ARG', 'ERR_SESSION_PRESENT', ...) and, where the protocol gave one, the MQTT reason
 *  code. Messages name the argument or the condition. */
export class MqttError extends Error {
  readonly code: string;
  readonly reasonCode?: number;
  /** ERR_SUBACK_REFUSED: what the broker answered for each filter */
  granted?: { topic: string; qos: number }[];
  /** A failed or lost connection (its message starts "connection to
   *  host:port"): the broker it was to. Absent on every other error. */
  server?: { host: string; port: number };

  /** `cause`: the error that led to this one (Error.cause). */
  constructor(code: string, message: string, reasonCode?: number, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = 'MqttError';
    this.code = code;
    if (reasonCode !== undefined) this.reasonCode = reasonCode;
  }
}
