// Where a broker cluster lost the messages of a numbered stream, from the
// wire: the publisher's and the subscriber's AckTap records (support/ack-tap.ts)
// and the times the test killed nodes. For each message the subscriber never
// got, it follows the publisher's sends and the broker's acknowledgement
// (which node, how long before that node was killed) and what the broker sent
// the subscriber and how the client answered, and puts it in one phase:
//   ackedThenKilled  acknowledged by the node it was first sent to, which
//                    was killed on that connection, and never sent to the
//                    subscriber (the node died between its ack and routing)
//   inFlightAtKill   first sent to a node killed before it answered, sent
//                    again to the next node, acknowledged there, and never
//                    sent to the subscriber
//   ackedNeverSent   acknowledged, no kill in between, never sent to the
//                    subscriber (lost in routing or in the subscriber's queue)
//   sentConnDied     sent to the subscriber on a connection that died before
//                    the client answered, and never sent again
//   sentAnswered     sent, and the client answered (PUBACK, PUBREC) on the
//                    same connection, yet never delivered it: the client's
//                    fault unless a QoS 2 PUBREL never came (a client that
//                    delivers on PUBREL, as MQTT.js does, then has nothing)
//   notAcknowledged  never acknowledged to the publisher (the client's loss)
// It also counts, at each kill, the publisher's messages in flight on the
// killed node (sent, not acknowledged) and those it acknowledged in the
// last RECENT_MS, the exposure the losses are divided by.
import { Type } from './mqtt-bytes.js';
import type { WireEvent } from './ack-tap.js';

/** acknowledgements this close before a kill count as exposed to it */
const RECENT_MS = 50;

export interface Kill { t: number; node: number }

interface Exchange {
  /** first sends of the message: connection, node, time, packet id */
  sent: { conn: number; node: number; t: number; id: number }[];
  /** the answer on the connection of each send (PUBACK/PUBREC, t) */
  acks: { conn: number; node: number; t: number }[];
  /** QoS 2: PUBREL / PUBCOMP seen for one of its exchanges */
  released: boolean;
  completed: boolean;
}

/** Per payload, the QoS 1/2 PUBLISHes `sender` sent on each connection and
 *  the answers under their ids on the same connection. */
function exchanges(wire: WireEvent[], sender: 'client' | 'broker'): Map<string, Exchange> {
  const out = new Map<string, Exchange>();
  const open = new Map<string, string>();   // `${conn}:${id}` -> payload of the last PUBLISH under it
  const answerer = sender === 'client' ? 'broker' : 'client';
  for (const e of wire) {
    const key = `${e.conn}:${e.id}`;
    if (e.from === sender && e.type === Type.PUBLISH && e.text !== undefined) {
      let x = out.get(e.text);
      if (!x) out.set(e.text, (x = { sent: [], acks: [], released: false, completed: false }));
      x.sent.push({ conn: e.conn, node: e.node, t: e.t, id: e.id });
      open.set(key, e.text);
    } else if (e.from === answerer && (e.type === Type.PUBACK || e.type === Type.PUBREC)) {
      const text = open.get(key);
      if (text !== undefined) out.get(text)!.acks.push({ conn: e.conn, node: e.node, t: e.t });
    } else if (e.type === Type.PUBREL) {
      const text = open.get(key);
      if (text !== undefined) out.get(text)!.released = true;
    } else if (e.type === Type.PUBCOMP) {
      const text = open.get(key);
      if (text !== undefined) out.get(text)!.completed = true;
    }
  }
  return out;
}

/** When each connection's broker side closed. */
function closes(wire: WireEvent[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of wire) if (e.from === 'close') out.set(e.conn, e.t);
  return out;
}

export type Phase = 'ackedThenKilled' | 'inFlightAtKill' | 'ackedNeverSent' | 'sentConnDied' | 'sentAnswered' | 'notAcknowledged';

