// MQTT 5.0 enhanced authentication for the core client: the AUTH steps the
// broker sends, the application's handler that answers them, and the
// property blocks of the client's AUTH packets. The exchange itself (when an
// AUTH may come, what it may carry) is the engine's (tmq_client_auth).
import { MqttError, argError } from './errors.js';
import { SENDABLE, decodeProperties, encodeProperties, type AuthProperties } from './properties.js';

/** AUTH reason codes (MQTT 5.0, 3.15.2.1). */
export const AUTH_SUCCESS = 0x00;
export const AUTH_CONTINUE = 0x18;
export const AUTH_REAUTHENTICATE = 0x19;

/** A step of enhanced authentication from the broker: an AUTH with reason
 *  0x18 (continue: answer it) or 0x00 (a re-authentication succeeded). */
export interface AuthPacket {
  reasonCode: number;
  properties: AuthProperties;
}

/** What the client answers a step with; the Authentication Method is always
 *  the one of options.properties. */
export type AuthAnswer = Omit<AuthProperties, 'authenticationMethod'>;

/** options.handleAuth: answers each AUTH challenge of the broker, during
 *  connect() and re-authentication. Throwing (or rejecting) ends the attempt:
 *  connect() or reauthenticate() rejects with ERR_AUTH and that error as its
 *  cause. */
export type AuthHandler = (packet: AuthPacket) => AuthAnswer | Promise<AuthAnswer>;

/** The AUTH packet an engine Auth event carries. */
export function authPacket(reasonCode: number, block: Buffer): AuthPacket {
  return { reasonCode, properties: (block.length > 0 ? decodeProperties(block) : {}) as AuthProperties };
}

/** The property block of the client's AUTH: `method` and what `answer`
 *  (named `name` in errors) adds to it. */
export function authBlock(name: string, method: string, answer: unknown): Buffer {
  if (answer !== undefined && (answer === null || typeof answer !== 'object'))
    throw argError(name, 'must be an object of authenticationData, reasonString, userProperties');
  if (answer !== undefined && 'authenticationMethod' in answer)
    throw argError(`${name}.authenticationMethod`, 'is the one of options.properties and cannot change');
  return encodeProperties(name, { authenticationMethod: method, ...answer }, SENDABLE.auth)!;
}

/** Runs the handler on one challenge and gives the block to answer with;
 *  a handler that throws or answers wrongly rejects with ERR_AUTH. */
export async function answerChallenge(handler: AuthHandler, method: string, packet: AuthPacket): Promise<Buffer> {
  let answer: unknown;
  try {
    answer = await handler(packet);
  } catch (e) {
    throw new MqttError('ERR_AUTH', `options.handleAuth failed: ${e instanceof Error ? e.message : String(e)}`, undefined, e);
  }
  try {
    return authBlock('options.handleAuth answer', method, answer);
  } catch (e) {
    throw new MqttError('ERR_AUTH', (e as Error).message, undefined, e);
  }
}
