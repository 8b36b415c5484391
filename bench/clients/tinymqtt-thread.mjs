// tinymqtt on the engine loop thread driver (lib/driver.ts), as a benchmark
// client (interface.mjs).
import { openWith } from './tinymqtt.mjs';

export const open = (params) => openWith('thread', params);
