/**
 * tinymqtt's public API: the core client, its errors and types, and two
 * helpers over the addon.
 *
 * @module tinymqtt
 */
// The package is ES modules only; CommonJS consumers `require('tinymqtt')`
// through Node's require(esm) (Node >= 20.19). That works only while no module
// of lib/ uses top-level await (require would throw ERR_REQUIRE_ASYNC_MODULE);
// test/addon.test.ts checks require.
import { native } from './native.js';
import { checkFilter, checkTopic } from './validate.js';

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

/** Whether topic name `topic` matches topic filter `filter` by MQTT's rules
 *  (the engine's own matcher): '+' one level, '#' the rest, '$'-topics not
 *  matched by a leading wildcard, '$share/group/' filters as their inner
 *  filter. Throws an MqttError (ERR_INVALID_FILTER, ERR_INVALID_TOPIC, ...)
 *  naming the argument for an invalid filter or topic. */
export function matchTopic(filter: string, topic: string): boolean {
  checkFilter('filter', filter);
  checkTopic('topic', topic);
  return native.topicMatch(filter, topic);
}

export { MqttClient, connect, parseUrl } from './client.js';
export type { ServerAddress, ServerOption } from './servers.js';
export type {
  MqttClientOptions, PublishOptions, SubscribeOptions, SubscriptionOptions, UnsubscribeOptions, OperationOptions,
  MessagesOptions, MessagePacket, ConnackPacket, SubscriptionGrant, QoS, ConnectionState, MqttClientEvents, ReconnectOptions,
  EndOptions,
} from './client.js';
export type { AuthPacket, AuthAnswer, AuthHandler } from './auth.js';
export type { LogFunction } from './log.js';
export type {
  UserProperties, ConnectProperties, MessageProperties, WillProperties, PublishProperties, SubscribeProperties, UnsubscribeProperties,
  ServerProperties, DisconnectProperties, AuthProperties,
} from './properties.js';
export type { DriverName } from './driver.js';
export type { EngineName } from './native.js';
export type { WebSocketOptions } from './ws.js';
export { MqttError } from './errors.js';
export { FileStore } from './store.js';
export type { FileStoreOptions, FsyncPolicy, StoredMessage } from './store.js';
