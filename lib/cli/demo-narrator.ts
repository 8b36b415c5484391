// What `tinymqtt demo` prints: one section per API, a line per call (what
// it returned) and per event, and how many messages each API sent and
// received; or, with --json, the same steps kept for one object at the end.
import { CliError, EXIT } from './options.js';
import { failure } from './run.js';

/** One thing that happened, as --json lists it. */
export interface DemoStep {
  api: string;
  /** a call the script made, or an event (a callback, a message) */
  kind: 'call' | 'event';
  text: string;
  /** what the call returned or did */
  result?: string;
}

/** An API's tally, as the summary and --json list it. */
export interface DemoTally {
  api: string;
  title: string;
  sent: number;
  /** messages received as they were sent */
  received: number;
  /** the first message received otherwise */
  mismatch?: string;
}

/** The width of the call column; results start after it. */
const CALL_WIDTH = 58;

/** Prints (or, for --json, keeps) the steps of the demo as they happen. */
export class Narrator {
  readonly steps: DemoStep[] = [];
  readonly tallies: DemoTally[] = [];
  #tally: DemoTally | undefined;
  /** a call printed but not ended yet: an event came while it ran */
  #open: string | undefined;

  constructor(readonly json: boolean) {}

  #print(line: string): void {
    if (!this.json) console.log(line);
  }

  #current(): DemoTally {
    if (!this.#tally) throw new Error('Narrator: section() first');
    return this.#tally;
  }

  /** Starts the section of `api`: its title and how a script imports it. */
  section(api: string, title: string, importLine: string): void {
    this.#tally = { api, title, sent: 0, received: 0 };
    this.tallies.push(this.#tally);
    this.#print(`\n${title}   ${importLine}`);
  }

  /** A line of explanation. */
  note(text: string): void {
    this.#print(`     ${text}`);
  }

  /** Runs `run` as the call `text` and prints it with `result(value)`; a call
   *  that `publishes` counts as a message sent. What it throws fails the demo
   *  (failure()). */
  call<T>(text: string, run: () => T, result: (value: T) => string = () => '', publishes = false): T {
    this.#open = text;
    let value: T;
    try {
      value = run();
    } catch (e) {
      throw this.#failed(text, e);
    }
    this.#ended(text, result(value), publishes);
    return value;
  }

  /** call() for an operation that returns a promise. */
  async callAsync<T>(text: string, run: () => Promise<T>, result: (value: T) => string = () => '', publishes = false): Promise<T> {
    this.#open = text;
    let value: T;
    try {
      value = await run();
    } catch (e) {
      throw this.#failed(text, e);
    }
    this.#ended(text, result(value), publishes);
    return value;
  }

  /** An event: a callback, an acknowledgement. */
  event(text: string): void {
    this.#flushOpen();
    this.steps.push({ api: this.#current().api, kind: 'event', text });
    this.#print(`  <- ${text}`);
  }

  /** A message the API received, compared with what was published (never
   *  throws: it may run in a callback whose errors the API turns into
   *  warnings; verify() reports a difference). */
  received(text: string, got: { topic: string; payload: string }, expected: { topic: string; payload: string }): void {
    this.event(text);
    const tally = this.#current();
    if (got.topic === expected.topic && got.payload === expected.payload) tally.received++;
    else tally.mismatch ??= `received '${got.payload}' on ${got.topic}, expected '${expected.payload}' on ${expected.topic}`;
  }

  /** Ends the section: it must have published, and received what it published. */
  verify(): void {
    const { sent, received, mismatch } = this.#current();
    if (mismatch) throw this.failure(mismatch);
    if (sent === 0 || received < sent) throw this.failure(`${sent} messages sent, ${received} received`);
  }

  /** The demo's failure in the current section, with `code` (an operation
   *  failure unless said otherwise). */
  failure(what: string, code: number = EXIT.operation): CliError {
    return new CliError(`${this.#current().title}: ${what}`, code);
  }

  #flushOpen(): void {
    if (this.#open === undefined) return;
    this.#print(`  -> ${this.#open}`);
    this.#open = undefined;
  }

  #ended(text: string, result: string, publishes: boolean): void {
    const api = this.#current().api;
    this.steps.push({ api, kind: 'call', text, result });
    if (this.#open !== undefined && (text.length <= CALL_WIDTH || !result)) this.#print(`  -> ${text.padEnd(CALL_WIDTH)} ${result}`.trimEnd());
    else {
      this.#flushOpen();   // events came while it ran, or it is too long to share a line
      if (result) this.#print(`${' '.repeat(CALL_WIDTH + 6)}${result}`);
    }
    this.#open = undefined;
    if (publishes) this.#current().sent++;
  }

  #failed(text: string, e: unknown): CliError {
    this.#flushOpen();
    return failure(e, EXIT.operation, `${this.#current().title}: ${text} failed`);
  }
}
