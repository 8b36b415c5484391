// A mosquitto of its own for restart tests: one anonymous listener on a free
// loopback port, persistence on (saved on exit and on save(), never on a
// timer), no limit on the messages it queues for an offline client; it can
// be stopped with SIGTERM (it saves first) or SIGKILL (it loses what it did
// since its last save) and started again on the same port with the same
// database.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runMosquitto, runOnFreePorts, type MosquittoProcess } from './mosquitto.js';

/** How a restart stops the broker: SIGTERM saves its database first,
 *  SIGKILL does not. */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

export class PersistentMosquitto {
  readonly port: number;
  /** mosquitto's stderr, all runs (a run's lines keep coming after its start) */
  get log(): string {
    return this.#stderr.text;
  }
  readonly #stderr: { text: string };
  #dir: string;
  #conf: string;
  #proc: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #orphan = () => this.#proc?.kill('SIGKILL');   // if the test process ends without stop()

  private constructor(port: number, dir: string, conf: string, stderr: { text: string }) {
    this.port = port;
    this.#stderr = stderr;
    this.#dir = dir;
    this.#conf = conf;
  }

  /** Starts one on a free port of 127.0.0.1 with an empty database and waits
   *  until it accepts connections (on other ports if one was taken before
   *  mosquitto bound it). `extra` lines go into its configuration. */
  static async start(extra: string[] = []): Promise<PersistentMosquitto> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tmq-persist-'));
    const conf = path.join(dir, 'mosquitto.conf');
    const stderr = { text: '' };
    let first: MosquittoProcess;
    try {
      first = await runOnFreePorts(1, ([port]) => {
        writeFileSync(conf, [
          'persistence true', `persistence_location ${dir}/`, 'autosave_interval 0', 'max_queued_messages 0',
          ...(process.getuid?.() === 0 ? ['user root'] : []),
          `listener ${port} 127.0.0.1`, 'allow_anonymous true', ...extra, '',
        ].join('\n'));
        return conf;
      }, (text) => (stderr.text += text));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const broker = new PersistentMosquitto(first.ports[0], dir, conf, stderr);
    broker.#running(first);
    process.once('exit', broker.#orphan);
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

  /** Starts it again on its port: that port can be taken meanwhile, but a
   *  restart must keep it (the clients under test reconnect to it). */
  async #run(): Promise<void> {
    this.#running(await runMosquitto(this.#conf, [this.port], (text) => (this.#stderr.text += text)));
  }

  #running({ proc, exited }: MosquittoProcess): void {
    this.#proc = proc;
    this.#exited = exited;
  }
}
