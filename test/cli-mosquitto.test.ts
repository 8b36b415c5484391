// tinymqtt pub, sub and rr side by side with mosquitto_pub, mosquitto_sub
// and mosquitto_rr: the same flags against the same mosquitto, and the same
// output, messages and exit codes (where ours differ on purpose, the test
// says how). Each step runs both tools at once to keep the suite short.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttError, type MqttClient } from '../lib/index.js';
import { CliError } from '../lib/cli/options.js';
import { pub } from '../lib/cli/pub.js';
import { rr } from '../lib/cli/rr.js';
import { sub } from '../lib/cli/sub.js';
import { cli, mosquittoClient, start, startCli, type Started } from './support/cli.js';
import { nextMessages } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let watcher: MqttClient;
let dir: string;
const TOOLS = { pub: '', sub: '', rr: '' };
const TZ = { TZ: 'UTC' };
const STDBUF = '/usr/bin/stdbuf';

beforeAll(async () => {
  TOOLS.pub = mosquittoClient('mosquitto_pub');
  TOOLS.sub = mosquittoClient('mosquitto_sub');
  TOOLS.rr = mosquittoClient('mosquitto_rr');
  if (!existsSync(STDBUF)) throw new Error(`${STDBUF} not found: install the Debian package coreutils`);
  broker = await startMosquitto();
  dir = mkdtempSync(path.join(tmpdir(), 'tmq-cli-mosq-'));
  watcher = await connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 5 });
});
afterAll(async () => {
  await watcher?.end();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const at = () => ['-h', '127.0.0.1', '-p', String(broker.port)];

/** The exit code and message the tinymqtt command gives for what a command
 *  threw (as main.ts maps it: a CliError its code, an MqttError of bad input 1). */
async function refusal(run: Promise<number>): Promise<{ code: number; message: string }> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  if (error instanceof CliError) return { code: error.code, message: error.message };
  if (error instanceof MqttError) return { code: 1, message: error.message };
  throw new Error(`expected a refusal, got ${String(error)}`);
}

/** Starts tinymqtt COMMAND and mosquitto_COMMAND with the same arguments
 *  (`mine` and `theirs` replace the word 'TOOL' in them: topics and ids
 *  apart). */
function both(command: 'pub' | 'sub' | 'rr', args: string[], stdin = ''): { ours: Started; theirs: Started } {
  const fill = (name: string) => args.map((a) => a.replaceAll('TOOL', name));
  return {
    ours: startCli([command, ...fill('ours')], stdin, TZ),
    // stdbuf: mosquitto's clients buffer stdout that is not a terminal, and a test waits for -d's lines
    theirs: start(STDBUF, ['-o0', TOOLS[command], ...fill('mosq')], stdin, TZ),
  };
}

/** The packets of -d's lines: "sending CONNECT", "received SUBACK", ... */
function packets(stdout: string): string[] {
  return [...stdout.matchAll(/^Client \S+ ((?:sending|received) [A-Z]+)/gm)].map((m) => m[1]);
}

/** stdout without -d's lines. */
function withoutDebug(stdout: string): string {
  return stdout.split('\n').filter((l) => !/^(Client \S+ (sending|received) |Subscribed)/.test(l)).join('\n');
}

/** Retained fixtures under fmt/: text with 5.0 properties, bytes, JSON. */
async function retainFixtures(): Promise<void> {
  await watcher.publish('fmt/a', 'héllo wörld', { qos: 1, retain: true, properties: {
    userProperties: { k1: 'v1', k2: 'v2' }, contentType: 'text/plain', payloadFormatIndicator: true,
    responseTopic: 'fmt/reply', correlationData: Buffer.from('corr-1') } });
  await watcher.publish('fmt/b', Buffer.from([0x00, 0xff, 0x10, 0x41]), { qos: 1, retain: true });
  await watcher.publish('fmt/c', '{"a": [1, 2], "b": {"c": true}}', { qos: 1, retain: true });
}

describe('tinymqtt sub -F prints what mosquitto_sub -F prints', () => {
  const EXACT = '%t|%p|%q|%r|%l|%m|%x|%X|%C|%D|%E|%F|%P|%R|%S|%A|%10t|%-10t|%05l|%-5l|%.2t|%5.1t|%010t|%3.1C|%5E|@@|%%|\\t|\\e|\\a|\\v|\\r|\\\\|\\0|@Y-@m-@d';
  const TIMES = '%I %U @N @s';

  it('every field, width, escape and time sequence, the JSON of %j and %J, with -N, -T and -D subscribe', async () => {
    await retainFixtures();
    const sid = ['-D', 'subscribe', 'subscription-identifier', '7'];
    const fields = both('sub', [...at(), '-V', 'mqttv5', '-q', '1', '-t', 'fmt/#', '-C', '3', '-N', ...sid, '-F', `${EXACT}~${TIMES}\\n`]);
    const json = both('sub', [...at(), '-V', 'mqttv5', '-t', 'fmt/#', '-T', 'fmt/b', '-C', '2', ...sid, '-F', '%j']);
    const parsed = both('sub', [...at(), '-t', 'fmt/c', '-C', '1', '-F', '%J']);
    const [f1, f2, j1, j2, p1, p2] = await Promise.all([fields.ours, fields.theirs, json.ours, json.theirs, parsed.ours, parsed.theirs]
      .map((s) => s.done));
    for (const r of [f1, f2, j1, j2, p1, p2]) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });

    const lines = (r: { bytes: Buffer }) => r.bytes.toString('latin1').split('\n').slice(0, -1).map((l) => l.split('~'));
    expect(lines(f1).map(([exact]) => exact)).toEqual(lines(f2).map(([exact]) => exact));
    expect(lines(f1)).toHaveLength(3);
    const now = Date.now() / 1000;
    for (const [, times] of [...lines(f1), ...lines(f2)]) {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\+0000 (\d+)\.(\d{9}) (\d{9}) (\d+)$/.exec(times);
      expect(m, times).not.toBeNull();
      expect(Math.abs(Date.parse(`${m![1]}Z`) / 1000 - now)).toBeLessThan(60);
      expect(Math.abs(Number(m![2]) - now)).toBeLessThan(60);
    }

    // %j and %J: the same objects but for the arrival time, which only has the same shape
    const objects = (r: { stdout: string }) => r.stdout.trim().split('\n').map((l) => {
      const o = JSON.parse(l) as { tst: string };
      expect(o.tst).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z?\+0000$/);   // mosquitto writes a Z before the offset
      return { ...o, tst: undefined };
    });
    expect(objects(j1)).toEqual(objects(j2));
    expect(objects(j1).map((o) => (o as unknown as { topic: string }).topic)).toEqual(['fmt/a', 'fmt/c']);
    expect(objects(p1)).toEqual(objects(p2));
    expect(objects(p1)[0]).toMatchObject({ payload: { a: [1, 2], b: { c: true } } });
  });
});

