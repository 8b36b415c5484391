// tinymqtt's public API: the core client, its errors and types, and two
// helpers over the addon.
//
// The package is ES modules only; CommonJS consumers `require('tinymqtt')`
// through Node's require(esm) (Node >= 20.19). That works only while no module
// of lib/ uses top-level await (require would throw ERR_REQUIRE_ASYNC_MODULE);
// test/addon.test.ts checks require.
import { native } from './native.js';

/** The version of the native addon: the package version it was built from. */
export function nativeVersion(): string {
  return native.version();
}

/** The engine's constant name for an error code, e.g. `errorName(-12)` is
 *  `'TMQ_ERR_UTF8'`; `'TMQ_ERR_UNKNOWN'` for a code the engine does not know.
 *  Throws a TypeError unless `code` is an integer. */
export function errorName(code: number): string {
  return native.strerror(code);
}

export { MqttClient, connect } from './client.js';
export type {
  MqttClientOptions, PublishOptions, SubscribeOptions, SubscriptionOptions, UnsubscribeOptions, OperationOptions,
  MessagesOptions, MessagePacket, ConnackPacket, SubscriptionGrant, QoS, ConnectionState, MqttClientEvents,
} from './client.js';
export type {
  UserProperties, ConnectProperties, MessageProperties, WillProperties, PublishProperties, SubscribeProperties, UnsubscribeProperties,
  ServerProperties,
} from './properties.js';
export { MqttError } from './errors.js';
