// Runs the tinymqtt command (dist/cli/main.js) or mosquitto's clients as a
// user would, collecting their output and exit code; a run can be watched
// for a line on stdout (e.g. -d's SUBACK) before the test goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../lib/native.js';

/** The tinymqtt command's script. */
export const CLI = path.join(packageRoot, 'dist', 'cli', 'main.js');

export interface Run { code: number | null; stdout: string; stderr: string }

/** A started process: its result when it ends, a wait for its stdout to
 *  match, and the process to signal. */
export interface Started { done: Promise<Run & { bytes: Buffer }>; seen(pattern: RegExp, ms?: number): Promise<void>; child: ChildProcess }

/** Starts `command` with `args`, `stdin` and extra `env`; killed after 15 s. */
export function start(command: string, args: string[], stdin = '', env: Record<string, string> = {}): Started {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out: Buffer[] = [];
  let stderr = '';
  const watchers: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => { out.push(d); watchers.forEach((w) => w()); });
  child.stderr!.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  const done = new Promise<Run & { bytes: Buffer }>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    const bytes = Buffer.concat(out);
    resolve({ code, stdout: bytes.toString(), stderr, bytes });
  }));
  child.stdin!.end(stdin);
  const seen = (pattern: RegExp, ms = 10000) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pattern.test(Buffer.concat(out).toString())) { clearTimeout(t); resolve(); }
    };
    const t = setTimeout(() => reject(new Error(`${path.basename(command)} ${args.join(' ')}: no ${pattern} on stdout within ${ms} ms; stderr: ${stderr}`)), ms);
    watchers.push(check);
    check();
  });
  return { done, seen, child };
}

/** Runs the tinymqtt command with `args` (and `stdin`, extra `env`). */
export async function cli(args: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
  const { code, stdout, stderr } = await start(process.execPath, [CLI, ...args], stdin, env).done;
  return { code, stdout, stderr };
}

/** Starts the tinymqtt command with `args` (and `stdin`, extra `env`). */
export function startCli(args: string[], stdin = '', env: Record<string, string> = {}): Started {
  return start(process.execPath, [CLI, ...args], stdin, env);
}

/** The path of one of mosquitto's clients; throws naming the package when it is missing. */
export function mosquittoClient(name: 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_rr'): string {
  const file = `/usr/bin/${name}`;
  if (!existsSync(file)) throw new Error(`${file} not found: install the Debian package mosquitto-clients (scripts/bootstrap)`);
  return file;
}
