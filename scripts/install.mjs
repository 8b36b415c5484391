// npm's install step for tinymqtt (package.json "install"; it ships in the
// package): keeps the addon that node-gyp-build finds when it loads on this
// machine (a prebuild, or a build already made), and otherwise builds one from
// source with `npm run build:native`, saying why in one line first, without a
// stack trace. cmake-js, which that build runs, is not a dependency of the
// package: it is taken from where npm finds it (a clone's devDependencies, a
// project that installed it), else fetched for this build by `npm exec`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Why the addon does not load here (the first line of the loader's error),
 *  or undefined when it does. */
function whyNoAddon() {
  try {
    require('node-gyp-build')(root);
    return undefined;
  } catch (e) {
    return String(e.message).split('\n')[0];
  }
}

/** Whether npm run finds cmake-js's command: installed in or above root. */
function haveCmakeJs() {
  try {
    require.resolve('cmake-js/package.json', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

const why = whyNoAddon();
if (why !== undefined) {
  const build = ['run', 'build:native'];
  const command = haveCmakeJs() ? build : ['exec', '--yes', '--package=cmake-js@^8', '--', 'npm', ...build];
  console.error(`tinymqtt: ${why.replace(/\.?$/, '')}; building the addon from source (npm ${command.join(' ')})`);
  const r = spawnSync('npm', command, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('tinymqtt: the build from source failed (output above); it needs cmake, a C++17 compiler and libmbedtls-dev');
    process.exitCode = 1;
  }
}
