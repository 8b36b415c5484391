// One Node client process of a benchmark:
//   node --expose-gc bench/worker.mjs IMPL ROLE key=value...
// IMPL names a module of clients/, ROLE one of roles.mjs. Prints JSON lines:
// {"ready":true}, then {"result":{...}}; a failure exits non-zero.
import { performance } from 'node:perf_hooks';
import { ROLES } from './roles.mjs';

/** The keys whose values are text; the others are numbers. */
const TEXT_KEYS = new Set(['topic', 'cafile', 'ports']);

const [impl, role, ...pairs] = process.argv.slice(2);
if (!ROLES[role]) throw new Error(`unknown role ${role}`);
const params = Object.fromEntries(pairs.map((pair) => {
  const [key, value] = pair.split(/=(.*)/s);
  return [key, TEXT_KEYS.has(key) ? value : Number(value)];
}));
params.deadlineAt = performance.now() + params.deadline;

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
try {
  const { open } = await import(`./clients/${impl}.mjs`);
  const result = await ROLES[role](open, params, () => say({ ready: true }));
  say({ result });
  process.exit(0);   // idle clients are left to the exit, as in mosq_bench.c
} catch (error) {
  // one line for the parent's report
  process.stderr.write(`${error?.code ? `${error.code}: ` : ''}${error?.message ?? error}\n`);
  process.exit(1);
}
