// The broker `tinymqtt bench` and `tinymqtt demo` use when none is given:
// aedes (an MQTT 3.1/3.1.1 broker written in JavaScript) in this process, on
// a free 127.0.0.1 port. It runs in a worker thread
// (embedded-broker-worker.ts), because the blocking calls of the synchronous
// embedded APIs (umqtt's connect() and wait_msg(), PikaPython's calls) hold
// the main JS thread: a broker on that thread could never answer them.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CliError, EXIT } from './options.js';

/** What the main thread asks of the worker. */
export type BrokerRequest =
  | { type: 'send'; id: number; clientId: string; topic: string; payload: string; delayMs: number }
  | { type: 'cancel'; id: number }
  | { type: 'stop' };

/** What the worker reports once it has started. */
export type BrokerReport = { type: 'listening'; port: number } | { type: 'failed'; message: string };

/** A running embedded broker. */
export interface EmbeddedBroker {
  host: string;
  port: number;
  /** mqtt://127.0.0.1:PORT */
  url: string;
  /** Makes the broker send `payload` on `topic` (QoS 0) in `delayMs`
   *  straight to the client `clientId`, whatever it subscribed to, unless
   *  the returned function is called first: a bound on a blocking wait for
   *  a message, which nothing on this thread could end. */
  sendLater(clientId: string, topic: string, payload: string, delayMs: number): () => void;
  /** Closes every connection and the broker, and ends its thread. */
  stop(): Promise<void>;
}

/** How long the worker may take to start, and to stop before it is terminated. */
const START_MS = 10_000;
const STOP_MS = 2_000;

/** Stops with a CliError (connection) saying how to get aedes unless it can
 *  be imported: it is an optional peer dependency of the package, so that an
 *  install of tinymqtt alone stays light. */
function requireAedes(): void {
  try {
    createRequire(import.meta.url).resolve('aedes');
  } catch {
    throw new CliError('the embedded broker (aedes) is not installed: it is optional; run `npx -p tinymqtt -p aedes '
      + 'tinymqtt demo`, or `npm install aedes` beside tinymqtt', EXIT.connection);
  }
}

/** Starts aedes in a worker thread; resolves once it listens. A failure is a
 *  CliError (connection) saying why. */
export async function startEmbeddedBroker(): Promise<EmbeddedBroker> {
  requireAedes();
  const worker = new Worker(new URL('./embedded-broker-worker.js', import.meta.url));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<BrokerReport>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'failed', message: `not listening within ${START_MS} ms` }), START_MS);
    const settle = (report: BrokerReport) => { clearTimeout(timer); resolve(report); };
    worker.once('message', settle);
    worker.once('error', (e) => settle({ type: 'failed', message: e.message }));
    worker.once('exit', (code) => settle({ type: 'failed', message: `its thread ended (exit code ${code})` }));
  });
  if (started.type === 'failed') {
    await worker.terminate();
    throw new CliError(`could not start the embedded broker (aedes): ${started.message}`, EXIT.connection);
  }
  worker.on('error', (e) => process.emitWarning(`embedded broker: ${e.message}`));
  const send = (request: BrokerRequest) => worker.postMessage(request);
  let nextId = 1;
  const host = '127.0.0.1';
  return {
    host,
    port: started.port,
    url: `mqtt://${host}:${started.port}`,
    sendLater(clientId, topic, payload, delayMs) {
      const id = nextId++;
      send({ type: 'send', id, clientId, topic, payload, delayMs });
      return () => send({ type: 'cancel', id });
    },
    async stop() {
      send({ type: 'stop' });
      const timer = setTimeout(() => void worker.terminate(), STOP_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
