#!/usr/bin/env node
// The tinymqtt command: tinymqtt pub | sub | rr | bench | demo [options] (tinymqtt --help).
// Only ever run as the package's bin, so top-level await is fine here (the
// modules require('tinymqtt') loads must not use it).
import { MqttError } from '../errors.js';
import { nativeVersion } from '../index.js';
import { BENCH_HELP, bench } from './bench.js';
import { DEMO_HELP, demo } from './demo.js';
import { CliError, EXIT } from './options.js';
import { PUB_HELP, pub } from './pub.js';
import { RR_HELP, rr } from './rr.js';
import { SUB_HELP, sub } from './sub.js';

const HELP = `Usage: tinymqtt COMMAND [options]

Commands:
  pub     publish messages (like mosquitto_pub)
  sub     subscribe and print messages (like mosquitto_sub)
  rr      send a request and print the response (like mosquitto_rr)
  bench   measure throughput and latency against a broker, or an embedded one
  demo    the core API and the five embedded APIs against an embedded broker

tinymqtt COMMAND --help shows a command's options; tinymqtt --version the version.`;

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<number> }> = {
  pub: { help: PUB_HELP, run: pub },
  sub: { help: SUB_HELP, run: sub },
  rr: { help: RR_HELP, run: rr },
  bench: { help: BENCH_HELP, run: bench },
  demo: { help: DEMO_HELP, run: demo },
};

/** Runs the CLI on argv (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    console.log(nativeVersion());
    return EXIT.ok;
  }
  const chosen = COMMANDS[command];
  if (!chosen) {
    console.error(`tinymqtt: unknown command '${command}' (tinymqtt --help lists them)`);
    return EXIT.usage;
  }
  if (args.includes('--help')) {
    console.log(chosen.help);
    return EXIT.ok;
  }
  try {
    return await chosen.run(args);
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`tinymqtt ${command}: ${e.message}`);
      return e.code;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`tinymqtt ${command}: ${(e as Error).message} (tinymqtt ${command} --help)`);
      return EXIT.usage;
    }
    if (e instanceof MqttError) {
      console.error(`tinymqtt ${command}: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
