// Runs a small ES module in its own node process, the way a user's script
// runs: `tinymqtt` is the built package (dist/index.js). For what only a
// whole process shows: that it exits by itself, that it dies abruptly, that
// nothing escapes as an unhandled rejection.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../lib/native.js';

/** The built package's entry point, what a script imports. */
export const DIST_URL = pathToFileURL(path.join(packageRoot, 'dist', 'index.js')).href;

/** How a script's process ended. */
export interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** A script running in a child process. */
export class Script {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  /** Starts `body`, an ES module body that sees `tinymqtt` (the package's
   *  exports) and `port` (given here). The child is killed after `ms`. */
  constructor(body: string, port: number, ms = 10000) {
    if (!existsSync(new URL(DIST_URL))) throw new Error(`${DIST_URL} not found: run npm run build`);
    const source = `import * as tinymqtt from ${JSON.stringify(DIST_URL)};\nconst port = ${port};\n${body}`;
    const started = performance.now();
    this.child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const killer = setTimeout(() => this.child.kill('SIGTERM'), ms);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, ms: performance.now() - started });
    }));
  }

  /** Resolves once the script has printed `line` (a whole line); rejects
   *  if it exits first or after `ms`. */
  printed(line: string, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`the script did not print ${line} within ${ms} ms: ${this.stdout}${this.stderr}`)), ms);
      const check = () => { if (this.stdout.split('\n').includes(line)) done(); };
      const exit = () => done(new Error(`the script exited before printing ${line}: ${this.stdout}${this.stderr}`));
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.off('exit', exit);
        if (err) reject(err);
        else resolve();
      };
      this.child.stdout!.on('data', check);
      this.child.once('exit', exit);
      check();
    });
  }
}

/** Runs `body` (see Script) to its end. */
export function runScript(body: string, port: number, ms?: number): Promise<Exit> {
  return new Script(body, port, ms).exited;
}
