// A page in headless Chromium (Debian's `chromium`), for tinymqtt/web's
// test: an http server on a free 127.0.0.1 port serves the page and its
// files; the page reports what it did by POSTing JSON to /report/<name>,
// and the test answers each report (e.g. drops a connection first). No
// DevTools protocol: the browser is a plain child process, killed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A file the page server serves. */
export interface Served { type: string; body: string | Uint8Array }

export interface BrowserPage {
  /** resolves with the body of the page's next report `name` (after the
   *  handler, if any, has answered it); rejects after `ms` with what the
   *  page and the browser said */
  report(name: string, ms: number): Promise<unknown>;
  /** what the page logged (its /report/log posts, its errors) and the
   *  browser's stderr, for a failure's message */
  transcript(): string;
  close(): Promise<void>;
}

/** Serves `files` (by path: '/index.html') on 127.0.0.1 and opens
 *  `page` (a path with its query) in headless Chromium, started with the
 *  extra `flags`. `handlers` answer reports before the page gets its
 *  response. Throws, naming chromium and the Debian package, when it is not
 *  installed. */
export async function openPage(files: Record<string, Served>, page: string,
  handlers: Record<string, (body: unknown) => Promise<void> | void> = {}, flags: string[] = []): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: the browser test needs Chromium (Debian package \`chromium\`, installed by scripts/bootstrap)`);
  const log: string[] = [];
  const reports = new Map<string, unknown[]>();
  const waiters = new Map<string, (body: unknown) => void>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname.startsWith('/report/')) {
      const name = url.pathname.slice('/report/'.length);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
        } catch {
          body = Buffer.concat(chunks).toString();
        }
        if (name === 'log') log.push(`page: ${String(body)}`);
        else log.push(`page reported ${name}: ${JSON.stringify(body).slice(0, 500)}`);
        try {
          await handlers[name]?.(body);
          res.writeHead(200).end('{}');
        } catch (e) {
          log.push(`handler of ${name} failed: ${String(e)}`);
          res.writeHead(500).end(JSON.stringify(String(e)));
        }
        const waiter = waiters.get(name);
        if (waiter) {
          waiters.delete(name);
          waiter(body);
        } else {
          reports.set(name, [...(reports.get(name) ?? []), body]);
        }
      });
      return;
    }
    const file = files[url.pathname];
    if (req.method !== 'GET' || !file) {
      log.push(`server: ${req.method} ${url.pathname}: 404`);
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const profile = mkdtempSync(path.join(tmpdir(), 'tmq-chromium-'));
  // --no-sandbox: the sandbox cannot start as root (CI runs as root)
  const browser: ChildProcess = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...flags,
    `http://127.0.0.1:${port}${page}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  browser.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-6000); });
  const exited = new Promise<void>((resolve) => browser.once('exit', (code, signal) => {
    log.push(`chromium exited (${code ?? signal})`);
    resolve();
  }));
  browser.once('error', (e) => log.push(`chromium did not start: ${e.message}`));
  const transcript = () => `${log.join('\n')}\nchromium's stderr (last lines, D-Bus's left out):\n${
    stderr.split('\n').filter((l) => !l.includes('dbus')).slice(-15).join('\n')}`;
  return {
    report(name, ms) {
      const queued = reports.get(name);
      if (queued?.length) return Promise.resolve(queued.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(name);
          reject(new Error(`the page did not report '${name}' within ${ms} ms\n${transcript()}`));
        }, ms);
        waiters.set(name, (body) => {
          clearTimeout(timer);
          resolve(body);
        });
      });
    },
    transcript,
    async close() {
      if (browser.exitCode === null && browser.signalCode === null && browser.pid !== undefined) {
        try {
          process.kill(-browser.pid, 'SIGKILL');   // the browser and its helper processes (its own group)
        } catch { /* gone meanwhile */ }
        await exited;
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
