// tinymqtt on its WebAssembly engine (lib/wasm/, TINYMQTT_ENGINE=wasm), as a
// benchmark client (interface.mjs): the same client over the engine compiled
// to wasm32, Node's sockets as its transport.
process.env.TINYMQTT_ENGINE = 'wasm';   // read when the package is first imported
const { openWith } = await import('./tinymqtt.mjs');

export const open = (params) => openWith('inline', params);