export interface LossReport {
  /** lost messages per phase */
  phases: Record<Phase, number>;
  /** ackedThenKilled: ms from the acknowledgement to the kill (median, max) */
  ackToKillMs: { median: number; max: number };
  /** sentAnswered at QoS 2: how many had their PUBREL, and how many came
   *  under a packet id the broker had used before for another message
   *  whose exchange it never released (no PUBREL): the client must take such
   *  a PUBLISH as a duplicate until the PUBREL comes [MQTT-4.3.3-2] */
  sentAnsweredReleased: number;
  sentAnsweredHeldId: number;
  /** over all kills, the publisher's messages of this QoS on the killed
   *  node: sent and not acknowledged when it died (the exposure of
   *  inFlightAtKill), and acknowledged in the RECENT_MS before (that of
   *  ackedThenKilled) */
  inFlightAtKills: number;
  ackedJustBeforeKills: number;
  /** lost per message in flight at the kills, and per message exposed
   *  (in flight or acknowledged in the RECENT_MS before); null with none */
  lostPerInFlight: number | null;
  lostPerExposed: number | null;
  /** a few lost messages, traced (for the log) */
  examples: string[];
}

const ratio = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 1000 : null);

/** The payload of the broker's last QoS 2 PUBLISH under `id` before `t` on
 *  any connection, if the client answered it (PUBREC) and no PUBREL for
 *  `id` followed before `t`: an exchange the broker left open. */
