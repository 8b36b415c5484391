// The benchmarks' one mosquitto: a plain listener on a free 127.0.0.1 port,
// and on request more plain listeners (to spread many clients over several
// destination ports) and a TLS listener (certificates made with openssl at
// start); its config and certificates in a temp dir made here and removed by
// stop(), started from a shell with a raised open-file limit.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processCpuUs } from './cpu.mjs';
import { FILE_LIMIT, withFileLimit } from './file_limit.mjs';
import { startWsBroker } from './ws_broker.mjs';

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

/** `count` different free ports. */
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Whether something accepts TCP connections on HOST:port. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** A CA and a server certificate for 127.0.0.1 and localhost signed by it
 *  (EC P-256, valid for two days), made with openssl in `dir`; returns the
 *  paths of the PEM files. */
function makeCertificates(dir) {
  const file = (name) => path.join(dir, name);
  const openssl = (...args) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    } catch (error) {
      throw new Error(`openssl ${args[0]} failed: ${error.code === 'ENOENT' ? 'openssl not found (Debian package openssl)' : String(error.stderr).trim()}`);
    }
  };
  const newKey = (name) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file(name));
  newKey('ca.key');
  openssl('req', '-x509', '-new', '-key', file('ca.key'), '-sha256', '-days', '2', '-subj', '/CN=tinymqtt bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', file('ca.pem'));
  newKey('server.key');
  openssl('req', '-new', '-key', file('server.key'), '-subj', '/CN=localhost',
    '-addext', `subjectAltName=IP:${HOST},DNS:localhost`, '-addext', 'extendedKeyUsage=serverAuth', '-out', file('server.csr'));
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', '1',
    '-days', '2', '-sha256', '-copy_extensions', 'copy', '-out', file('server.pem'));
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}

/** The config: the BROKER_SETTINGS on the first plain listener (the others
 *  take mosquitto's defaults, which are the same for max_connections), then
 *  the other plain listeners, then the TLS listener when `certificates`. */
function writeConfig(dir, ports, tlsPort, certificates) {
  const file = path.join(dir, 'mosquitto.conf');
  const settings = Object.entries(BROKER_SETTINGS).map(([key, value]) => `${key} ${value}`);
  const [first, ...others] = ports;
  const tls = certificates ? [`listener ${tlsPort} ${HOST}`, `cafile ${certificates.caFile}`,
    `certfile ${certificates.certFile}`, `keyfile ${certificates.keyFile}`] : [];
  writeFileSync(file, [
    `listener ${first} ${HOST}`, 'allow_anonymous true', 'persistence false',
    ...settings, ...(process.getuid?.() === 0 ? ['user root'] : []),
    ...others.map((port) => `listener ${port} ${HOST}`), ...tls,
    'log_dest stderr', 'log_type error', 'log_type warning', '',
  ].join('\n'));
  return file;
}

/** Starts mosquitto and resolves once every listener accepts connections, to
 *  { port, ports, tlsPort, caFile, cpuUs(), stop() }: `ports` are the
 *  `listeners` plain listeners' (`port` the first), `tlsPort` and `caFile`
 *  (the CA's PEM file) are there when `tls`; cpuUs() is the broker's CPU
 *  time so far; with `ws`, `ws` is aedes over WebSockets beside it
 *  (ws_broker.mjs: { port, cpuUs() }). It runs with an open-file limit of
 *  `fileLimit`, or the hard limit when that is lower (file_limit.mjs). */
export async function startBroker({ listeners = 1, tls = false, ws = false, fileLimit = FILE_LIMIT } = {}) {
  if (!existsSync(MOSQUITTO))
    throw new Error(`${MOSQUITTO} not found: install the Debian package mosquitto (scripts/bootstrap)`);
  const ports = await freePorts(listeners + (tls ? 1 : 0));
  const tlsPort = tls ? ports.pop() : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'tmq-bench-'));
  let certificates;
  try {
    certificates = tls ? makeCertificates(dir) : undefined;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const [cmd, ...args] = withFileLimit([MOSQUITTO, '-c', writeConfig(dir, ports, tlsPort, certificates)], fileLimit, { orHardLimit: true });
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
  const allAccept = async () => (await Promise.all([...ports, ...(tls ? [tlsPort] : [])].map(accepts))).every(Boolean);
  for (let i = 0; !(await allAccept()); i++) {
    if (i > 100 || proc.exitCode !== null) {
      await stop();
      throw new Error(`mosquitto did not start: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const wsBroker = ws ? await startWsBroker().catch(async (error) => { await stop(); throw error; }) : undefined;
  const stopAll = async () => { await wsBroker?.stop(); await stop(); };
  return { port: ports[0], ports, tlsPort, caFile: certificates?.caFile, ws: wsBroker, cpuUs: () => processCpuUs(proc.pid), stop: stopAll };
}
