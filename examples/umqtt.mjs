// MicroPython / QuecPython umqtt: synchronous, bytes in the callback.
import { MQTTClient } from 'tinymqtt/umqtt';

const broker = new URL(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
const c = new MQTTClient('umqtt-example', broker.hostname, Number(broker.port || 1883));
c.set_callback((topic, msg) => console.log(topic.decode(), msg.decode()));
c.connect();
c.subscribe('greetings/umqtt', 1);
c.publish('greetings/umqtt', 'hello from umqtt', false, 1);   // returns after PUBACK
c.wait_msg();                                                // blocks until a message, runs the callback
c.disconnect();
