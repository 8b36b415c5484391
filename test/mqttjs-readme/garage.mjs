// MQTT.js's garage door example: a garage announces itself and takes open/close requests,
// a controller waits for it (a retained message), opens the door, then closes it. Both run here, each with its own client.
import mqtt from 'tinymqtt/mqtt';

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883';

// the garage
const garage = mqtt.connect(url);
let doorState = 'closed';

garage.on('connect', () => {
  garage.subscribe(['garage/open', 'garage/close'], (err) => {
    if (!err) garage.publish('garage/connected', 'true', { qos: 1, retain: true });
  });
});

garage.on('message', (topic) => {
  if (topic === 'garage/open' && doorState !== 'open' && doorState !== 'opening') {
    doorState = 'opening';
    sendStateUpdate();
    setTimeout(() => { doorState = 'open'; sendStateUpdate(); }, 50);
  }
  if (topic === 'garage/close' && doorState !== 'closed' && doorState !== 'closing') {
    doorState = 'closing';
    sendStateUpdate();
    setTimeout(() => { doorState = 'closed'; sendStateUpdate(); }, 50);
  }
});

function sendStateUpdate() {
  console.log('garage: sending state %s', doorState);
  garage.publish('garage/state', doorState, { qos: 1 });
}

// the controller
const controller = mqtt.connect(url);
let garageState = '';
let connected = false;
let opened = false;

controller.on('connect', () => {
  controller.subscribe({ 'garage/connected': { qos: 1 }, 'garage/state': { qos: 1 } });
});

controller.on('message', (topic, message) => {
  switch (topic) {
    case 'garage/connected':
      connected = message.toString() === 'true';
      if (connected && garageState !== 'opening' && garageState !== 'open') controller.publish('garage/open', 'true');
      return;
    case 'garage/state':
      garageState = message.toString();
      console.log('controller: garage state update to %s', garageState);
      if (garageState === 'open') {
        opened = true;
        controller.publish('garage/close', 'true');
      }
      if (garageState === 'closed' && opened) {
        garage.end();
        controller.end();
      }
  }
});
