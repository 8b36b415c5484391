// The addon's surface, declared once. Everything else in lib/ talks to the
// addon through `native`; lib/compat/ never imports this file.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What build/Release/tinymqtt.node (binding/addon.cc) exports. */
export interface Native {
  /** The package version the addon was built from. */
  version(): string;
  /** The engine's constant name for an error code ("TMQ_ERR_UTF8" for -12),
   *  "TMQ_ERR_UNKNOWN" for a code it does not know. Throws a TypeError unless
   *  code is an integer. */
  strerror(code: number): string;
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: this file is lib/native.ts in the source tree and
 *  dist/native.js once built, one level below the root either way. */
export const packageRoot: string = fileURLToPath(new URL('..', import.meta.url));

/** The addon, loaded once per environment (main thread or worker) by
 *  node-gyp-build: build/Release first, then prebuilds/<platform>-<arch>. */
export const native = load(packageRoot) as Native;
