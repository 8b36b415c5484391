// Builds the libmosquitto benchmark client (mosq_bench.c) into
// build/bench/ when the binary is missing or older than its source.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('mosq_bench.c', import.meta.url));
export const MOSQ_BENCH = fileURLToPath(new URL('../build/bench/mosq_bench', import.meta.url));

const upToDate = () => existsSync(MOSQ_BENCH) && statSync(MOSQ_BENCH).mtimeMs >= statSync(SOURCE).mtimeMs;

/** Compiles mosq_bench if needed; throws with the compiler's words, and
 *  names libmosquitto-dev when the header or the library is missing. */
export function buildMosqBench() {
  if (upToDate()) return;
  mkdirSync(path.dirname(MOSQ_BENCH), { recursive: true });
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-std=c99', '-Wall', '-Wextra', '-o', MOSQ_BENCH, SOURCE, '-lmosquitto'], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run the C compiler ${cc}: ${r.error.message}`);
  if (r.status === 0) return;
  const missing = /mosquitto\.h: No such file|cannot find -lmosquitto/.test(r.stderr);
  throw new Error(missing
    ? `libmosquitto is missing: install the Debian package libmosquitto-dev (scripts/bootstrap)\n${r.stderr}`
    : `compiling ${SOURCE} failed:\n${r.stderr}`);
}
