// Starts and stops the ws case's broker (ws_server.mjs) for the bench, and
// reads its CPU time.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processCpuUs } from './cpu.mjs';

const SERVER = fileURLToPath(new URL('ws_server.mjs', import.meta.url));

/** Starts aedes over WebSockets; resolves to { port, cpuUs(), stop() }
 *  once it listens (cpuUs: its user plus system CPU so far, µs). */
export async function startWsBroker() {
  const proc = spawn(process.execPath, [SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', (line) => resolve(JSON.parse(line).port));
    exited.then((code) => reject(new Error(`aedes over ws did not start (exit ${code}): ${stderr.trim()}`)));
  });
  return {
    port,
    cpuUs: () => processCpuUs(proc.pid),
    async stop() {
      process.off('exit', onExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}
