// The benchmark chart (bench/results/chart.svg, which npm run bench writes
// beside its JSON): for every metric measured against the other clients, how
// many times better tinymqtt did than each, as bars either side of 1x on a log
// scale. Better means the higher rate, or the lower time, CPU or memory.
// Figures only tinymqtt has (cases run for it alone) are listed under the bars.
//
// Also a command: node bench/chart.mjs [RESULTS.json [CHART.svg]] redraws the
// chart of a results file (default bench/results/latest.json, chart.svg beside it).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPLEMENTATIONS } from './implementations.mjs';
import { formatNumber } from './report.mjs';
import { ratio } from './targets.mjs';

const OTHERS = IMPLEMENTATIONS.filter((impl) => !impl.id.startsWith('tinymqtt'));
const COLORS = { mqttjs: '#3b7dd8', libmosquitto: '#e08a2c' };

const WIDTH = 820;
const LABEL_RIGHT = 300;   // row labels end here
const PLOT_LEFT = 320, PLOT_RIGHT = WIDTH - 70;
const TOP = 122;           // first row
const ROW = 38, BAR = 12;
const LINE = 16;           // a line of the list of tinymqtt's own figures

/** How many times better tinymqtt's figure is than `vs`'s for `metric`
 *  (above 1: better), or null when either is missing. */
export function advantage(metric, vs) {
  const r = ratio(metric, vs);
  if (r === null || r === 0) return null;
  return metric.better === 'higher' ? r : 1 / r;
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const powerLabel = (p) => (p >= 0 ? `${2 ** p}×` : `1/${2 ** -p}×`);

/** "5 runs (qos0, qos1), 1 run (idle)": how many runs each case's medians come from. */
function runCounts(cases) {
  const byRepeats = new Map();
  for (const kase of cases) byRepeats.set(kase.params.repeats, [...(byRepeats.get(kase.params.repeats) ?? []), kase.name]);
  return [...byRepeats].sort((a, b) => b[0] - a[0])
    .map(([n, names]) => `${n} run${n === 1 ? '' : 's'} (${names.join(', ')})`).join(', ');
}

/** The chart of a results object as npm run bench writes it, as SVG text. */
export function renderChart(results) {
  const rows = results.cases.flatMap((kase) => kase.metrics.map((metric) => ({
    kase,
    label: `${metric.label} (${metric.unit})`,
    bars: OTHERS.map((impl) => ({ impl, value: advantage(metric, impl.id) })),
  }))).filter((row) => row.bars.some((bar) => bar.value !== null));
  const alone = results.cases.flatMap((kase) => kase.metrics
    .filter((metric) => metric.values.tinymqtt != null && OTHERS.every((impl) => metric.values[impl.id] == null))
    .map((metric) => ({ kase, metric })));
  const charted = results.cases.filter((kase) => rows.some((row) => row.kase === kase) || alone.some((a) => a.kase === kase));
  const values = rows.flatMap((row) => row.bars.map((bar) => bar.value)).filter((v) => v !== null);
  // whole powers of two with room for the value labels at either end
  const lo = Math.floor(Math.log2(Math.min(1, ...values)) - 0.6);
  const hi = Math.ceil(Math.log2(Math.max(1, ...values)) + 0.6);
  const x = (value) => PLOT_LEFT + ((Math.log2(value) - lo) / (hi - lo)) * (PLOT_RIGHT - PLOT_LEFT);
  const bottom = TOP + rows.length * ROW;
  const aloneTop = bottom + 44;   // below the axis labels
  const footer = alone.length ? aloneTop + (alone.length + 1) * LINE + 12 : bottom + 44;
  const env = results.environment.before;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${footer + 26}" viewBox="0 0 ${WIDTH} ${footer + 26}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="#24292f">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="bold">tinymqtt against MQTT.js and libmosquitto: how many times better${results.quick ? ' (quick run)' : ''}</text>`,
    `<text x="16" y="46">Rates: tinymqtt's over the other's. CPU, latency, connect time and memory: the other's over tinymqtt's. Right of 1× is better.</text>`,
    `<text x="16" y="64" fill="#57606a">${escape(`${env.date.slice(0, 10)}, ${env.cpus} × ${env.cpuModel}, Node ${env.node}, tinymqtt ${env.tinymqtt}, MQTT.js ${env.mqttjs}, mosquitto ${env.mosquitto}`)}</text>`,
    `<text x="16" y="80" fill="#57606a">${escape(`Medians of ${runCounts(charted)} per implementation`)}</text>`,
  ];
  OTHERS.forEach((impl, i) => {
    const left = 16 + i * 160;
    out.push(`<rect x="${left}" y="92" width="12" height="12" fill="${COLORS[impl.id]}"/>`,
      `<text x="${left + 18}" y="102">against ${escape(impl.label)}</text>`);
  });
  for (let p = lo; p <= hi; p++) {
    const px = x(2 ** p).toFixed(1);
    out.push(`<line x1="${px}" y1="${TOP - 4}" x2="${px}" y2="${bottom}" stroke="${p === 0 ? '#57606a' : '#d0d7de'}" stroke-width="${p === 0 ? 1.5 : 1}"/>`,
      `<text x="${px}" y="${bottom + 16}" text-anchor="middle" fill="#57606a">${powerLabel(p)}</text>`);
  }
  rows.forEach((row, r) => {
    const y = TOP + r * ROW;
    out.push(`<text x="${LABEL_RIGHT}" y="${y + ROW / 2 + 2}" text-anchor="end">${escape(row.label)}</text>`);
    row.bars.forEach(({ impl, value }, b) => {
      const top = y + 6 + b * (BAR + 2);
      if (value === null) {
        out.push(`<text x="${x(1) + 4}" y="${top + BAR - 2}" fill="#57606a">no figure</text>`);
        return;
      }
      const [from, to] = [x(1), x(value)].sort((a, c) => a - c);
      const better = value >= 1;
      out.push(`<rect x="${from.toFixed(1)}" y="${top}" width="${Math.max(1, to - from).toFixed(1)}" height="${BAR}" fill="${COLORS[impl.id]}"/>`,
        `<text x="${(better ? to + 4 : from - 4).toFixed(1)}" y="${top + BAR - 2}" text-anchor="${better ? 'start' : 'end'}" font-size="11">${formatNumber(value)}×</text>`);
    });
  });
  if (alone.length) {
    out.push(`<text x="16" y="${aloneTop}" font-weight="bold">tinymqtt alone (no other client in these cases)</text>`);
    alone.forEach(({ metric }, i) => out.push(`<text x="16" y="${aloneTop + (i + 1) * LINE}">${escape(
      `${metric.label} (${metric.unit}): ${formatNumber(metric.values.tinymqtt)}`)}</text>`));
  }
  out.push(`<text x="16" y="${footer}" fill="#57606a">Log scale. Drawn by bench/chart.mjs from npm run bench's results; the method is in bench/README.md.</text>`, '</svg>', '');
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const json = process.argv[2] ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
  const svg = process.argv[3] ?? path.join(path.dirname(json), 'chart.svg');
  writeFileSync(svg, renderChart(JSON.parse(readFileSync(json, 'utf8'))));
  console.error(`bench: chart written to ${svg}`);
}
