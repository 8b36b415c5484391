// Starts a real mosquitto for a test file on free loopback ports, with a
// plain listener, a TLS listener, a TLS listener that requires a client
// certificate (certificates made with openssl at start), a listener that
// requires a user name and password, and one that adds an ACL; and stops it.
// Fails with a message naming mosquitto, mosquitto_passwd or openssl when
// they are missing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

/** The users of the password and ACL listeners, with their passwords. */
export const USERS = { alice: 'alice-secret', bob: 'bob-secret' } as const;
/** On the ACL listener alice may use every topic; bob may read and write
 *  ACL_OPEN/#, only read ACL_READ_ONLY/#, and nothing else. */
export const ACL_OPEN = 'acl/open';
export const ACL_READ_ONLY = 'acl/read-only';

export interface Certs {
  ca: string; wrongCa: string; clientCert: string; clientKey: string; clientKeyEncrypted: string;
  /** the server's (CN localhost, SANs localhost and 127.0.0.1), for servers a test runs itself */
  serverCert: string; serverKey: string;
}
export interface Broker {
  port: number;
  tlsPort: number;      // TLS, server certificate for localhost and 127.0.0.1
  mtlsPort: number;     // TLS, and a client certificate is required
  passwordPort: number; // plain, one of USERS required
  aclPort: number;      // plain, one of USERS required, and the ACL above
  certs: Certs;         // PEM text
  stop(): Promise<void>;
}
/** The passphrase of certs.clientKeyEncrypted. */
export const KEY_PASSPHRASE = 'tinymqtt-key-pass';

/** The kernel's range of ephemeral ports, from which it picks the local port
 *  of every outgoing connection. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch { /* not Linux */ }
  return [32768, 60999];
}

/** Whether a server can listen on 127.0.0.1:port now (bound, then released). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 (bound, released), outside the ephemeral
 *  range: a port taken from that range (listen on port 0) can become the
 *  local port of any outgoing connection before the broker binds it, and
 *  the broker then fails with "Address already in use" (seen under load,
 *  while other tests connected hundreds of clients). */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const first = 1024 + Math.floor((low - 1024) / 3);   // the upper two thirds of the ports below the range
  for (let i = 0; low - first >= 1000 && i < 100; i++) {
    const port = first + Math.floor(Math.random() * (low - first));
    if (await bindable(port)) return port;
  }
  // no room below the range: one the kernel picks
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcpConnect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** A CA, a wrong CA, a server certificate and a client certificate (EC P-256), with openssl, in `dir`. */
export function makeCerts(dir: string): Certs {
  const cnf = path.join(dir, 'openssl.cnf');
  writeFileSync(cnf, [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = tinymqtt-test',
    '[ca]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign',
    '[server]', 'basicConstraints = CA:FALSE', 'extendedKeyUsage = serverAuth',
    'subjectAltName = DNS:localhost,IP:127.0.0.1',
    '[client]', 'basicConstraints = CA:FALSE', 'extendedKeyUsage = clientAuth', '',
  ].join('\n'));
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (out: string) => ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(out));
  const ca = (k: string, cn: string, out: string) =>
    ssl('req', '-x509', '-new', '-key', f(k), '-sha256', '-days', '30', '-subj', `/CN=${cn}`, '-config', cnf, '-extensions', 'ca', '-out', f(out));
  const cert = (k: string, cn: string, section: string, serial: string, out: string) => {
    ssl('req', '-new', '-key', f(k), '-subj', `/CN=${cn}`, '-config', cnf, '-out', f('req.csr'));
    ssl('x509', '-req', '-in', f('req.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', serial, '-days', '30',
      '-sha256', '-extfile', cnf, '-extensions', section, '-out', f(out));
  };
  key('ca.key'); ca('ca.key', 'tinymqtt test CA', 'ca.pem');
  key('wrong.key'); ca('wrong.key', 'tinymqtt wrong CA', 'wrong.pem');
  key('server.key'); cert('server.key', 'localhost', 'server', '1001', 'server.pem');
  key('client.key'); cert('client.key', 'tinymqtt-client', 'client', '1002', 'client.pem');
  ssl('ec', '-in', f('client.key'), '-aes256', '-passout', `pass:${KEY_PASSPHRASE}`, '-out', f('client_enc.key'));
  const read = (name: string) => readFileSync(f(name), 'utf8');
  return {
    ca: read('ca.pem'), wrongCa: read('wrong.pem'), clientCert: read('client.pem'), clientKey: read('client.key'),
    clientKeyEncrypted: read('client_enc.key'), serverCert: read('server.pem'), serverKey: read('server.key'),
  };
}