describe('tinymqtt sub and mosquitto_sub with live messages', () => {
  it('-R skips retained messages, --retained-only stops at the first live one, -T filters, -v, -C, and -d shows the same packets', async () => {
    await retainFixtures();
    const stale = both('sub', [...at(), '-d', '-t', 'fmt/#', '-t', 'live/#', '-R', '-C', '1', '-v']);
    const only = both('sub', [...at(), '-d', '-t', 'fmt/#', '-t', 'live/#', '--retained-only', '-v', '-T', 'fmt/b']);
    const runs = [stale.ours, stale.theirs, only.ours, only.theirs];
    await Promise.all(runs.map((r) => r.seen(/received SUBACK/)));
    await watcher.publish('live/x', 'now', { qos: 1 });
    const [s1, s2, o1, o2] = await Promise.all(runs.map((r) => r.done));
    for (const r of [s1, s2, o1, o2]) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(withoutDebug(s1.stdout)).toBe('live/x now\n');
    expect(withoutDebug(s2.stdout)).toBe('live/x now\n');
    expect(withoutDebug(o1.stdout)).toBe('fmt/a héllo wörld\nfmt/c {"a": [1, 2], "b": {"c": true}}\n');
    expect(withoutDebug(o2.stdout)).toBe(withoutDebug(o1.stdout));
    // the same packets; ours can show the SUBACK after retained messages that came in the same read (lib/cli/debug.ts)
    expect(packets(s1.stdout).sort()).toEqual(packets(s2.stdout).sort());
    expect(packets(s1.stdout).slice(0, 4)).toEqual(['sending CONNECT', 'received CONNACK', 'sending SUBSCRIBE', 'sending SUBSCRIBE']);
    expect(packets(s1.stdout).sort()).toEqual(['received CONNACK', 'received PUBLISH', 'received PUBLISH', 'received PUBLISH',
      'received PUBLISH', 'received SUBACK', 'sending CONNECT', 'sending DISCONNECT', 'sending SUBSCRIBE', 'sending SUBSCRIBE']);
  });

  it('--remove-retained clears what it receives, but for what -T spares', async () => {
    const firstLeft = (run: { stdout: string }) => run.stdout.split('\n')[0];
    await retainFixtures();
    // --retained-only ends the run when the clearing messages come back, not retained
    const ours = await cli(['sub', ...at(), '-t', 'fmt/#', '--remove-retained', '--retained-only', '-T', 'fmt/c']);
    expect(ours, ours.stderr).toMatchObject({ code: 0, stderr: '' });
    // what is retained now comes first: fmt/a and fmt/b were before fmt/c
    const afterOurs = await start(TOOLS.sub, [...at(), '-t', 'fmt/#', '-v', '-C', '1']).done;
    await retainFixtures();
    // mosquitto_sub goes on after clearing (with -C or --retained-only too): -W ends it
    const theirs = await start(TOOLS.sub, [...at(), '-t', 'fmt/#', '--remove-retained', '-T', 'fmt/c', '-W', '1']).done;
    expect(theirs.code).toBe(27);
    const afterTheirs = await cli(['sub', ...at(), '-t', 'fmt/#', '-v', '-C', '1']);
    expect(firstLeft(afterOurs)).toBe('fmt/c {"a": [1, 2], "b": {"c": true}}');
    expect(firstLeft(afterTheirs)).toBe(firstLeft(afterOurs));
  });
});

