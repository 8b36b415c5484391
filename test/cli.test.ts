// The tinymqtt command (dist/cli/main.js) as a user runs it: pub and sub
// against mosquitto with mosquitto_pub/sub's flags, their output, and their
// exit codes (0 done, 1 bad arguments, 2 could not connect, 3 refused, 4
// timed out).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../lib/index.js';
import { packageRoot } from '../lib/native.js';
import { nextMessages } from './support/events.js';
import { freePort, startMosquitto, USERS, type Broker } from './support/mosquitto.js';

const CLI = path.join(packageRoot, 'dist', 'cli', 'main.js');
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

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the CLI with `args` (and `stdin`), killed after 15 s. */
function cli(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(stdin);
  });
}

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
    expect(refused.stderr).toMatch(/could not connect to 127\.0\.0\.1:\d+: ERR_CONNACK_NOT_AUTHORIZED/);
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

  it('exits 4 when -W passes before -C messages arrive, and 2 when nothing listens', async () => {
    const waited = await cli(['sub', ...at(), '-t', 'cli/none', '-C', '1', '-W', '1']);
    expect(waited).toEqual({ code: 4, stdout: '', stderr: '' });
    const nobody = await cli(['sub', '-h', '127.0.0.1', '-p', String(await freePort()), '-t', 'x']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('ERR_REFUSED');
  });

  it('refuses bad arguments with exit code 1 and a message saying what to fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['pub', '-t', 'a'], /exactly one message source/],
      [['pub', '-t', 'a', '-m', 'x', '-n'], /exactly one message source/],
      [['pub', '-m', 'x'], /give a topic with -t/],
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
      [['pub', '-L', 'http://127.0.0.1/t', '-m', 'x'], /-L must start with mqtt:\/\/ or mqtts:\/\//],
      [['frobnicate'], /unknown command 'frobnicate'/],
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
    expect(top.stdout).toMatch(/Commands:\n {2}pub .*\n {2}sub /);
    for (const command of ['pub', 'sub']) {
      const run = await cli([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: tinymqtt ${command}`);
      expect(run.stdout).toContain('Exit codes:');
    }
  });
});
