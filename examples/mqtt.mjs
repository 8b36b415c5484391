// MQTT.js's API: a client returned at once, callbacks and events.
import mqtt from 'tinymqtt/mqtt';

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883';
const client = mqtt.connect(url);
client.on('connect', () => {
  client.subscribe('greetings/mqtt', { qos: 1 }, (err) => {
    if (!err) client.publish('greetings/mqtt', 'hello from MQTT.js', { qos: 1 });   // callback (optional) on PUBACK
  });
});
client.on('message', (topic, message) => { console.log(topic, message.toString()); client.end(); });
client.on('error', (err) => { console.error(`${url}: ${err.message}`); process.exitCode = 1; client.end(); });