/** The password file of USERS (hashed by mosquitto_passwd -U) and the ACL
 *  file; returns their paths. */
function makeUsers(dir: string): { passwords: string; acl: string } {
  if (!existsSync(MOSQUITTO_PASSWD)) throw new Error(`${MOSQUITTO_PASSWD} not found: install the Debian package mosquitto (scripts/bootstrap)`);
  const passwords = path.join(dir, 'passwords');
  writeFileSync(passwords, Object.entries(USERS).map(([user, password]) => `${user}:${password}\n`).join(''));
  execFileSync(MOSQUITTO_PASSWD, ['-U', passwords], { stdio: 'pipe' });
  const acl = path.join(dir, 'acl');
  writeFileSync(acl, [
    'user alice', 'topic readwrite #',
    'user bob', `topic readwrite ${ACL_OPEN}/#`, `topic read ${ACL_READ_ONLY}/#`, '',
  ].join('\n'));
  return { passwords, acl };
}

/** A mosquitto process that accepts connections on its ports. */
export interface MosquittoProcess {
  proc: ChildProcess;
  ports: number[];
  /** settles when the process has exited */
  exited: Promise<void>;
}

/** mosquitto exited because one of its ports was taken between the probe
 *  and its bind. */
class PortTaken extends Error {}

/** Runs mosquitto with the configuration file `conf` and waits until it
 *  accepts connections on each of `ports`; its stderr goes to `log`.
 *  Throws PortTaken when it exited with "Address already in use". */
export async function runMosquitto(conf: string, ports: number[], log: (text: string) => void): Promise<MosquittoProcess> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: install the Debian package mosquitto (scripts/bootstrap)`);
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); log(d.toString()); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (const port of ports) {
    for (let i = 0; !(await accepts(port)); i++) {
      if (proc.exitCode !== null && stderr.includes('Address already in use')) throw new PortTaken(`mosquitto did not start: ${stderr}`);
      if (i > 200 || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return { proc, ports, exited };
}

/** runMosquitto on `count` ports free a moment ago, with the configuration
 *  file `configure(ports)` writes and returns. A free port can be taken by
 *  another process (the suites run in several at once) before mosquitto
 *  binds it: then it starts again on other ports, at most 5 times. */
export async function runOnFreePorts(count: number, configure: (ports: number[]) => string,
  log: (text: string) => void = () => undefined): Promise<MosquittoProcess> {
  for (let attempt = 1; ; attempt++) {
    const ports = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      return await runMosquitto(configure(ports), ports, log);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === 5) throw err;
    }
  }
}

/** Starts mosquitto (anonymous plain, TLS and mutual-TLS listeners, a
 *  password listener and an ACL listener) and waits until it accepts
 *  connections. `general` lines go into its configuration before the
 *  listeners. */
export async function startMosquitto(general: string[] = []): Promise<Broker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmq-native-'));
  const certs = makeCerts(dir);
  const users = makeUsers(dir);
  const conf = path.join(dir, 'mosquitto.conf');
  const tls = [`cafile ${dir}/ca.pem`, `certfile ${dir}/server.pem`, `keyfile ${dir}/server.key`];
  let running: MosquittoProcess;
  try {
    running = await runOnFreePorts(5, ([port, tlsPort, mtlsPort, passwordPort, aclPort]) => {
      // per_listener_settings: each listener has its own authentication and ACL
      writeFileSync(conf, [
        'per_listener_settings true', 'persistence false', ...(process.getuid?.() === 0 ? ['user root'] : []), ...general,
        `listener ${port} 127.0.0.1`, 'allow_anonymous true',
        `listener ${tlsPort} 127.0.0.1`, 'allow_anonymous true', ...tls,
        `listener ${mtlsPort} 127.0.0.1`, 'allow_anonymous true', ...tls, 'require_certificate true',
        `listener ${passwordPort} 127.0.0.1`, 'allow_anonymous false', `password_file ${users.passwords}`,
        `listener ${aclPort} 127.0.0.1`, 'allow_anonymous false', `password_file ${users.passwords}`, `acl_file ${users.acl}`, '',
      ].join('\n'));
      return conf;
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { proc, exited, ports: [port, tlsPort, mtlsPort, passwordPort, aclPort] } = running;
  const orphan = () => proc.kill('SIGTERM');   // best effort if the test process ends without afterAll
  process.once('exit', orphan);
  return {
    port, tlsPort, mtlsPort, passwordPort, aclPort, certs,
    async stop() {
      process.off('exit', orphan);
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
