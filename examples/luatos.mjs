// LuatOS mqtt: one callback for every event.
import { mqtt } from 'tinymqtt/luatos';

const broker = new URL(process.env.MQTT_URL ?? 'mqtt://localhost:1883');
const mqttc = mqtt.create(null, broker.hostname, Number(broker.port || 1883));
mqttc.auth('luatos-example');
mqttc.on((client, event, data, payload, metas) => {
  if (event === 'conack') { mqttc.subscribe('greetings/luatos', 1); mqttc.publish('greetings/luatos', 'hello from LuatOS', 1); }
  if (event === 'recv') { console.log(data, payload); mqttc.close(); }
  if (event === 'error') { console.error(`${broker.host}: ${metas.message}`); process.exitCode = 1; mqttc.close(); }
});
mqttc.connect();
