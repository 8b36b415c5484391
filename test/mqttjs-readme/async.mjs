// MQTT.js's promise style: connectAsync, the *Async methods, try/catch.
import mqtt from 'tinymqtt/mqtt';

const client = await mqtt.connectAsync(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
try {
  await client.subscribeAsync('wow/so/cool');
  const received = new Promise((resolve) => client.once('message', (topic, payload) => resolve(`${topic}: ${payload}`)));
  await client.publishAsync('wow/so/cool', 'It works!');
  console.log(await received);
  await client.endAsync();
} catch (e) {
  console.log(e.stack);
  process.exit(1);
}
