// The project's targets: tinymqtt's figure as a multiple of another
// implementation's, at least `ratio` where higher is better, at most where
// lower is better.
export const TARGETS = [
  { metric: 'qos0.rate', vs: 'mqttjs', ratio: 1.4 },
  { metric: 'qos0.rate', vs: 'libmosquitto', ratio: 1 },
  { metric: 'qos0.pubCpu', vs: 'mqttjs', ratio: 0.5 },
  { metric: 'qos0.subCpu', vs: 'mqttjs', ratio: 0.6 },
  { metric: 'qos1.rate', vs: 'mqttjs', ratio: 1.5 },
  { metric: 'qos2.rate', vs: 'mqttjs', ratio: 1.5 },
  { metric: 'qos1tls.rate', vs: 'mqttjs', ratio: 1.5 },
  { metric: 'latency.p50', vs: 'mqttjs', ratio: 0.7 },
  { metric: 'latency.p99', vs: 'mqttjs', ratio: 0.5 },
  { metric: 'idle.rss', vs: 'mqttjs', ratio: 0.25 },
  { metric: 'large.rate', vs: 'mqttjs', ratio: 1.5 },
  { metric: 'large.rate', vs: 'libmosquitto', ratio: 1 },
  { metric: 'ws.rate', vs: 'mqttjs', ratio: 1.3 },
];

/** tinymqtt's value of `metric` (or implementation `of`'s) over
 *  implementation `vs`'s, or null when either is missing. */
export function ratio(metric, vs, of = 'tinymqtt') {
  const ours = metric.values[of], theirs = metric.values[vs];
  return ours == null || theirs == null || theirs === 0 ? null : ours / theirs;
}

/** The targets whose metric was measured for both implementations (a run
 *  with --impl may leave one out), each with the ratio found and whether it
 *  is met (false when a run of either failed). */
export function evaluateTargets(metrics) {
  return TARGETS.flatMap((target) => {
    const metric = metrics.find((m) => m.id === target.metric);
    if (!metric || !('tinymqtt' in metric.values) || !(target.vs in metric.values)) return [];
    const found = ratio(metric, target.vs);
    const met = found !== null && (metric.better === 'higher' ? found >= target.ratio : found <= target.ratio);
    return [{ ...target, better: metric.better, found, met }];
  });
}