function heldBefore(sub: WireEvent[], id: number, t: number): string | undefined {
  let held: string | undefined, pending: string | undefined;
  for (const e of sub) {
    if (e.t >= t) break;
    if (e.id !== id) continue;
    if (e.from === 'broker' && e.type === Type.PUBLISH && e.qos === 2) pending = e.text;
    else if (e.from === 'client' && e.type === Type.PUBREC && pending !== undefined) held = pending;
    else if (e.from === 'broker' && e.type === Type.PUBREL) held = pending = undefined;
  }
  return held;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/** Traces `missing` (payloads as text, all of one QoS) through the two taps'
 *  records; `qos` picks the publisher's messages whose exposure is counted. */
export function traceLosses(missing: string[], qos: 1 | 2, pub: WireEvent[], sub: WireEvent[], kills: Kill[]): LossReport {
  const published = exchanges(pub, 'client');
  const delivered = exchanges(sub, 'broker');
  const subCloses = closes(sub), pubCloses = closes(pub);
  const phases: Record<Phase, number> = {
    ackedThenKilled: 0, inFlightAtKill: 0, ackedNeverSent: 0, sentConnDied: 0, sentAnswered: 0, notAcknowledged: 0,
  };
  const ackToKill: number[] = [];
  const examples: string[] = [];
  let sentAnsweredReleased = 0, sentAnsweredHeldId = 0;
  /** the kill that ended connection `conn` to `node`, if one came after `t` */
  const killEnding = (conn: number, node: number, t: number) =>
    kills.find((k) => k.node === node && k.t >= t && (pubCloses.get(conn) ?? Infinity) >= k.t);
  for (const text of missing) {
    const p = published.get(text);
    const d = delivered.get(text);
    let phase: Phase, detail = '';
    if (!p || p.acks.length === 0) phase = 'notAcknowledged';
    else if (!d) {
      const first = p.sent[0];
      const ack = p.acks.find((a) => a.conn === first.conn);
      // the kill that ended the connection it was first sent on (its ack
      // may be read just after the kill was sent: written before it landed)
      const kill = killEnding(first.conn, first.node, first.t);
      const last = p.acks.at(-1)!;
      if (ack && kill) {
        phase = 'ackedThenKilled';
        ackToKill.push(kill.t - ack.t);
        detail = `acked by node ${ack.node} ${Math.round(kill.t - ack.t)} ms before its kill`;
      } else if (!ack && kill) {
        phase = 'inFlightAtKill';
        detail = `sent to node ${first.node} ${Math.round(kill.t - first.t)} ms before its kill, sent ${p.sent.length}x, ` +
          `acked by node ${last.node} ${Math.round(last.t - kill.t)} ms after the kill`;
      } else {
        phase = 'ackedNeverSent';
        detail = `acked by node ${last.node}, first sent ${p.sent.length}x`;
      }
    } else {
      const last = d.sent.at(-1)!;
      const answered = d.acks.some((a) => a.conn === last.conn);
      if (!answered) {
        phase = 'sentConnDied';
        const closed = subCloses.get(last.conn);
        detail = `sent ${d.sent.length}x, last on node ${last.node} id ${last.id}, connection closed ${closed === undefined ? 'never' : `${Math.round(closed - last.t)} ms later`}`;
      } else {
        phase = 'sentAnswered';
        if (d.released) sentAnsweredReleased++;
        const held = heldBefore(sub, last.id, last.t);
        if (held) sentAnsweredHeldId++;
        detail = `sent ${d.sent.length}x, last on node ${last.node} id ${last.id}, answered${d.released ? ', released' : ''}${d.completed ? ', completed' : ''}` +
          (held ? `; id held for ${held}, never released` : '');
      }
    }
    phases[phase]++;
    if (examples.length < 8 || (phase !== 'ackedThenKilled' && examples.length < 16)) examples.push(`${text}: ${phase}${detail ? ` (${detail})` : ''}`);
  }
  // exposure at each kill: the publisher's messages of this QoS on the killed node
  let inFlightAtKills = 0, ackedJustBeforeKills = 0;
  const prefix = qos === 1 ? 'a' : 'b';
  for (const kill of kills) {
    for (const [text, x] of published) {
      if (text[0] !== prefix) continue;
      // sent on a connection to the killed node that was still open then
      const send = x.sent.find((s) => s.node === kill.node && s.t < kill.t && (pubCloses.get(s.conn) ?? Infinity) >= kill.t);
      if (!send) continue;
      const ack = x.acks.find((a) => a.conn === send.conn);
      if (!ack || ack.t >= kill.t) inFlightAtKills++;
      else if (kill.t - ack.t < RECENT_MS) ackedJustBeforeKills++;
    }
  }
  const lost = missing.length - phases.notAcknowledged;
  return {
    phases, ackToKillMs: { median: Math.round(median(ackToKill)), max: Math.round(Math.max(0, ...ackToKill)) },
    sentAnsweredReleased, sentAnsweredHeldId, inFlightAtKills, ackedJustBeforeKills,
    lostPerInFlight: ratio(lost, inFlightAtKills), lostPerExposed: ratio(lost, inFlightAtKills + ackedJustBeforeKills),
    examples,
  };
}

export interface FirstSends {
  /** QoS 1/2 messages the broker sent the subscriber */
  messages: number;
  /** of those, how many the client never answered (PUBACK, PUBREC) on the
   *  connection the broker first sent them on: the client never read them */
  unanswered: number;
  /** of the unanswered: the broker's side of the connection closed first
   *  (the node died), and ms from the send to that close (median, max) */
  brokerClosedFirst: number;
  sendToCloseMs: { median: number; max: number };
}

/** What became of the broker's first send of each message to the subscriber. */
export function traceFirstSends(sub: WireEvent[]): FirstSends {
  const x = exchanges(sub, 'broker');
  const brokerClose = closes(sub);
  const clientClose = new Map<number, number>();
  for (const e of sub) if (e.from === 'clientClose') clientClose.set(e.conn, e.t);
  let unanswered = 0, brokerClosedFirst = 0;
  const sendToClose: number[] = [];
  for (const m of x.values()) {
    const first = m.sent[0];
    if (m.acks.some((a) => a.conn === first.conn)) continue;
    unanswered++;
    const b = brokerClose.get(first.conn) ?? Infinity, c = clientClose.get(first.conn) ?? Infinity;
    if (b <= c) {
      brokerClosedFirst++;
      if (b < Infinity) sendToClose.push(b - first.t);
    }
  }
  return {
    messages: x.size, unanswered, brokerClosedFirst,
    sendToCloseMs: { median: Math.round(median(sendToClose)), max: Math.round(Math.max(0, ...sendToClose)) },
  };
}

/** QoS 1/2 PUBLISHes the broker sent before its CONNACK on a connection (a
 *  broker restoring a session may start delivering before it answers
 *  CONNECT, against [MQTT-3.2.0-1]), and the connections that had them. */
export function beforeConnack(sub: WireEvent[]): { messages: number; connections: number } {
  const answered = new Set<number>(), conns = new Set<number>();
  let messages = 0;
  for (const e of sub) {
    if (e.from !== 'broker') continue;
    if (e.type === Type.CONNACK) answered.add(e.conn);
    else if (e.type === Type.PUBLISH && !answered.has(e.conn)) {
      messages++;
      conns.add(e.conn);
    }
  }
  return { messages, connections: conns.size };
}
