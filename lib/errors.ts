// The stable string codes of MqttError (the class is mqtt-error.ts, re-exported
// here): engine error numbers and refused arguments turned into MqttErrors.
import { native } from './native.js';
import { MqttError } from './mqtt-error.js';

export { MqttError };

/** Engine errors whose JavaScript code reads better with another name (the
 *  rest keep the engine's name without the TMQ_ prefix). */
const RENAMED: Record<string, string> = {
  ERR_TOPIC: 'ERR_INVALID_TOPIC',
  ERR_FILTER: 'ERR_INVALID_FILTER',
  ERR_SHARED: 'ERR_INVALID_FILTER',
  ERR_TOO_LARGE: 'ERR_PACKET_TOO_LARGE',
  ERR_CONNACK_AUTH: 'ERR_CONNACK_BAD_AUTH',
  ERR_ARG: 'ERR_INVALID_ARG',
};

/** The string code of an engine error number: TMQ_ERR_QUEUE_FULL (-34)
 *  becomes 'ERR_QUEUE_FULL', TMQ_ERR_TOPIC 'ERR_INVALID_TOPIC'. */
export function engineCode(err: number): string {
  return codeOfName(native.strerror(err));
}

/** The string code of an engine error name: 'TMQ_ERR_ARG' becomes
 *  'ERR_INVALID_ARG'. */
export function codeOfName(engineName: string): string {
  const name = engineName.replace(/^TMQ_/, '');
  return RENAMED[name] ?? name;
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

/** An error the addon threw, as an MqttError: an Error with an engine code
 *  name ('TMQ_ERR_STORE') gets that code ('ERR_STORE'), a TypeError or
 *  RangeError (an argument the addon refused) ERR_INVALID_ARG; `prefix` is
 *  taken off the message. Anything else is returned as it is. */
export function nativeError(e: unknown, prefix = ''): unknown {
  if (e instanceof MqttError || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  if (typeof code === 'string' && code.startsWith('TMQ_')) return new MqttError(codeOfName(code), message);
  if (e instanceof TypeError || e instanceof RangeError) return new MqttError('ERR_INVALID_ARG', message);
  return e;
}
