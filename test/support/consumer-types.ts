// Type-checking code that uses tinymqtt the way a Node user's project does:
// strict, nodenext resolution from the project's node_modules, once as an ES
// module and once as CommonJS.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot as root } from '../../lib/native.js';

/** Writes `source` into project `dir` as esm.mts and cjs.cts with a
 *  consumer's tsconfig.json, runs this repository's tsc over them, and
 *  returns what tsc printed ('' when both check) and its exit status. */
export function typeCheckAsConsumer(dir: string, source: string): { output: string; status: number | null } {
  writeFileSync(path.join(dir, 'esm.mts'), source);
  writeFileSync(path.join(dir, 'cjs.cts'), source);
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    // a Node consumer has @types/node (the client's types use Buffer and EventEmitter)
    compilerOptions: {
      module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
      types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: ['esm.mts', 'cjs.cts'],
  }));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { output: `${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`, status: r.status };
}
