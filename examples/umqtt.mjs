// MicroPython / QuecPython umqtt: synchronous, bytes in the callback.
import { MQTTClient } from 'tinymqtt/umqtt';

const c = new MQTTClient('umqtt-example', process.env.MQTT_HOST ?? 'localhost', Number(process.env.MQTT_PORT ?? 1883));
c.set_callback((topic, msg) => console.log(topic.decode(), msg.decode()));
c.connect();
c.subscribe('greetings/umqtt', 1);
c.publish('greetings/umqtt', 'hello from umqtt', false, 1);   // returns after PUBACK
c.wait_msg();                                                // blocks until a message, runs the callback
c.disconnect();
