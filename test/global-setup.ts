// vitest global setup: `npm run build` (the addon with cmake-js, dist/ with
// tsc) before any test, so a test never runs against a stale build. Both
// steps are incremental: a second run takes a couple of seconds.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env.TMQ_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`npm run build failed (exit ${r.status ?? r.signal}); see the output above`);
  }
}
