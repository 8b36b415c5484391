// The benchmarks' one mosquitto: a plain listener on a free 127.0.0.1 port,
// its config in a temp dir made here and removed by stop(), started from a
// shell with a raised open-file limit so that 10,000 clients fit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withFileLimit } from './file_limit.mjs';

const MOSQUITTO = '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';

/** The broker settings every case runs under (bench/README.md says why). */
export const BROKER_SETTINGS = {
  max_connections: -1,
  max_inflight_messages: 100, // broker -> subscriber QoS 1/2 window, as the publishers'
  max_queued_messages: 0,     // no limit: QoS 0 is never dropped, counts stay exact
};

/** A free TCP port on 127.0.0.1 (bound, read back, released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on HOST:port. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function writeConfig(dir, port) {
  const file = path.join(dir, 'mosquitto.conf');
  const settings = Object.entries(BROKER_SETTINGS).map(([key, value]) => `${key} ${value}`);
  writeFileSync(file, [
    `listener ${port} ${HOST}`, 'allow_anonymous true', 'persistence false',
    ...settings, ...(process.getuid?.() === 0 ? ['user root'] : []),
    'log_dest stderr', 'log_type error', 'log_type warning', '',
  ].join('\n'));
  return file;
}

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** User plus system CPU time of process `pid` so far, in microseconds
 *  (/proc/PID/stat, clock-tick resolution). */
function processCpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;   // utime, stime
}

/** Starts mosquitto and resolves once it accepts connections, to
 *  { port, cpuUs(), stop() }; cpuUs() is the broker's CPU time so far. */
export async function startBroker() {
  if (!existsSync(MOSQUITTO))
    throw new Error(`${MOSQUITTO} not found: install the Debian package mosquitto (scripts/bootstrap)`);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'tmq-bench-'));
  const [cmd, ...args] = withFileLimit([MOSQUITTO, '-c', writeConfig(dir, port)]);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  // if the bench exits without stop() (an error, a signal): no broker or temp dir left behind
  const onExit = () => {
    if (running()) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (running()) {
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; !(await accepts(port)); i++) {
    if (i > 100 || proc.exitCode !== null) {
      await stop();
      throw new Error(`mosquitto did not start: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, cpuUs: () => processCpuUs(proc.pid), stop };
}
