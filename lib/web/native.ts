// The engine of tinymqtt/web: the WebAssembly build of the C engine
// (lib/wasm/) over the runtime's WebSocket (transport.ts), standing in for
// lib/native.ts in the web bundle (scripts/build-web.mjs), so that the core
// client (lib/client.ts) runs on it unchanged. The .wasm file is fetched and
// compiled once, by loadEngine(); until then `native` refuses every call.
import { MqttError } from '../mqtt-error.js';
import { argError } from '../errors.js';
import type { EngineName, Native, NativeClientOptions } from '../native.js';
import { createWasmNative } from '../wasm/native.js';
import { webSocketTransport } from './transport.js';

export { EVENT_FIELDS, EventKind, MESSAGE_HAS_PROPS, MESSAGE_LARGE_PAYLOAD } from '../constants.js';

/** Where the engine comes from: the URL of tinymqtt.wasm, its fetch
 *  Response (or a promise of one), its bytes, or the compiled module. */
export type EngineSource = string | URL | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/** The engine until loadEngine() has made it: every use throws. */
const NOT_LOADED = new Proxy({} as Native, {
  get(): never {
    throw new MqttError('ERR_NOT_LOADED',
      'the WebAssembly engine is not loaded yet: `await loadEngine()` before `new MqttClient()` or matchTopic() (connect() loads it)');
  },
});

/** The engine lib/ talks to (a live binding: loadEngine() replaces it). */
export let native: Native = NOT_LOADED;
/** Which engine `native` is: always the WebAssembly one here. */
export const engine: EngineName = 'wasm';

/** The package version (scripts/build-web.mjs puts it in the bundle). */
declare const TINYMQTT_VERSION: string;
let loading: Promise<void> | undefined;

/** The compiled module of a source; application/wasm responses compile
 *  while they download. */
async function compile(source: EngineSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source as BufferSource);
  const from = typeof source === 'string' || source instanceof URL ? String(source) : 'the response given';
  let response: Response;
  try {
    response = await (typeof source === 'string' || source instanceof URL ? fetch(source) : source);
  } catch (e) {
    throw new MqttError('ERR_ENGINE_LOAD', `tinymqtt/web could not fetch its engine from ${from}: ${(e as Error).message}`, undefined, e);
  }
  if (!response.ok) throw new MqttError('ERR_ENGINE_LOAD', `tinymqtt/web could not fetch its engine from ${response.url || from}: HTTP ${response.status}`);
  if (response.headers.get('content-type')?.split(';')[0].trim() === 'application/wasm') return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());   // a server that does not say application/wasm
}

/** Loads the WebAssembly engine, once (later calls get the same promise):
 *  by default tinymqtt.wasm beside this module (`new URL('./tinymqtt.wasm',
 *  import.meta.url)`, which bundlers such as Vite and webpack copy along);
 *  give `source` where it is served from elsewhere. connect() calls it.
 *  Rejects with an MqttError (ERR_ENGINE_LOAD) saying what failed; a later
 *  call tries again. */
export function loadEngine(source?: EngineSource): Promise<void> {
  loading ??= (async () => {
    try {
      const module = await compile(source ?? new URL('./tinymqtt.wasm', import.meta.url));
      native = webNative(createWasmNative(module, webSocketTransport(), { version: TINYMQTT_VERSION }));
    } catch (e) {
      loading = undefined;
      if (e instanceof MqttError) throw e;
      throw new MqttError('ERR_ENGINE_LOAD', `tinymqtt/web could not load its engine: ${(e as Error)?.message ?? String(e)}`, undefined, e);
    }
  })();
  return loading;
}

/** The options of the Node client that a WebSocket in a browser cannot
 *  honour, refused naming the option (in `new MqttClient()`, before it
 *  makes anything). */
function checkWebOptions(o: NativeClientOptions): void {
  if (o.servers) throw argError('options.servers', 'is not taken by tinymqtt/web: a list of servers needs mqtt:// or mqtts://, and a browser has no TCP sockets');
  if (!o.ws) throw argError('options.protocol', `must be 'ws' or 'wss' in tinymqtt/web (a browser has no TCP sockets), not '${o.tls ? 'mqtts' : 'mqtt'}'`);
  if (o.ws.headers) throw argError('options.wsOptions.headers', 'cannot be sent from a browser: its WebSocket API takes no request headers');
  const tls = o.tls;
  if (!tls) return;
  const why = 'is not taken by tinymqtt/web: the browser (or runtime) does TLS, with its own trusted certificates';
  if (!tls.rejectUnauthorized) throw argError('options.rejectUnauthorized', why);
  for (const [key, option] of [['cert', 'cert'], ['key', 'key'], ['passphrase', 'passphrase'], ['servername', 'servername'], ['alpn', 'ALPNProtocols']] as const)
    if (tls[key] !== undefined) throw argError(`options.${option}`, why);
}

/** The wasm engine (made for the web alone) with the web's refusals, which
 *  MqttClient's constructor asks for (Native.checkOptions). */
function webNative(engine: Native): Native {
  engine.checkOptions = checkWebOptions;
  return engine;
}

