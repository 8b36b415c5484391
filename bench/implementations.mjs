// The client implementations the benchmarks compare, and how to start a
// client process of each (roles.mjs and mosq_bench.c take the same roles and
// keys).
import { fileURLToPath } from 'node:url';
import { MOSQ_BENCH } from './mosq_build.mjs';

const WORKER = fileURLToPath(new URL('worker.mjs', import.meta.url));
const nodeClient = (id) => (role, args) => [process.execPath, '--expose-gc', WORKER, id, role, ...args];

/** In table order; `id` is the key in results, `label` what the table says. */
export const IMPLEMENTATIONS = [
  { id: 'tinymqtt', label: 'tinymqtt', command: nodeClient('tinymqtt') },
  // the same client on the engine loop thread driver (lib/driver.ts)
  { id: 'tinymqtt-thread', label: 'tmq thread', command: nodeClient('tinymqtt-thread') },
  // the same client on the engine compiled to WebAssembly (lib/wasm/)
  { id: 'tinymqtt-wasm', label: 'tmq wasm', command: nodeClient('tinymqtt-wasm') },
  { id: 'mqttjs', label: 'MQTT.js', command: nodeClient('mqttjs') },
  { id: 'libmosquitto', label: 'libmosquitto', command: (role, args) => [MOSQ_BENCH, role, ...args] },
];

export const byId = (id) => IMPLEMENTATIONS.find((impl) => impl.id === id);
