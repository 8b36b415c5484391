// What the figures were taken on, for the report and the JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const packageVersion = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;

/** Versions, CPUs and load at the time of the call. */
export function describeEnvironment() {
  const mosquitto = spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout?.match(/version (\S+)/)?.[1];
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: os.loadavg()[0],
    node: process.version,
    mosquitto: mosquitto ?? 'unknown',
    mqttjs: packageVersion('mqtt'),
    tinymqtt: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  };
}

/** The header lines of the printed report (`broker` as startBroker gives it). */
export function renderEnvironment(before, after, broker) {
  const tls = broker.tlsPort ? `, TLS on ${broker.tlsPort}` : '';
  return [
    `machine: ${before.cpus} x ${before.cpuModel}; load average ${before.loadAverage.toFixed(2)} before, ${after.loadAverage.toFixed(2)} after`,
    `Node ${before.node}, tinymqtt ${before.tinymqtt}, MQTT.js ${before.mqttjs}, mosquitto ${before.mosquitto} on 127.0.0.1 port ${broker.ports.join(', ')}${tls}`,
  ].join('\n');
}
