// Zerynth mqtt: blocking connect, callbacks chosen by command and condition.
import * as mqtt from 'tinymqtt/zerynth';

const broker = new URL(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
const client = new mqtt.Client('zerynth-example', true);
client.connect(broker.hostname, 60, Number(broker.port || 1883));   // blocks until connected
client.on(mqtt.PUBLISH, (c, data) => { console.log(data.message.topic, data.message.payload); c.disconnect(); });
client.subscribe([['greetings/zerynth', 1]]);
client.loop();
client.publish('greetings/zerynth', 'hello from Zerynth', 1);
