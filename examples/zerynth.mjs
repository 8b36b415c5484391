// Zerynth mqtt: blocking connect, callbacks chosen by command and condition.
import * as mqtt from 'tinymqtt/zerynth';

const client = new mqtt.Client('zerynth-example', true);
client.connect(process.env.MQTT_HOST ?? 'localhost', 60, Number(process.env.MQTT_PORT ?? 1883));   // blocks until connected
client.on(mqtt.PUBLISH, (c, data) => { console.log(data.message.topic, data.message.payload); c.disconnect(); });
client.subscribe([['greetings/zerynth', 1]]);
client.loop();
client.publish('greetings/zerynth', 'hello from Zerynth', 1);
