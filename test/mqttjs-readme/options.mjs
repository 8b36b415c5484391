// MQTT.js with an options object: client id, a will, clean session, the reconnect period and the
// connection's events; the will is delivered when the first client's connection is cut.
import mqtt from 'tinymqtt/mqtt';

const { hostname, port } = new URL(process.env.MQTT_URL ?? 'mqtt://localhost:1883');

const watcher = mqtt.connect({ host: hostname, port: Number(port), clientId: 'will-watcher' });
watcher.on('message', (topic, message, packet) => {
  console.log('watcher: %s %s (qos %d)', topic, message.toString(), packet.qos);
  if (message.toString() === 'offline') watcher.end();
});
watcher.on('connect', () => {
  watcher.subscribe('devices/thermostat/status', { qos: 1 }, (err, granted) => {
    if (err) throw err;
    console.log('watcher: subscribed to %s with qos %d', granted[0].topic, granted[0].qos);
    startDevice();
  });
});

function startDevice() {
  const device = mqtt.connect({
    host: hostname,
    port: Number(port),
    clientId: 'thermostat',
    clean: true,
    keepalive: 30,
    reconnectPeriod: 1000,
    will: { topic: 'devices/thermostat/status', payload: 'offline', qos: 1, retain: false },
  });
  device.on('connect', (connack) => {
    console.log('device: connected, session present %s', connack.sessionPresent);
    device.publish('devices/thermostat/status', 'online', { qos: 1 }, () => device.end(true));   // force: no DISCONNECT, so the will goes out
  });
  device.on('close', () => console.log('device: closed'));
  device.on('end', () => console.log('device: ended'));
}
