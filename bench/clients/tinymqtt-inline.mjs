// tinymqtt with the inline driver (lib/driver.ts: libuv drives the engine on
// the JS thread), as a benchmark client (interface.mjs).
import { openWith } from './tinymqtt.mjs';

export const open = (params) => openWith('inline', params);
