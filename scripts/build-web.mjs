// Builds tinymqtt/web (npm run build:web, after build:ts) into dist/browser/:
//   tinymqtt.js    lib/web/index.ts and the core client it uses, one ES
//                  module bundled by esbuild, with lib/'s few Node-isms
//                  swapped for lib/web/ (see below); no Node built-ins
//   tinymqtt.wasm  the engine (dist/tinymqtt.wasm, scripts/build-wasm), beside it
//   types/         the declarations in dist/ that the entry reaches, with
//                  Buffer as Uint8Array and node:events as lib/web's emitter
// The one client implementation (lib/client.ts) is bundled as it is; what
// differs in a browser is chosen here, at bundle time:
//   ./native.js  -> lib/web/native.ts   (the wasm engine over a WebSocket)
//   ./tls-ca.js  -> lib/web/tls-ca.ts   (options.ca refused)
//   node:events  -> lib/web/shims/events.ts
//   node:util    -> lib/web/shims/util.ts
//   Buffer, setImmediate, process (globals) -> lib/web/shims/globals.ts
// Any other Node built-in reached from the entry fails the build.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = path.join(root, 'lib');
const out = path.join(root, 'dist', 'browser');

const SWAPPED = new Map([
  [path.join(lib, 'native.ts'), path.join(lib, 'web', 'native.ts')],
  [path.join(lib, 'tls-ca.ts'), path.join(lib, 'web', 'tls-ca.ts')],
]);
const BUILTINS = new Map([
  ['node:events', path.join(lib, 'web', 'shims', 'events.ts')],
  ['node:util', path.join(lib, 'web', 'shims', 'util.ts')],
]);

/** The swaps above, and a failure for any other Node built-in. */
const webSwaps = {
  name: 'tinymqtt-web',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (BUILTINS.has(args.path)) return { path: BUILTINS.get(args.path) };
      if (/^node:/.test(args.path) || ['events', 'util', 'fs', 'path', 'net', 'tls', 'url', 'module', 'buffer', 'process'].includes(args.path))
        return { errors: [{ text: `tinymqtt/web must not use the Node built-in ${args.path} (imported by ${path.relative(root, args.importer)})` }] };
      if (!args.path.startsWith('.') || args.importer.startsWith(path.join(lib, 'web') + path.sep)) return undefined;
      const target = path.resolve(path.dirname(args.importer), args.path.replace(/\.js$/, '.ts'));
      return SWAPPED.has(target) ? { path: SWAPPED.get(target) } : undefined;
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [path.join(lib, 'web', 'index.ts')],
  outfile: path.join(out, 'tinymqtt.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,   // the map points at lib/**/*.ts, which the package ships
  legalComments: 'none',
  inject: [path.join(lib, 'web', 'shims', 'globals.ts')],
  define: { TINYMQTT_VERSION: JSON.stringify(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version) },
  plugins: [webSwaps],
  metafile: true,
  logLevel: 'warning',
});

// the engine, beside the module (loadEngine's default URL)
const WASM = path.join(root, 'dist', 'tinymqtt.wasm');
if (!existsSync(WASM)) throw new Error(`build-web: ${path.relative(root, WASM)} is missing: build the WebAssembly engine first (npm run build:wasm)`);
copyFileSync(WASM, path.join(out, 'tinymqtt.wasm'));

// the declarations: those of dist/ the entry reaches, made Node-free
const dist = path.join(root, 'dist');
const typesOut = path.join(out, 'types');
const SHIMS = { events: path.join(typesOut, 'web', 'shims', 'events.js'), bytes: path.join(typesOut, 'bytes.js') };
const importPath = (fromFile, to) => {
  const rel = path.relative(path.dirname(fromFile), to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};
const copied = new Set();
function copyTypes(file) {
  if (copied.has(file)) return;
  copied.add(file);
  if (!existsSync(file)) throw new Error(`build-web: ${path.relative(root, file)} is missing: run npm run build:ts first`);
  const dest = path.join(typesOut, path.relative(dist, file));
  let text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/(?:from |import\()['"](\.{1,2}\/[^'"]+)\.js['"]/g))
    copyTypes(path.resolve(path.dirname(file), `${spec}.d.ts`));
  text = text.replaceAll(/(['"])node:events\1/g, `'${importPath(dest, SHIMS.events)}'`);
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  if (/\bBuffer\b/.test(code)) text = `import type { Buffer } from '${importPath(dest, SHIMS.bytes)}';\n${text}`;
  const node = /['"](node:[^'"]+)['"]|\bNodeJS\./.exec(code.replaceAll(/(['"])node:events\1/g, ''));
  if (node) throw new Error(`build-web: ${path.relative(root, file)} needs Node's types (${node[1] ?? node[0]}): tinymqtt/web's must not`);
  mkdirSync(path.dirname(dest), { recursive: true });
  writeFileSync(dest, text);
}
copyTypes(path.join(dist, 'web', 'index.d.ts'));
copyTypes(path.join(dist, 'web', 'shims', 'events.d.ts'));
writeFileSync(path.join(typesOut, 'bytes.d.ts'),
  '/** Payloads, passwords and binary properties in tinymqtt/web: Uint8Arrays. */\nexport type Buffer = Uint8Array;\n');

const size = (f) => statSync(path.join(out, f)).size;
const gz = (f) => gzipSync(readFileSync(path.join(out, f))).length;
console.log(`tinymqtt/web: tinymqtt.js ${size('tinymqtt.js')} bytes (${gz('tinymqtt.js')} gzipped), ` +
    `tinymqtt.wasm ${size('tinymqtt.wasm')} bytes (${gz('tinymqtt.wasm')} gzipped), ${Object.keys(result.metafile.inputs).length} modules`);
