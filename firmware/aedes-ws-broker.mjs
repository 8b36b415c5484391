// The WebSocket broker for the firmware test's ws-client images: aedes
// served over the `ws` package on a free 127.0.0.1 port, path /mqtt, with
// what aedes reports written as one line per event to a log file the test
// checks (as it checks mosquitto's log for the other images):
//   node firmware/aedes-ws-broker.mjs LOG SECONDS
// The first line is "listening 127.0.0.1:PORT"; then, per client id ID:
//   client ID v4 clean 1 keepalive 2 path /mqtt protocol mqtt from 127.0.0.1
//   subscribe ID FILTER qos Q
//   publish ID TOPIC qos Q BYTES bytes    (from the client)
//   deliver ID TOPIC qos Q BYTES bytes    (to the client, through a QoS 1/2 subscription)
//   ack ID                                (the client's PUBACK, or PUBCOMP for QoS 2)
//   ping ID
//   unsubscribe ID FILTER
//   disconnect ID after DISCONNECT        (or: without DISCONNECT)
// It stops by itself after SECONDS (the test stops it sooner).
import { openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';

const [logPath, seconds] = process.argv.slice(2);
if (!logPath || !(Number(seconds) > 0)) {
  console.error('usage: node firmware/aedes-ws-broker.mjs LOG SECONDS');
  process.exit(2);
}
let Aedes, WebSocketServer, createWebSocketStream;
try {
  ({ Aedes } = await import('aedes'));
  ({ WebSocketServer, createWebSocketStream } = await import('ws'));
} catch (err) {
  console.error(`aedes-ws-broker: the npm packages aedes and ws are needed (npm install): ${err.message}`);
  process.exit(1);
}

const log = openSync(logPath, 'w');
/** One line, written at once, so the log is whole whenever the process is stopped. */
const line = (text) => writeSync(log, `${text}\n`);

// keeps each CONNECT on its client for the client line
const preConnect = (client, packet, done) => {
  client.connectPacket = packet;
  done(null, true);
};
const aedes = await Aedes.createBroker({ preConnect });
const server = createServer();
const wss = new WebSocketServer({ server, path: '/mqtt' });
wss.on('connection', (ws, req) => {
  const client = aedes.handle(createWebSocketStream(ws));
  // the upgrade's facts, logged with the client id once CONNECT names it
  client.upgrade = `path ${req.url} protocol ${ws.protocol || '-'} from ${req.socket.remoteAddress}`;
  // aedes has no event for a delivery: its QoS 1/2 subscriptions (which
  // also pass QoS 0 messages on) deliver through this function, taken when
  // the client subscribes
  const deliver = client.deliverQoS;
  client.deliverQoS = (packet, done) => {
    line(`deliver ${client.id} ${packet.topic} qos ${packet.qos} ${packet.payload.length} bytes`);
    deliver(packet, done);
  };
});

aedes.on('client', (c) => {
  const { protocolVersion, clean, keepalive } = c.connectPacket;
  line(`client ${c.id} v${protocolVersion} clean ${clean ? 1 : 0} keepalive ${keepalive} ${c.upgrade}`);
});
aedes.on('subscribe', (subs, c) => subs.forEach((s) => line(`subscribe ${c.id} ${s.topic} qos ${s.qos}`)));
aedes.on('unsubscribe', (filters, c) => filters.forEach((f) => line(`unsubscribe ${c.id} ${f}`)));
aedes.on('publish', (p, c) => c && line(`publish ${c.id} ${p.topic} qos ${p.qos} ${p.payload.length} bytes`));
aedes.on('ack', (_p, c) => line(`ack ${c.id}`)); // its packet is not kept for a clean session
aedes.on('ping', (_p, c) => line(`ping ${c.id}`));
// aedes sets _disconnected only when a DISCONNECT packet came (aedes 1.x)
aedes.on('clientDisconnect', (c) => line(`disconnect ${c.id} ${c._disconnected ? 'after' : 'without'} DISCONNECT`));

server.listen(0, '127.0.0.1', () => line(`listening 127.0.0.1:${server.address().port}`));
setTimeout(() => process.exit(0), Number(seconds) * 1000).unref();
