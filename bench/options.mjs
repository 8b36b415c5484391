// The command line of `npm run bench` (node bench/run.mjs).
import { fileURLToPath } from 'node:url';
import { CASE_NAMES, DEFAULT_CASE_NAMES } from './cases.mjs';
import { IMPLEMENTATIONS } from './implementations.mjs';

export const USAGE = `usage: npm run bench -- [--case NAME[,NAME...]]... [--impl ID[,ID...]]... [--quick] [--out FILE]
  --case   run only these cases (${CASE_NAMES.join(', ')});
           default: all but ${CASE_NAMES.filter((name) => !DEFAULT_CASE_NAMES.includes(name)).join(', ')}
  --impl   run only these implementations (${IMPLEMENTATIONS.map((impl) => impl.id).join(', ')}); default: all
  --quick  smaller counts and one run per implementation: a smoke run
  --out    where the JSON results go (default bench/results/latest.json)`;

const DEFAULT_OUT = fileURLToPath(new URL('results/latest.json', import.meta.url));

/** { cases, impls, quick, out, help } from argv (impls: ids, empty for
 *  all); throws on anything unknown. */
export function parseOptions(argv) {
  const options = { cases: [], impls: [], quick: false, out: DEFAULT_OUT, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i] ?? (() => { throw new Error(`${flag} needs a value`); })();
    if (flag === '--case') options.cases.push(...value().split(','));
    else if (flag === '--impl') options.impls.push(...value().split(','));
    else if (flag === '--quick') options.quick = true;
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
