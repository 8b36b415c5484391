// MQTT.js's first README example: subscribe, publish to yourself once subscribed, print what arrives, end.
import mqtt from 'tinymqtt/mqtt';

const client = mqtt.connect(process.env.MQTT_URL ?? 'mqtt://localhost:1883');

client.on('connect', () => {
  client.subscribe('presence', (err) => {
    if (!err) {
      client.publish('presence', 'Hello mqtt');
    }
  });
});

client.on('message', (topic, message) => {
  // message is a Buffer
  console.log(message.toString());
  client.end();
});
