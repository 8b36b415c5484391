// PikaPython's MQTT: synchronous calls returning 0 or an error code.
import { MQTT } from 'tinymqtt/pika';

const broker = new URL(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
const c = new MQTT(broker.hostname, Number(broker.port || 1883), { clientID: 'pika-example' });
if (c.connect() !== 0) throw new Error(`connect to ${broker.host} failed`);
c.subscribe('greetings/pika', (evt) => { console.log(evt.topic, evt.msg); c.disconnect(); }, 1);   // returns after SUBACK
c.publish('greetings/pika', 'hello from PikaPython', 1);                                         // returns after PUBACK
