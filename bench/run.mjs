// npm run bench [-- --case NAME --impl ID --quick --out FILE]: tinymqtt against MQTT.js
// and libmosquitto on one mosquitto started here, each client in its own
// process; prints a table, writes JSON and draws a chart beside it. See
// bench/README.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BROKER_SETTINGS, startBroker } from './broker.mjs';
import { CASES, brokerOptions } from './cases.mjs';
import { renderChart } from './chart.mjs';
import { killAll } from './child.mjs';
import { describeEnvironment, renderEnvironment } from './environment.mjs';
import { buildMosqBench } from './mosq_build.mjs';
import { USAGE, parseOptions, withWarmup } from './options.mjs';
import { renderFailures, renderTable, renderTargetSummary } from './report.mjs';
import { runCase } from './runs.mjs';
import { evaluateTargets } from './targets.mjs';

const log = (line) => process.stderr.write(`bench: ${line}\n`);

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!existsSync(new URL('../dist/index.js', import.meta.url)) || !existsSync(new URL('../build/Release/tinymqtt.node', import.meta.url))) {
  console.error('bench: tinymqtt is not built: run `npm run build` first');
  process.exit(1);
}
buildMosqBench();

const cases = CASES.filter((kase) => options.cases.includes(kase.name))
  .map((kase) => (options.impls.length ? { ...kase, impls: kase.impls.filter((impl) => options.impls.includes(impl.id)) } : kase))
  .map((kase) => withWarmup(kase, options.warmup));
const before = describeEnvironment();
const broker = await startBroker(brokerOptions(cases, options.quick));
const stop = async () => { killAll(); await broker.stop(); };
// the exit handlers of child.mjs and broker.mjs end the clients and the broker
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) process.once(signal, () => process.exit(code));

const results = [];
try {
  for (const kase of cases) {
    const params = options.quick ? kase.quick : kase.full;
    log(`${kase.name}: ${JSON.stringify(params)}`);
    results.push({ name: kase.name, ...(await runCase(kase, { broker, quick: options.quick, log })) });
  }
} finally {
  await stop();
}

const after = describeEnvironment();
const targets = evaluateTargets(results.flatMap((r) => r.metrics));
const windows = results.filter((r) => r.params.window).map((r) => `${r.name} ${r.params.window}`).join(', ');
const repeats = results.map((r) => `${r.name} ${r.params.repeats}`).join(', ');
console.log([
  `tinymqtt benchmarks (${options.quick ? 'quick' : 'full'}): medians of runs per implementation (${repeats})` +
    (options.warmup === undefined ? '' : `; warm-up ${options.warmup} in every case that has one (--warmup)`),
  renderEnvironment(before, after, broker),
  `publisher windows (publishes not yet completed): ${windows || '-'}; broker: ${JSON.stringify(BROKER_SETTINGS)}`,
  '',
  renderTable(results, targets),
  '',
  renderFailures(results),
  renderTargetSummary(targets),
].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n'));

const output = { environment: { before, after }, quick: options.quick, broker: BROKER_SETTINGS, cases: results, targets };
mkdirSync(path.dirname(options.out), { recursive: true });
writeFileSync(options.out, `${JSON.stringify(output, null, 2)}\n`);
log(`results written to ${options.out}`);
const chart = path.join(path.dirname(options.out), 'chart.svg');
writeFileSync(chart, renderChart(output));
log(`chart written to ${chart}`);