describe('tinymqtt pub and mosquitto_pub', () => {
  it('send the same messages with -s, --repeat, --repeat-delay, -D publish and connect properties (seen by a 5.0 subscriber), -q; -d shows the same packets', async () => {
    await watcher.subscribe('pubx/#', { qos: 1 });
    const arriving = nextMessages(watcher, 6);
    const stamps: Record<string, number[]> = { ours: [], mosq: [] };
    const stamp = (topic: string) => stamps[topic.split('/')[1]]?.push(Date.now());
    watcher.on('message', stamp);
    const properties = new Map<string, unknown>();
    const keep = (topic: string, _p: Buffer, packet: { properties?: unknown }) => properties.set(topic, packet.properties);
    watcher.on('message', keep);
    const props = ['-D', 'publish', 'user-property', 'who', 'cli', '-D', 'publish', 'user-property', 'who', 'again',
      '-D', 'publish', 'content-type', 'text/plain', '-D', 'publish', 'correlation-data', 'c-9', '-D', 'publish', 'response-topic', 'pubx/reply',
      '-D', 'publish', 'payload-format-indicator', '1', '-D', 'publish', 'message-expiry-interval', '600',
      '-D', 'connect', 'user-property', 'hello', 'there'];
    const run = both('pub', [...at(), '-d', '-V', 'mqttv5', '-q', '1', '-t', 'pubx/TOOL', '-s', '--repeat', '3', '--repeat-delay', '0.1', ...props], 'one\ntwo');
    const [ours, theirs] = await Promise.all([run.ours.done, run.theirs.done]);
    watcher.off('message', stamp);
    expect(ours, ours.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(theirs.code).toBe(0);
    expect(packets(ours.stdout)).toEqual(packets(theirs.stdout));
    expect(packets(ours.stdout)).toEqual(['sending CONNECT', 'received CONNACK', ...Array(3).fill(['sending PUBLISH', 'received PUBACK']).flat(), 'sending DISCONNECT']);
    const got = await arriving;
    const shape = (tool: string) => got.filter((m) => m.topic === `pubx/${tool}`).map((m) => ({ payload: m.payload.toString(), qos: m.qos }));
    expect(shape('ours')).toEqual(Array(3).fill({ payload: 'one\ntwo', qos: 1 }));
    expect(shape('ours')).toEqual(shape('mosq'));
    for (const tool of ['ours', 'mosq']) expect(stamps[tool].at(-1)! - stamps[tool][0], tool).toBeGreaterThanOrEqual(180);
    watcher.off('message', keep);
    await watcher.unsubscribe('pubx/#');
    expect(properties.get('pubx/ours')).toEqual({ userProperties: { who: ['cli', 'again'] }, contentType: 'text/plain',
      correlationData: Buffer.from('c-9'), responseTopic: 'pubx/reply', payloadFormatIndicator: true, messageExpiryInterval: 600 });
    expect(properties.get('pubx/ours')).toEqual(properties.get('pubx/mosq'));
  });
});

describe('sessions: -c, -x and -U as mosquitto_sub has them', () => {
  it('-c keeps queued messages, -U drops a subscription from the session, -x 0 ends it at disconnect', async () => {
    const step = async (args: string[]) => {
      const run = both('sub', [...at(), ...args]);
      return Promise.all([run.ours.done, run.theirs.done]);
    };
    const kept = ['-c', '-i', 'TOOL-kept', '-q', '1'];
    const brief = ['-V', 'mqttv5', '-c', '-i', 'TOOL-brief', '-q', '1'];
    const first = await Promise.all([step([...kept, '-t', 'sess/TOOL/kept', '-E']), step([...brief, '-x', '0', '-t', 'sess/TOOL/brief', '-E'])]);
    for (const r of first.flat()) expect(r, r.stderr).toMatchObject({ code: 0 });
    for (const tool of ['ours', 'mosq']) {
      await watcher.publish(`sess/${tool}/kept`, 'queued', { qos: 1 });
      await watcher.publish(`sess/${tool}/brief`, 'lost', { qos: 1 });
    }
    const queued = await step([...kept, '-t', 'sess/TOOL/kept', '-C', '1']);
    for (const r of queued) expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'queued\n' });
    const dropped = await step([...kept, '-t', 'sess/TOOL/other', '-U', 'sess/TOOL/kept', '-E']);
    for (const r of dropped) expect(r, r.stderr).toMatchObject({ code: 0 });
    for (const tool of ['ours', 'mosq']) await watcher.publish(`sess/${tool}/kept`, 'not queued', { qos: 1 });
    const last = await Promise.all([step([...kept, '-t', 'sess/TOOL/kept', '-W', '1']), step([...brief, '-t', 'sess/TOOL/brief', '-W', '1'])]);
    for (const [ours, theirs] of last) {
      expect(ours).toMatchObject({ code: 4, stdout: '' });   // mosquitto_sub's -W code is 27
      expect(theirs).toMatchObject({ code: 27, stdout: '' });
    }
  });
});

