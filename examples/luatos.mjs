// LuatOS mqtt: one callback for every event.
import { mqtt } from 'tinymqtt/luatos';

const mqttc = mqtt.create(null, process.env.MQTT_HOST ?? 'localhost', Number(process.env.MQTT_PORT ?? 1883));
mqttc.auth('luatos-example');
mqttc.on((client, event, data, payload) => {
  if (event === 'conack') { mqttc.subscribe('greetings/luatos', 1); mqttc.publish('greetings/luatos', 'hello from LuatOS', 1); }
  if (event === 'recv') { console.log(data, payload); mqttc.close(); }
});
mqttc.connect();
