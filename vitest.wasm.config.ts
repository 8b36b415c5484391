// The suites that use the core client, run a second time on the WebAssembly
// engine (TINYMQTT_ENGINE=wasm, lib/wasm/): the same assertions against the
// same mosquitto, aedes and scripted brokers. `npm run test:wasm`; scripts/test
// counts it as a suite of its own. Which suites, and what cannot apply to
// that engine with why, is test/wasm.json (the tests it names are reported as
// skipped; scripts/test counts any other skipped test as a failure).
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const list = JSON.parse(readFileSync(new URL('test/wasm.json', import.meta.url), 'utf8')) as {
  suites: string[]; tests: Record<string, string>;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: list.suites.map((name) => `test/${name}.test.ts`),
    env: { TINYMQTT_ENGINE: 'wasm' },
    testNamePattern: new RegExp(`^(?!.*(?:${Object.keys(list.tests).map(escape).join('|')})$)`),
  },
});
