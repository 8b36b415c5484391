// A mosquitto of its own for restart tests: one anonymous listener on a free
// loopback port, persistence on (saved on exit and on save(), never on a
// timer), no limit on the messages it queues for an offline client; it can
// be stopped with SIGTERM (it saves first) or SIGKILL (it loses what it did
// since its last save) and started again on the same port with the same
// database.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './mosquitto.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

/** How a restart stops the broker: SIGTERM saves its database first,
 *  SIGKILL does not. */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export class PersistentMosquitto {
  readonly port: number;
  /** mosquitto's stderr, all runs */
  log = '';
  #dir: string;
  #conf: string;
  #proc: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #orphan = () => this.#proc?.kill('SIGKILL');   // if the test process ends without stop()

  private constructor(port: number, dir: string, conf: string) {
    this.port = port;
    this.#dir = dir;
    this.#conf = conf;
  }

  /** Starts one on a free port of 127.0.0.1 with an empty database and waits
   *  until it accepts connections. `extra` lines go into its configuration. */
  static async start(extra: string[] = []): Promise<PersistentMosquitto> {
    if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: install the Debian package mosquitto (scripts/bootstrap)`);
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'tmq-persist-'));
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(conf, [
      'persistence true', `persistence_location ${dir}/`, 'autosave_interval 0', 'max_queued_messages 0',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${port} 127.0.0.1`, 'allow_anonymous true', ...extra, '',
    ].join('\n'));
    const broker = new PersistentMosquitto(port, dir, conf);
    process.once('exit', broker.#orphan);
    await broker.#run();
    return broker;
  }

  /** The running process's id. */
  get pid(): number {
    return this.#proc?.pid ?? 0;
  }

  /** Writes the database now (SIGUSR1). */
  save(): void {
    this.#proc?.kill('SIGUSR1');
  }

  /** Stops the broker with `signal` and waits for it to exit. */
  async kill(signal: StopSignal): Promise<void> {
    this.#proc?.kill(signal);
    await this.#exited;
    this.#proc = undefined;
  }

  /** Starts it again on the same port with the same database. */
  async revive(): Promise<void> {
    await this.#run();
  }

  /** kill(signal), then revive(). */
  async restart(signal: StopSignal): Promise<void> {
    await this.kill(signal);
    await this.revive();
  }

  /** Stops it (SIGTERM) and removes its files. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    process.off('exit', this.#orphan);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #run(): Promise<void> {
    const proc = spawn(MOSQUITTO, ['-c', this.#conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.#exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    for (let i = 0; !(await listening(this.port)); i++) {
      if (i > 200 || proc.exitCode !== null) throw new Error(`mosquitto did not start on port ${this.port}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
