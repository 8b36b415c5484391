// Python's bytes for what umqtt hands to callbacks: a Buffer that also has
// decode(), so `topic.decode()` in a ported script works as on the device.

/** A received topic or payload: a Buffer with Python's `bytes.decode()`. */
export interface Bytes extends Buffer {
  /** The text, decoded strictly (a TypeError for bytes that are not valid
   *  in `encoding`, as Python raises UnicodeError); 'utf-8' by default. */
  decode(encoding?: string): string;
}

const BYTES_PROTOTYPE: object = Object.create(Buffer.prototype, {
  decode: {
    value(this: Buffer, encoding = 'utf-8'): string {
      return new TextDecoder(encoding, { fatal: true }).decode(this);
    },
  },
});

/** `buffer` itself, given decode(). */
export function asBytes(buffer: Buffer): Bytes {
  return Object.setPrototypeOf(buffer, BYTES_PROTOTYPE) as Bytes;
}