describe('wills', () => {
  it('--will-topic, --will-payload, --will-qos, --will-retain and -D will: the broker sends the same will for both', async () => {
    await watcher.subscribe('will/#', { qos: 2, rap: true });
    const arriving = nextMessages(watcher, 2);
    arriving.catch(() => undefined);   // awaited below; a failure before that is the test's
    const props = new Map<string, unknown>();
    const on = (topic: string, _p: Buffer, packet: { properties?: unknown }) => props.set(topic, packet.properties);
    watcher.on('message', on);
    const run = both('sub', [...at(), '-d', '-V', 'mqttv5', '-t', 'none', '--will-topic', 'will/TOOL', '--will-payload', 'bye',
      '--will-qos', '1', '--will-retain', '-D', 'will', 'content-type', 'text/bye', '-D', 'will', 'user-property', 'k', 'v']);
    await Promise.all([run.ours.seen(/received SUBACK/), run.theirs.seen(/received SUBACK/)]);
    run.ours.child.kill('SIGKILL');
    run.theirs.child.kill('SIGKILL');
    const wills = await arriving;
    watcher.off('message', on);
    await watcher.unsubscribe('will/#');
    const will = (tool: string) => wills.find((m) => m.topic === `will/${tool}`);
    expect(will('ours')).toMatchObject({ payload: Buffer.from('bye'), qos: 1, retain: true });
    expect({ ...will('ours'), topic: '' }).toEqual({ ...will('mosq'), topic: '' });
    expect(props.get('will/ours')).toEqual({ contentType: 'text/bye', userProperties: { k: 'v' } });
    expect(props.get('will/ours')).toEqual(props.get('will/mosq'));
    for (const tool of ['ours', 'mosq']) await watcher.publish(`will/${tool}`, '', { retain: true });
  });
});

