// MqttError: every failure tinymqtt reports, with a stable string code.
import { native } from './native.js';

/** An error with a stable `code` ('ERR_QUEUE_FULL', 'ERR_CONNACK_AUTH',
 *  'ERR_INVALID_ARG', ...) and, where the protocol gave one, the MQTT reason
 *  code. Messages name the argument or the condition. */
export class MqttError extends Error {
  readonly code: string;
  readonly reasonCode?: number;

  constructor(code: string, message: string, reasonCode?: number) {
    super(message);
    this.name = 'MqttError';
    this.code = code;
    if (reasonCode !== undefined) this.reasonCode = reasonCode;
  }
}

/** The string code of an engine error number: TMQ_ERR_QUEUE_FULL (-34)
 *  becomes 'ERR_QUEUE_FULL'. */
export function engineCode(err: number): string {
  return native.strerror(err).replace(/^TMQ_/, '');
}

/** An MqttError for an engine error number, with what it was doing. */
export function engineError(err: number, what: string, reasonCode?: number): MqttError {
  const code = engineCode(err);
  return new MqttError(code, `${what}: ${code}`, reasonCode);
}

/** An MqttError for an argument the caller got wrong. */
export function argError(name: string, problem: string): MqttError {
  return new MqttError('ERR_INVALID_ARG', `${name} ${problem}`);
}
