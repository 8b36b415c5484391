// The command line of `npm run bench` (node bench/run.mjs).
import { fileURLToPath } from 'node:url';
import { CASE_NAMES, DEFAULT_CASE_NAMES } from './cases.mjs';
import { IMPLEMENTATIONS } from './implementations.mjs';

export const USAGE = `usage: npm run bench -- [--case NAME[,NAME...]]... [--impl ID[,ID...]]... [--quick] [--warmup N] [--out FILE]
  --case   run only these cases (${CASE_NAMES.join(', ')});
           default: all but ${CASE_NAMES.filter((name) => !DEFAULT_CASE_NAMES.includes(name)).join(', ')}
  --impl   run only these implementations (${IMPLEMENTATIONS.map((impl) => impl.id).join(', ')}); default: all
  --quick  smaller counts and one run per implementation: a smoke run
  --warmup N  this many messages or round trips of warm-up (at least 1) in every
           chosen case that has a warm-up (not the idle cases), instead of its own;
           with --case latency, 500 gives the figure of before 2026-12-07 (V8's
           tiering included); the README's figures use the cases' own
  --out    where the JSON results go (default bench/results/latest.json)`;

const DEFAULT_OUT = fileURLToPath(new URL('results/latest.json', import.meta.url));

/** { cases, impls, quick, warmup, out, help } from argv (impls: ids, empty
 *  for all; warmup: undefined unless given); throws on anything unknown. */
export function parseOptions(argv) {
  const options = { cases: [], impls: [], quick: false, warmup: undefined, out: DEFAULT_OUT, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i] ?? (() => { throw new Error(`${flag} needs a value`); })();
    if (flag === '--case') options.cases.push(...value().split(','));
    else if (flag === '--impl') options.impls.push(...value().split(','));
    else if (flag === '--quick') options.quick = true;
    else if (flag === '--warmup') options.warmup = count(flag, value());
    else if (flag === '--out') options.out = value();
    else if (flag === '--help' || flag === '-h') options.help = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const unknown = options.cases.filter((name) => !CASE_NAMES.includes(name));
  if (unknown.length) throw new Error(`unknown case ${unknown.join(', ')} (cases: ${CASE_NAMES.join(', ')})`);
  const ids = IMPLEMENTATIONS.map((impl) => impl.id), strange = options.impls.filter((id) => !ids.includes(id));
  if (strange.length) throw new Error(`unknown implementation ${strange.join(', ')} (implementations: ${ids.join(', ')})`);
  if (!options.cases.length) options.cases = DEFAULT_CASE_NAMES;
  return options;
}

/** `text` as a whole number of at least 1 (a warm-up of 0 would never
 *  start the measured interval, which begins at its last event), or throws
 *  naming `flag`. */
function count(flag, text) {
  const n = /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${flag} needs a whole number of at least 1, not ${JSON.stringify(text)}`);
  return n;
}

/** `kase` with `warmup` in place of the warm-up of its full and quick
 *  parameters (those that have one); as it is when warmup is undefined. */
export function withWarmup(kase, warmup) {
  if (warmup === undefined) return kase;
  const set = (params) => ('warmup' in params ? { ...params, warmup } : params);
  return { ...kase, full: set(kase.full), quick: set(kase.quick) };
}
