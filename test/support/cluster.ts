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
 *  machine has been seen to take over 10 s). */
const START_MS = 30000;

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

/** A child process, what it wrote to stderr, and whether it said "ready". */
interface Child { proc: ChildProcess; stderr: string; exited: Promise<void>; ready: Promise<boolean> }

function spawnChild(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stdout = '';
  const ready = new Promise<boolean>((resolve) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready\n')) resolve(true);
    });
    void exited.then(() => resolve(false));
    setTimeout(() => resolve(false), START_MS).unref();
  });
  const child: Child = { proc, stderr: '', exited, ready };
  proc.stderr!.on('data', (d: Buffer) => (child.stderr += d.toString()));
  return child;
}

/** Three (or `size`) aedes nodes over one Redis. */
export class AedesCluster {
  /** each node's MQTT port, in order */
  readonly ports: number[];
  readonly redisPort: number;
  #redis: Child;
  #nodes: (Child | undefined)[];
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
    for (let i = 0; i < size; i++) await cluster.startNode(i);
    return cluster;
  }

  /** Starts node i (again) on its port; resolves once it listens. */
  async startNode(i: number): Promise<void> {
    const node = spawnChild(process.execPath, [NODE, String(this.redisPort), String(this.ports[i]), `node${i}`]);
    this.#nodes[i] = node;
    if (!(await node.ready)) {
      const why = node.proc.exitCode !== null ? `exited with ${node.proc.exitCode}` : `not listening after ${START_MS} ms`;
      throw new Error(`aedes node ${i} did not start (${why}): ${node.stderr}`);
    }
  }

  /** SIGKILLs node i and waits until it is gone. */
  async kill(i: number): Promise<void> {
    const node = this.#nodes[i];
    this.#nodes[i] = undefined;
    if (!node) return;
    node.proc.kill('SIGKILL');
    await node.exited;
  }

  /** Stops every node and Redis. */
  async stop(): Promise<void> {
    process.off('exit', this.#orphans);
    for (let i = 0; i < this.#nodes.length; i++) await this.kill(i);
    this.#redis.proc.kill('SIGTERM');
    await this.#redis.exited;
  }

  #killAll(): void {
    for (const n of this.#nodes) n?.proc.kill('SIGKILL');
    this.#redis.proc.kill('SIGKILL');
  }
}
