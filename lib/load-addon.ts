// Finds the addon for this machine and loads it, or throws an MqttError that
// says why there is none (the platform, the prebuilds the package has) and the
// one command that builds it from source.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MqttError } from './mqtt-error.js';

const require = createRequire(import.meta.url);
const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };

/** The command that builds the addon from source inside an installed package
 *  (the package's install script, run even where install scripts are off). */
export const BUILD_COMMAND = 'npm rebuild tinymqtt --ignore-scripts=false';

/** What a build from source needs besides npm. */
const BUILD_NEEDS = 'cmake, a C++17 compiler and libmbedtls-dev';

/** This machine as the prebuilds are named: "linux-arm64 (glibc 2.36)",
 *  "linux-x64 (musl)", "darwin-arm64". */
export function describePlatform(): string {
  const target = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return target;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? `${target} (glibc ${header.glibcVersionRuntime})` : `${target} (musl)`;
}

/** The prebuilds under `root`/prebuilds, as "linux-x64 (glibc)": one per
 *  platform directory, with the C library its file names say. */
export function listPrebuilds(root: string): string[] {
  const dir = path.join(root, 'prebuilds');
  const entries = (name: string) => { try { return readdirSync(name); } catch { return []; } };
  return entries(dir).sort().flatMap((target) => {
    const files = entries(path.join(dir, target)).filter((f) => f.endsWith('.node'));
    if (files.length === 0) return [];
    const libcs = [...new Set(files.map((f) => /\.(glibc|musl)\./.exec(f)?.[1] ?? 'any libc'))];
    return [`${target} (${libcs.join(', ')})`];
  });
}

/** Loads the addon of the package at `root` as node-gyp-build finds it
 *  (build/Release first, then prebuilds/<platform>-<arch>). Throws an
 *  MqttError: ERR_NO_ADDON when no file fits this machine, ERR_ADDON_LOAD
 *  when the one that fits does not load (a C library older than it needs;
 *  the loader's error is its `cause`). */
export function loadAddon(root: string): unknown {
  const prebuilds = listPrebuilds(root);
  const have = prebuilds.length ? `this package has prebuilds for ${prebuilds.join(', ')}` : 'this package has no prebuilds';
  const build = `build one from source with \`${BUILD_COMMAND}\` (needs ${BUILD_NEEDS})`;
  let file: string;
  try {
    file = nodeGypBuild.path(root);
  } catch {
    throw new MqttError('ERR_NO_ADDON', `tinymqtt has no native addon for ${describePlatform()}: ${have}; ${build}`);
  }
  try {
    return require(file);
  } catch (e) {
    const why = String((e as Error).message).split('\n')[0];
    throw new MqttError('ERR_ADDON_LOAD', `tinymqtt's native addon ${file} does not load on ${describePlatform()} (${why}); ${have}; ${build}`,
      undefined, e);
  }
}
