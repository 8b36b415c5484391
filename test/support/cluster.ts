// A broker cluster on loopback for test/cluster.test.ts: redis-server (the
// Debian package) on a free port, and aedes nodes (cluster-node.mjs), each in
// its own process so a test can SIGKILL it and start it again on the same
// port; they share sessions and route messages through that Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './mosquitto.js';

const REDIS = '/usr/bin/redis-server';
const NODE = fileURLToPath(new URL('./cluster-node.mjs', import.meta.url));
/** Longest wait for a process to come up (an aedes node on a loaded
 *  machine has been seen to take over 10 s, and a spare warms up too). */
const START_MS = 60000;
/** spare nodes kept starting and warming up: up to two nodes are killed at
 *  once (the publisher's and the subscriber's, when they are apart); more
 *  warming at once took the stream's CPU on two cores (measured slower) */
const SPARES = 2;
const START_TRIES = 3;

/** Resolves once 127.0.0.1:port accepts a connection, polling for `ms`. */
async function accepting(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** A child process, what it wrote to stderr, and a wait for a line it prints. */
interface Child {
  proc: ChildProcess;
  stderr: string;
  exited: Promise<void>;
  /** true once it printed `line` (at once if it had), false if it exited or
   *  START_MS passed first */
  printed(line: string): Promise<boolean>;
}

function spawnChild(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stdout = '';
  const waits = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const check of waits) check();
  });
  const printed = (line: string) => new Promise<boolean>((resolve) => {
    const check = () => {
      if (!stdout.split('\n').includes(line)) return;
      waits.delete(check);
      resolve(true);
    };
    waits.add(check);
    check();
    void exited.then(() => resolve(false));
    setTimeout(() => resolve(false), START_MS).unref();
  });
  const child: Child = { proc, stderr: '', exited, printed };
  proc.stderr!.on('data', (d: Buffer) => (child.stderr += d.toString()));
  proc.stdin!.on('error', () => undefined);   // written to after it died: its exit is what is reported
  return child;
}

/** Three (or `size`) aedes nodes over one Redis. A node killed is started
 *  again on its port from a warm spare (a process with its broker already in
 *  the cluster, waiting for a port), and a new spare is started in the
 *  background, so a restart costs a listen, not a Node start-up. */
export class AedesCluster {
  /** each node's MQTT port, in order */
  readonly ports: number[];
  readonly redisPort: number;
  #redis: Child;
  #nodes: (Child | undefined)[];
  #spares: Child[] = [];
  /** processes started, for their broker ids: a node started again is a new
   *  broker, as an aedes restarted with its default (random) id would be */
  #started = 0;
  #orphans = () => this.#killAll();

  private constructor(redisPort: number, redis: Child, ports: number[]) {
    this.redisPort = redisPort;
    this.#redis = redis;
    this.ports = ports;
    this.#nodes = ports.map(() => undefined);
    process.once('exit', this.#orphans);
  }

  /** Starts Redis and `size` nodes; throws naming redis-server when it is not installed. */
  static async start(size = 3): Promise<AedesCluster> {
    if (!existsSync(REDIS)) throw new Error(`${REDIS} not found: install the Debian package redis-server (scripts/bootstrap)`);
    const redisPort = await freePort();
    const redis = spawnChild(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    if (!(await accepting(redisPort, START_MS))) throw new Error(`redis-server did not start: ${redis.stderr}`);
    const ports: number[] = [];
    for (let i = 0; i < size; i++) ports.push(await freePort());
    const cluster = new AedesCluster(redisPort, redis, ports);
    await Promise.all(ports.map((_, i) => cluster.startNode(i)));
    return cluster;
  }

  /** Starts node i (again) on its port; resolves once it listens. A spare
   *  that died before it was warm is replaced (mqemitter-redis has been seen
   *  to crash at start-up on a loaded machine: "Connection in subscriber
   *  mode"), up to START_TRIES in all. */
  async startNode(i: number): Promise<void> {
    for (let tries = 1; ; tries++) {
      const node = this.#spares.shift() ?? this.#spawn();
      while (this.#spares.length < SPARES) this.#spares.push(this.#spawn());
      this.#nodes[i] = node;
      const warm = await node.printed('warm');
      if (warm) {
        node.proc.stdin!.write(`${this.ports[i]}\n`);
        if (await node.printed('ready')) return;
      }
      if (warm || node.proc.exitCode === null || tries === START_TRIES) {
        const why = node.proc.exitCode !== null ? `exited with ${node.proc.exitCode}` : `not listening after ${START_MS} ms`;
        throw new Error(`aedes node ${i} did not start (${why}): ${node.stderr}`);
      }
    }
  }

  /** SIGKILLs node i and waits until it is gone; false if it was down
   *  already (killed and not started again). */
  async kill(i: number): Promise<boolean> {
    const node = this.#nodes[i];
    this.#nodes[i] = undefined;
    if (!node) return false;
    await killChild(node);
    return true;
  }

  /** Stops every node, the spares and Redis. */
  async stop(): Promise<void> {
    process.off('exit', this.#orphans);
    for (let i = 0; i < this.#nodes.length; i++) await this.kill(i);
    for (const spare of this.#spares.splice(0)) await killChild(spare);
    this.#redis.proc.kill('SIGTERM');
    await this.#redis.exited;
  }

  #spawn(): Child {
    return spawnChild(process.execPath, [NODE, String(this.redisPort), `aedes${this.#started++}`]);
  }

  #killAll(): void {
    for (const n of [...this.#nodes, ...this.#spares]) n?.proc.kill('SIGKILL');
    this.#redis.proc.kill('SIGKILL');
  }
}

/** SIGKILLs a child and waits until it is gone. */
async function killChild(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}
