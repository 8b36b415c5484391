// PikaPython's MQTT: synchronous calls returning 0 or an error code.
import { MQTT } from 'tinymqtt/pika';

const c = new MQTT(process.env.MQTT_HOST ?? 'localhost', Number(process.env.MQTT_PORT ?? 1883), { clientID: 'pika-example' });
if (c.connect() !== 0) throw new Error('connect failed');
c.subscribe('greetings/pika', (evt) => { console.log(evt.topic, evt.msg); c.disconnect(); }, 1);   // returns after SUBACK
c.publish('greetings/pika', 'hello from PikaPython', 1);                                         // returns after PUBACK
