// What tinymqtt/web has for node:util (the web bundle's alias,
// scripts/build-web.mjs): the type checks lib/ makes.

export const types = {
  /** Any Uint8Array, of this realm or another (an iframe's). */
  isUint8Array: (v: unknown): v is Uint8Array =>
    ArrayBuffer.isView(v) && (v as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Uint8Array',
  isPromise: (v: unknown): v is Promise<unknown> => v instanceof Promise,
  /** A browser cannot tell a Proxy from its target: no value is said to be one. */
  isProxy: (_v: unknown): boolean => false,
};
