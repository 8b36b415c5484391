// Runs one case: every implementation once, then again, `repeats` times
// (interleaved, so that a noisy stretch of the machine touches all of them),
// and reduces the runs to one median per metric and implementation.
import { formatNumber } from './report.mjs';
import { median } from './stats.mjs';

/** Runs `kase` against `broker` (see broker.mjs); returns { params, metrics, runs }:
 *  `runs[impl.id]` lists each run's figures or { error }, and each metric
 *  carries `values[impl.id]`: the median of the successful runs, or null. */
export async function runCase(kase, { broker, quick, log }) {
  const params = quick ? kase.quick : kase.full;
  const runs = Object.fromEntries(kase.impls.map((impl) => [impl.id, []]));
  for (let r = 1; r <= params.repeats; r++) {
    for (const impl of kase.impls) {
      const topic = `bench/${kase.name}/${impl.id}/${r}`;
      try {
        const figures = await kase.measure(impl, params, { port: broker.port, broker, topic });
        runs[impl.id].push(figures);
        log(`${kase.name} ${impl.label} run ${r}/${params.repeats}: ${describe(kase, figures)}`);
      } catch (error) {
        runs[impl.id].push({ error: error.message });
        log(`${kase.name} ${impl.label} run ${r}/${params.repeats} failed: ${error.message}`);
      }
    }
  }
  const metrics = kase.metrics.map((m) => {
    const values = {};
    for (const impl of kase.impls) {
      const ok = runs[impl.id].filter((f) => !f.error);
      values[impl.id] = ok.length ? median(ok.map((f) => f[m.key])) : null;
    }
    const label = typeof m.label === 'function' ? m.label(params) : m.label;
    return { id: m.id, label, unit: m.unit, better: m.better, values };
  });
  return { params, metrics, runs };
}

/** One run's figures for the progress log. */
function describe(kase, figures) {
  const busy = figures.brokerBusy === undefined ? '' : ` (broker busy ${Math.round(figures.brokerBusy * 100)}% of a core)`;
  return kase.metrics.map((m) => `${formatNumber(figures[m.key])} ${m.unit}`).join(', ') + busy;
}
