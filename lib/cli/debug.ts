// -d: one line per packet sent or received, in mosquitto's words ("Client ID
// sending CONNECT"). Made from what the core client tells: its calls and
// their results, its message and pong events. So it shows the packets those
// stand for: PUBLISH and its final acknowledgement (PUBACK, or PUBCOMP for
// QoS 2, not the PUBREC/PUBREL between), SUBSCRIBE/SUBACK, UNSUBSCRIBE/
// UNSUBACK, received PUBLISH and PINGRESP; not packet identifiers, nor the
// acknowledgements the client sends by itself. A call's result comes after
// the events of the same read, so the SUBACK line can follow retained
// messages the broker sent just after it.
import type { MessagePacket, MqttClient, QoS, SubscriptionGrant } from '../client.js';

/** Prints the packets of one client; `out` takes each line. */
export class Trace {
  #id = '';

  constructor(private readonly out: (line: string) => void) {}

  #say(text: string): void {
    this.out(`Client ${this.#id} ${text}\n`);
  }

  /** Before connect(): the CONNECT of client `id`. */
  connecting(id: string): void {
    this.#id = id;
    this.#say('sending CONNECT');
  }

  /** After connect() settled: the CONNACK's reason code. */
  connack(reasonCode: number): void {
    this.#say(`received CONNACK (${reasonCode})`);
  }

  /** Listens to the client's received PUBLISH packets and PINGRESPs. */
  watch(client: MqttClient): void {
    client.on('message', (_topic, _payload, packet) => this.#say(`received ${describePublish(packet)}`));
    client.on('pong', () => this.#say('received PINGRESP'));
  }

  /** A PUBLISH about to be sent. */
  publishing(topic: string, payload: Buffer | string, qos: QoS, retain: boolean): void {
    this.#say(`sending PUBLISH (d0, q${qos}, r${retain ? 1 : 0}, '${topic}', ... (${Buffer.byteLength(payload)} bytes))`);
  }

  /** A publish settled: its final acknowledgement, if its QoS has one. */
  published(qos: QoS): void {
    if (qos > 0) this.#say(`received ${qos === 1 ? 'PUBACK' : 'PUBCOMP'}`);
  }

  /** A SUBSCRIBE about to be sent, one line per filter. */
  subscribing(filters: string[], qos: QoS): void {
    for (const f of filters) this.#say(`sending SUBSCRIBE (Topic: ${f}, QoS: ${qos})`);
  }

  /** The SUBACK, and the QoS granted per filter (128 refused). */
  subscribed(grants: SubscriptionGrant[]): void {
    this.#say('received SUBACK');
    this.out(`Subscribed: ${grants.map((g) => g.qos).join(', ')}\n`);
  }

  /** An UNSUBSCRIBE about to be sent, one line per filter. */
  unsubscribing(filters: string[]): void {
    for (const f of filters) this.#say(`sending UNSUBSCRIBE (Topic: ${f})`);
  }

  /** The UNSUBACK. */
  unsubscribed(): void {
    this.#say('received UNSUBACK');
  }

  /** The DISCONNECT of end(). */
  disconnecting(): void {
    this.#say('sending DISCONNECT');
  }
}

/** The Trace of -d (printing to stdout, or to stderr with --json, which
 *  owns stdout), or undefined without -d. */
export function traceFor(flags: { debug?: boolean; json?: boolean }): Trace | undefined {
  if (!flags.debug) return undefined;
  const out = flags.json ? process.stderr : process.stdout;
  return new Trace((line) => out.write(line));
}

/** A received PUBLISH as mosquitto's -d shows it. */
function describePublish(p: MessagePacket): string {
  return `PUBLISH (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${p.messageId}, '${p.topic}', ... (${p.payload.length} bytes))`;
}