describe('TLS flags', () => {
  it('--capath (a c_rehash directory), --tls-version tlsv1.2 and --tls-alpn connect as with mosquitto_pub; a wrong CA fails both', async () => {
    const dirs = { good: path.join(dir, 'cas'), wrong: path.join(dir, 'wrong-cas') };
    for (const [name, pem] of [['good', broker.certs.ca], ['wrong', broker.certs.wrongCa]] as const) {
      mkdirSync(dirs[name]);
      const file = path.join(dirs[name], 'ca.pem');
      writeFileSync(file, pem);
      const hash = execFileSync('openssl', ['x509', '-hash', '-noout', '-in', file], { encoding: 'utf8' }).trim();
      writeFileSync(path.join(dirs[name], `${hash}.0`), pem);   // the name OpenSSL looks up
    }
    const tls = ['-h', 'localhost', '-p', String(broker.tlsPort), '-t', 'tls/x', '-m', 'x'];
    const good = both('pub', [...tls, '--capath', dirs.good, '--tls-version', 'tlsv1.2', '--tls-alpn', 'mqtt']);
    const wrong = both('pub', [...tls, '--capath', dirs.wrong]);
    const [g1, g2, w1, w2] = await Promise.all([good.ours.done, good.theirs.done, wrong.ours.done, wrong.theirs.done]);
    expect(g1, g1.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(g2, g2.stderr).toMatchObject({ code: 0 });
    expect(w1.code).toBe(2);
    expect(w1.stderr).toContain('ERR_TLS_VERIFY');
    expect(w2.code).not.toBe(0);
  });

  it('--tls-alpn offers the protocol in the TLS handshake, as mosquitto_pub does', async () => {
    // a TLS server that records what each client offers (the handshake then fails: it is not a broker)
    const offered: string[][] = [];
    const server = createTlsServer({ cert: broker.certs.clientCert, key: broker.certs.clientKey,
      ALPNCallback: ({ protocols }) => { offered.push(protocols); return protocols[0]; } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ca = path.join(dir, 'alpn-ca.pem');
    writeFileSync(ca, broker.certs.ca);
    const port = String((server.address() as AddressInfo).port);
    const run = both('pub', ['-h', '127.0.0.1', '-p', port, '--cafile', ca, '--tls-alpn', 'mqtt', '-t', 'x', '-m', 'x']);
    const [ours, theirs] = await Promise.all([run.ours.done, run.theirs.done]);
    server.close();
    expect(ours.code).toBe(2);
    expect(theirs.code).not.toBe(0);
    expect(offered).toEqual([['mqtt'], ['mqtt']]);
  });
});

describe('tinymqtt rr and mosquitto_rr', () => {
  it('send a request with a response topic and correlation data and print the response; -W gives up', async () => {
    const responder = await connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 5 });
    responder.on('message', (_t, payload, packet) => {
      const p = packet.properties;
      if (p?.responseTopic) void responder.publish(p.responseTopic, `answer:${payload}`, { properties: { correlationData: p.correlationData } });
    });
    await responder.subscribe('rr/req');
    const asked = both('rr', [...at(), '-t', 'rr/req', '-e', 'rr/resp/TOOL', '-m', 'ask', '-D', 'publish', 'correlation-data', 'cd-1', '-F', '%t %p %D %q']);
    const unanswered = both('rr', [...at(), '-t', 'rr/nobody', '-e', 'rr/none/TOOL', '-m', 'x', '-W', '1']);
    const [a1, a2, u1, u2] = await Promise.all([asked.ours.done, asked.theirs.done, unanswered.ours.done, unanswered.theirs.done]);
    await responder.end();
    expect(a1, a1.stderr).toEqual({ code: 0, stdout: 'rr/resp/ours answer:ask cd-1 0\n', stderr: '', bytes: expect.anything() });
    expect(a2).toMatchObject({ code: 0, stdout: 'rr/resp/mosq answer:ask cd-1 0\n' });
    expect(u1).toMatchObject({ code: 4, stdout: '', stderr: 'tinymqtt rr: timed out after 1 s (-W) with no response on rr/none/ours\n' });
    expect(u2).toMatchObject({ code: 27, stdout: '' });   // mosquitto_rr's timeout code
  });
});

describe('bad arguments: a usage error (exit 1) where mosquitto exits 1 too', () => {
  it('refuses what mosquitto refuses, saying what to fix', async () => {
    const cases: Array<[typeof pub, 'pub' | 'sub' | 'rr', string[], RegExp]> = [
      [sub, 'sub', ['-t', 'a', '-R', '--retained-only'], /-R and --retained-only exclude each other/],
      [pub, 'pub', ['-t', 'a', '-m', 'x', '--repeat', '0'], /--repeat must be an integer from 1/],
      [sub, 'sub', ['-t', 'a', '-c'], /-c needs a client id \(-i\)/],
      [sub, 'sub', ['-t', 'a', '-F', '%i'], /-F: unknown format sequence '%i'/],
      [sub, 'sub', ['-t', 'a', '-F', 'x\\q'], /-F: unknown escape '\\q'/],
      [sub, 'sub', ['-t', 'a', '-F', '%-5'], /-F: incomplete format sequence/],
      [sub, 'sub', ['-t', 'a', '-F', 'at @'], /-F: incomplete time sequence/],
      [sub, 'sub', ['-t', 'a', '-F', 'x\\'], /-F: incomplete escape/],
      [sub, 'sub', ['-U', 'a'], /give at least one filter with -t/],
      [rr, 'rr', ['-t', 'a', '-m', 'x', '-e', 'resp/#'], /-e is not a valid topic name/],
      [rr, 'rr', ['-t', 'a', '-m', 'x'], /and the response topic with -e/],
      [sub, 'sub', ['-V', 'mqttv5', '-t', 'a', '-D', 'connect', 'bogus', 'x'], /-D connect bogus: not a property of connect/],
      [sub, 'sub', ['-V', 'mqttv5', '-t', 'a', '-D', 'connect', 'receive-maximum', 'many'], /-D connect receive-maximum: 'many' is not/],
      [pub, 'pub', ['-t', 'a', '-m', 'x', '--will-topic', 'w', '--will-qos', '3'], /--will-qos must be an integer from 0 to 2/],
    ];
    for (const [command, tool, args, message] of cases) {
      const label = `${tool} ${args.join(' ')}`;
      const ours = await refusal(command([...at(), ...args]));
      expect(ours.code, label).toBe(1);
      expect(ours.message, label).toMatch(message);
      const theirs = spawnSync(TOOLS[tool], [...at(), ...args], { encoding: 'utf8', timeout: 5000 });
      expect(theirs.status, `mosquitto_${label}: ${theirs.stderr}`).toBe(1);
    }
  });

  it('is stricter than mosquitto where mosquitto goes on regardless (exit 1, mosquitto 0)', async () => {
    const cases: Array<[typeof pub, string[], RegExp]> = [
      [sub, ['-t', 'a', '-x', '60', '-E'], /-x needs MQTT 5.0/],                       // mosquitto ignores -x before 5.0
      [sub, ['-t', 'a', '-D', 'connect', 'receive-maximum', '5', '-E'], /-D needs MQTT 5.0/],
      [sub, ['-V', 'mqttv5', '-t', 'a', '-D', 'publish', 'content-type', 'x', '-E'], /-D publish: this command's packets are/],
      [pub, ['-t', 'a', '-l', '--repeat', '2'], /not -l's lines/],
      [pub, ['-t', 'a', '-m', 'x', '--tls-version', 'tlsv1.3'], /speaks TLS 1.2 only/],   // mosquitto (OpenSSL) speaks 1.3
      [sub, ['-t', 'a', '--json', '-F', '%t'], /--json and -F both say how to print/],   // mosquitto has no --json
    ];
    for (const [command, args, message] of cases) {
      const ours = await refusal(command([...at(), ...args]));
      expect(ours.code, args.join(' ')).toBe(1);
      expect(ours.message, args.join(' ')).toMatch(message);
    }
  });
});
