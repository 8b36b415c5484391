// The tinymqtt command (dist/cli/main.js) as a user runs it: pub and sub
// against mosquitto with mosquitto_pub/sub's flags, bench against mosquitto
// and against the embedded broker, demo, their output, and their exit codes
// (0 done, 1 bad arguments, 2 could not connect, 3 refused, 4 timed out).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../lib/index.js';
import { startAedesWs } from './support/aedes-ws.js';
import { CLI, cli } from './support/cli.js';
import { nextMessages } from './support/events.js';
import { freePort, startMosquitto, USERS, type Broker } from './support/mosquitto.js';

let broker: Broker;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(path.join(tmpdir(), 'tmq-cli-'));
});
afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const at = () => ['-h', '127.0.0.1', '-p', String(broker.port)];

describe('tinymqtt pub and sub', () => {
  it('publishes a retained message that sub prints with -v, then clears it with -n', async () => {
    expect(await cli(['pub', ...at(), '-t', 'cli/ret', '-m', 'hello there', '-r', '-q', '1'])).toMatchObject({ code: 0, stderr: '' });
    expect(await cli(['sub', ...at(), '-t', 'cli/ret', '-C', '1', '-v'])).toEqual({ code: 0, stdout: 'cli/ret hello there\n', stderr: '' });
    expect((await cli(['pub', ...at(), '-t', 'cli/ret', '-n', '-r'])).code).toBe(0);
    expect((await cli(['sub', ...at(), '-t', 'cli/ret', '-W', '1'])).code).toBe(4);   // nothing retained any more
  });

  it('publishes stdin line by line (-l) in order, at QoS 2, with MQTT 5.0', async () => {
    const watcher = await connect({ host: '127.0.0.1', port: broker.port });
    await watcher.subscribe('cli/lines', { qos: 2 });
    const arriving = nextMessages(watcher, 3);
    const run = await cli(['pub', ...at(), '-t', 'cli/lines', '-l', '-q', '2', '-V', 'mqttv5', '--json'], 'one\ntwo\nthree\n');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ published: 3, topic: 'cli/lines' });
    expect((await arriving).map((m) => m.payload.toString())).toEqual(['one', 'two', 'three']);
    await watcher.end();
  });

  it('publishes a file (-f) byte for byte; sub --json gives binary as base64', async () => {
    const file = path.join(dir, 'blob.bin');
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0]);
    writeFileSync(file, bytes);
    expect((await cli(['pub', ...at(), '-t', 'cli/file', '-f', file, '-r'])).code).toBe(0);
    const run = await cli(['sub', ...at(), '-t', 'cli/file', '-C', '1', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ topic: 'cli/file', payload: bytes.toString('base64'), encoding: 'base64', qos: 0, retain: true });
    await cli(['pub', ...at(), '-t', 'cli/file', '-n', '-r']);
  });

  it('takes the broker, credentials and topic from -L, and a user name and password', async () => {
    const [user, password] = Object.entries(USERS)[0];
    const url = `mqtt://${user}:${password}@127.0.0.1:${broker.passwordPort}/cli/url`;
    expect(await cli(['pub', '-L', url, '-m', 'via url', '-r'])).toMatchObject({ code: 0, stderr: '' });
    expect((await cli(['sub', '-L', url, '-C', '1'])).stdout).toBe('via url\n');
    await cli(['pub', '-L', url, '-n', '-r']);
    const refused = await cli(['pub', '-h', '127.0.0.1', '-p', String(broker.passwordPort), '-u', user, '-P', 'wrong', '-t', 'x', '-m', 'x']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^tinymqtt \w+: connection to 127\.0\.0\.1:\d+ refused by the broker: ERR_CONNACK_NOT_AUTHORIZED/m);
  });

  it('speaks MQTT over WebSockets with -L ws://host:port/path (the topic by -t)', async () => {
    const ws = await startAedesWs({ path: '/cli' });
    try {
      const url = `ws://127.0.0.1:${ws.port}/cli`;
      expect(await cli(['pub', '-L', url, '-t', 'cli/ws', '-m', 'via ws', '-r'])).toMatchObject({ code: 0, stderr: '' });
      expect((await cli(['sub', '-L', url, '-t', 'cli/ws', '-C', '1'])).stdout).toBe('via ws\n');
      expect(ws.paths).toEqual(['/cli', '/cli']);
      const refused = await cli(['pub', '-L', `ws://127.0.0.1:${ws.port}/other`, '-t', 'x', '-m', 'x']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/ERR_WS_HANDSHAKE/);
    } finally {
      await ws.stop();
    }
  });

  it('connects over TLS with --cafile, and refuses an unverified server without it', async () => {
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, broker.certs.ca);
    const tls = ['-h', 'localhost', '-p', String(broker.tlsPort)];
    expect(await cli(['pub', ...tls, '--cafile', ca, '-t', 'cli/tls', '-m', 'secure'])).toMatchObject({ code: 0, stderr: '' });
    const wrong = path.join(dir, 'wrong-ca.pem');
    writeFileSync(wrong, broker.certs.wrongCa);
    const refused = await cli(['pub', ...tls, '--cafile', wrong, '-t', 'cli/tls', '-m', 'x']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('ERR_TLS_VERIFY');
    expect((await cli(['pub', ...tls, '--cafile', wrong, '--insecure', '-t', 'cli/tls', '-m', 'x'])).code).toBe(0);
  });

  it('exits 4 when -W passes before -C messages arrive, saying so, and 2 when nothing listens', async () => {
    const waited = await cli(['sub', ...at(), '-t', 'cli/none', '-C', '1', '-W', '1']);
    expect(waited).toEqual({ code: 4, stdout: '', stderr: 'tinymqtt sub: timed out after 1 s (-W) with 0 of 1 messages (-C) received\n' });
    const nobody = await cli(['sub', '-h', '127.0.0.1', '-p', String(await freePort()), '-t', 'x']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('ERR_REFUSED');
  });

  it('refuses bad arguments with exit code 1 and a message saying what to fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['pub', '-t', 'a'], /exactly one message source/],
      [['pub', '-t', 'a', '-m', 'x', '-n'], /exactly one message source/],
      [['pub', '-m', 'x'], /^tinymqtt pub: give a topic with -t/],
      [['pub', '-t', 'a/+', '-m', 'x'], /-t is not a valid topic name/],
      [['sub', '-t', 'a/#/b'], /-t is not a valid topic filter/],
      [['sub'], /at least one filter/],
      [['pub', '-t', 'a', '-m', 'x', '-q', '3'], /-q must be an integer from 0 to 2/],
      [['pub', '-t', 'a', '-m', 'x', '-V', 'mqttv6'], /-V must be mqttv31, mqttv311 or mqttv5/],
      [['pub', '-t', 'a', '-m', 'x', '-p', 'http'], /-p must be an integer/],
      [['pub', '-t', 'a', '-f', path.join(tmpdir(), 'no-such-file-tmq')], /-f: cannot read/],
      [['pub', '-t', 'a', '-m', 'x', '--cert', 'c.pem'], /--cert and --key go together/],
      [['sub', '-t', 'a', '--bogus'], /Unknown option '--bogus'/],
      [['pub', '-L', 'not a url', '-m', 'x'], /-L is not a URL/],
      [['pub', '-L', 'http://127.0.0.1/t', '-m', 'x'], /-L must start with mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['bench', '-n', '0'], /-n must be an integer from 1 to 10000000, not '0'/],
      [['bench', '-s', '2000000'], /-s must be an integer from 0 to 1048576/],
      [['bench', '-R', 'many'], /-R must be an integer from 0 to 1000000, not 'many'/],
      [['bench', '-W', '0'], /-W must be an integer from 1 to \d+, not '0'/],
      [['bench', '-q', '3'], /-q must be an integer from 0 to 2/],
      [['bench', '-t', 'bench/#'], /-t is not a valid topic name/],
      [['bench', '--insecure'], /--insecure need a broker given with -h, -p or -L/],
      [['bench', '-V', 'mqttv5'], /-V mqttv5 needs a broker given with -h, -p or -L/],
      [['bench', '--bogus'], /Unknown option '--bogus'/],
      [['demo', '--count', '3'], /Unknown option '--count'/],
      [['demo', 'now'], /Unexpected argument 'now'/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('has --help for the tool and each command', async () => {
    const top = await cli(['--help']);
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/Commands:\n {2}pub .*\n {2}sub .*\n {2}rr .*\n {2}bench .*\n {2}demo /);
    for (const command of ['pub', 'sub', 'rr', 'bench', 'demo']) {
      const run = await cli([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: tinymqtt ${command}`);
      expect(run.stdout).toContain('Exit codes:');
    }
  });
});

/** The figures of `tinymqtt bench --json`. */
interface BenchJson {
  broker: string; embedded: boolean; qos: number; count: number; size: number;
  publish: { messages: number; seconds: number; perSecond: number };
  receive: { messages: number; lost: number; seconds: number; perSecond: number };
  latency: { roundTrips: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
}

/** Checks the figures are consistent with what was asked (not how fast). */
function checkBench(report: BenchJson, asked: { count: number; roundTrips: number }): void {
  expect(report.count).toBe(asked.count);
  expect(report.publish.messages).toBe(asked.count);
  expect(report.receive.messages + report.receive.lost).toBe(asked.count);
  for (const rate of [report.publish, report.receive]) {
    expect(rate.seconds).toBeGreaterThan(0);
    // seconds are rounded to the microsecond: the rate agrees with them within 1%
    expect(Math.abs(rate.perSecond - rate.messages / rate.seconds) / rate.perSecond).toBeLessThan(0.01);
  }
  const latency = report.latency!;
  expect(latency.roundTrips).toBe(asked.roundTrips);
  expect(0).toBeLessThan(latency.p50Ms);
  expect(latency.p50Ms).toBeLessThanOrEqual(latency.p99Ms);
  expect(latency.p99Ms).toBeLessThanOrEqual(latency.maxMs);
}

describe('tinymqtt bench', () => {
  it('measures against mosquitto: a table, and one JSON object with --json (here with MQTT 5.0)', async () => {
    const table = await cli(['bench', ...at(), '-n', '500', '-R', '50', '-q', '1', '-s', '100']);
    expect(table).toMatchObject({ code: 0, stderr: '' });   // no progress bar: stderr is not a terminal
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe(`tinymqtt bench: 500 messages of 100 bytes at QoS 1, mqtt://127.0.0.1:${broker.port}`);
    expect(lines).toContainEqual(expect.stringMatching(/^ +messages +seconds +msg\/s +MB\/s +lost$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}publish +500 +\d+\.\d{3} +[\d,]+ +\d+\.\d{2}$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}receive +500 +\d+\.\d{3} +[\d,]+ +\d+\.\d{2} +0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}latency +50 +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3}$/));

    const run = await cli(['bench', ...at(), '-n', '400', '-R', '30', '-q', '2', '-V', 'mqttv5', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as BenchJson;
    expect(report).toMatchObject({ broker: `mqtt://127.0.0.1:${broker.port}`, embedded: false, qos: 2, size: 64 });
    expect(report.receive.lost).toBe(0);
    checkBench(report, { count: 400, roundTrips: 30 });
  });

  it('uses the embedded broker when none is given, and -R 0 skips the latency run', async () => {
    const run = await cli(['bench', '-n', '300', '-R', '20', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as BenchJson;
    expect(report).toMatchObject({ embedded: true, qos: 0 });
    expect(report.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    checkBench(report, { count: 300, roundTrips: 20 });
    const table = await cli(['bench', '-n', '100', '-R', '0', '-q', '1']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^tinymqtt bench: 100 messages of 64 bytes at QoS 1, mqtt:\/\/127\.0\.0\.1:\d+ \(embedded aedes\)\n/);
    expect(table.stdout).not.toContain('latency');
  });

  it('stops at -W with code 4, and exits 2 when nothing listens', async () => {
    const late = await cli(['bench', ...at(), '-n', '10000000', '-R', '0', '-q', '2', '-W', '1']);
    expect(late.code).toBe(4);
    expect(late.stderr).toMatch(/^tinymqtt bench: timed out after 1 s \(-W\) with [\d,]+ of 10,000,000 published, [\d,]+ received\n$/);
    const nobody = await cli(['bench', '-h', '127.0.0.1', '-p', String(await freePort())]);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('ERR_REFUSED');
  });

  it('draws a progress bar on stderr when it is a terminal', () => {
    // script(1) (util-linux) runs the command on a pseudo-terminal
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${CLI}" bench ${at().join(' ')} -n 20000 -R 100`, '/dev/null'],
      { encoding: 'utf8', timeout: 15000 });
    if (r.error) throw new Error(`this test needs script(1) from util-linux: ${r.error.message}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[Kthroughput \[=* *\] +\d+% [\d,]+ of 20,000 published, [\d,]+ received/);
    expect(r.stdout).toMatch(/\r\x1b\[Klatency +\[=* *\] +\d+% [\d,]+ of 100 round trips/);
    expect(r.stdout).toContain('tinymqtt bench: 20,000 messages');
  });
});

describe('tinymqtt demo', () => {
  const APIS = ['Core API', 'MQTT.js', 'PikaPython', 'MicroPython umqtt.simple', 'QuecPython umqtt', 'LuatOS', 'Zerynth'];

  it('walks the core API, MQTT.js\'s and the five embedded APIs through its own broker: each publishes and receives', async () => {
    const run = await cli(['demo']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const out = run.stdout;
    expect(out).toMatch(/^tinymqtt demo: an MQTT broker \(aedes\) runs in this process at mqtt:\/\/127\.0\.0\.1:\d+/);
    for (const [title, from] of [['Core API', "'tinymqtt'"], ['MQTT.js', "'tinymqtt/mqtt'"], ['PikaPython', "'tinymqtt/pika'"], ['MicroPython umqtt.simple', "'tinymqtt/umqtt'"],
      ['QuecPython umqtt', "'tinymqtt/umqtt'"], ['LuatOS', "'tinymqtt/luatos'"], ['Zerynth', "'tinymqtt/zerynth'"]])
      expect(out).toMatch(new RegExp(`\\n${title} +import .* from ${from}\\n`));
    for (const received of ["<- message demo/core/qos2 'hello at QoS 2' at QoS 2", "'message' event: demo/mqttjs 'hello from MQTT.js' qos 1", "evt.msg 'hello from PikaPython'",
      "msg 'hello from MicroPython'", "msg 'hello from QuecPython'", "recv 'demo/luatos' 'hello from LuatOS' qos 1",
      "message.payload 'hello from Zerynth'"])
      expect(out).toContain(received);
    const summary = out.slice(out.indexOf('Every API published and received through the broker:'));
    expect(summary.split('\n').slice(1, -1)).toEqual(APIS.map((t) => expect.stringMatching(new RegExp(`^ {2}${t} +(\\d) sent, \\1 received$`))));
  });

  it('prints its steps as one JSON object with --json', async () => {
    const run = await cli(['demo', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as { ok: boolean; broker: string; apis: Array<{ api: string; title: string; sent: number; received: number }>;
      steps: Array<{ api: string; kind: string; text: string; result?: string }> };
    expect(report.ok).toBe(true);
    expect(report.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(report.apis.map((a) => a.title)).toEqual(APIS);
    for (const api of report.apis) {
      expect(api.sent, api.title).toBeGreaterThan(0);
      expect(api.received, api.title).toBe(api.sent);
      const steps = report.steps.filter((s) => s.api === api.api);
      expect(steps.filter((s) => s.kind === 'call' && /publish\(/.test(s.text)), api.title).toHaveLength(api.sent);
      expect(steps.some((s) => s.kind === 'event'), api.title).toBe(true);
    }
  });
});
