// Starts one client process of a benchmark and reads its JSON lines
// ({"ready":true}, then {"result":{...}}). A process that outlives its
// deadline by GRACE_MS is killed; killAll() ends every one still running.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { withFileLimit } from './file_limit.mjs';

const GRACE_MS = 15_000;
const running = new Set();

/** Ends every client process still running (on the way out; also done
 *  when the bench process exits). */
export function killAll() {
  for (const proc of running) proc.kill('SIGKILL');
}
process.on('exit', killAll);

/** Starts `role` of implementation `impl` with `params` (key=value args,
 *  `deadline` in ms among them) under an open-file limit of `fileLimit`.
 *  Returns { ready, result, kill }: promises for the ready line and the
 *  result, which reject with the process's stderr when it fails. */
export function startClient(impl, role, params, { fileLimit } = {}) {
  const args = Object.entries(params).map(([key, value]) => `${key}=${value}`);
  const [cmd, ...rest] = withFileLimit(impl.command(role, args), fileLimit);
  const proc = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const timer = setTimeout(() => proc.kill('SIGKILL'), params.deadline + GRACE_MS);

  let onReady, onResult;
  const ready = new Promise((resolve, reject) => { onReady = { resolve, reject }; });
  const result = new Promise((resolve, reject) => { onResult = { resolve, reject }; });
  ready.catch(() => {});   // a caller that awaits only the result still hears of the failure there
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const message = JSON.parse(line);
    if (message.ready) onReady.resolve();
    if (message.result) onResult.resolve(message.result);
  });
  proc.once('close', (code, signal) => {
    clearTimeout(timer);
    running.delete(proc);
    const why = signal === 'SIGKILL' ? `killed after ${params.deadline + GRACE_MS} ms` : `exit ${code ?? signal}`;
    const error = new Error(`${impl.label} ${role} (${why}): ${stderr.trim().split('\n').at(-1) || 'no output'}`);
    onReady.reject(error);   // no effect once settled
    onResult.reject(error);
  });
  return { ready, result, kill: () => proc.kill('SIGKILL') };
}

/** The result of a client process that runs alone (see startClient). */
export async function runClient(impl, role, params, options) {
  const client = startClient(impl, role, params, options);
  try {
    return await client.result;
  } finally {
    client.kill();
  }
}
