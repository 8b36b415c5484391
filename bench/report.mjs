// The printed report: one row per metric with each implementation's median,
// tinymqtt's ratios to the others, which way is better, and the project's
// targets for that metric with met/missed; then the runs that failed.
import { IMPLEMENTATIONS } from './implementations.mjs';
import { ratio } from './targets.mjs';

const RATIO_COLUMNS = [
  { vs: 'mqttjs', title: 'tmq/MQTT.js' },
  { vs: 'libmosquitto', title: 'tmq/libmosq' },
  { of: 'tinymqtt-thread', vs: 'mqttjs', title: 'thread/MQTT.js' },
  { of: 'tinymqtt-thread', vs: 'libmosquitto', title: 'thread/libmosq' },
  { of: 'tinymqtt-wasm', vs: 'mqttjs', title: 'wasm/MQTT.js' },
];

/** A figure with as many digits as a benchmark can vouch for. */
export function formatNumber(value) {
  if (value >= 100) return Math.round(value).toLocaleString('en');
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function valueCell(metric, impl) {
  if (!(impl.id in metric.values)) return '-';
  const value = metric.values[impl.id];
  return value === null ? 'failed' : formatNumber(value);
}

function targetCell(metric, targets) {
  return targets.filter((t) => t.metric === metric.id).map((t) => {
    const label = IMPLEMENTATIONS.find((impl) => impl.id === t.vs).label;
    return `${t.better === 'higher' ? '>=' : '<='} ${t.ratio}x ${label}: ${t.met ? 'met' : 'MISSED'}`;
  }).join('; ');
}

/** Lays rows of cells out in aligned columns; numbers align right. */
function layout(rows) {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const numeric = (cell) => /^([\d.,]+x?|-|failed)$/.test(cell);
  return rows.map((row) => row.map((cell, col) =>
    numeric(cell) ? cell.padStart(widths[col]) : cell.padEnd(widths[col])).join('  ').trimEnd()).join('\n');
}

/** The table for `cases` (each { name, metrics }) and evaluated `targets`. */
export function renderTable(cases, targets) {
  const header = ['metric', 'unit', ...IMPLEMENTATIONS.map((impl) => impl.label), ...RATIO_COLUMNS.map((c) => c.title), 'better', 'targets'];
  const rows = cases.flatMap((kase) => kase.metrics.map((metric) => [
    metric.label, metric.unit,
    ...IMPLEMENTATIONS.map((impl) => valueCell(metric, impl)),
    ...RATIO_COLUMNS.map((c) => { const r = ratio(metric, c.vs, c.of); return r === null ? '-' : `${r.toFixed(2)}x`; }),
    metric.better, targetCell(metric, targets),
  ]));
  return layout([header, ...rows]);
}

/** One line per failed run: case, implementation, run number, error. */
export function renderFailures(cases) {
  return cases.flatMap((kase) => Object.entries(kase.runs).flatMap(([id, runs]) => runs.flatMap((run, i) =>
    run.error ? [`${kase.name}: ${id} run ${i + 1} of ${runs.length} failed: ${run.error}`] : []))).join('\n');
}

/** "N of M targets met" and the missed ones by name. */
export function renderTargetSummary(targets) {
  const missed = targets.filter((t) => !t.met).map((t) => `${t.metric} vs ${t.vs}`);
  return `${targets.length - missed.length} of ${targets.length} targets met${missed.length ? `; missed: ${missed.join(', ')}` : ''}`;
}
