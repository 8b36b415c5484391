// The core API: promises, typed events, async iteration.
import { connect } from 'tinymqtt';

const client = await connect(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
await client.subscribe('greetings/#', { qos: 1 });
const incoming = client.messages('greetings/#');
await client.publish('greetings/core', 'hello from the core API', { qos: 1 });   // resolves on PUBACK
for await (const { topic, payload } of incoming) { console.log(topic, payload.toString()); break; }
await client.end();
