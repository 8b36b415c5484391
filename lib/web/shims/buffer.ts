// What tinymqtt/web has for Node's Buffer (injected by the web bundle:
// scripts/build-web.mjs): a Uint8Array with the few Buffer calls lib/ makes
// (UTF-8 text in and out, views, the big- and little-endian reads of the
// property decoder). Payloads a web client hands out are these: Uint8Arrays.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A Uint8Array with Node Buffer's methods that lib/ uses. */
export class Buffer extends Uint8Array {
  /** The UTF-8 bytes of a string (a copy); a copy of an array of bytes or a
   *  Uint8Array; or a view of an ArrayBuffer (not a copy). */
  // any: the parameters of Uint8Array.from, which this replaces
  static override from(value: any, byteOffset?: any, length?: any): Buffer {
    if (typeof value === 'string') {
      const bytes = encoder.encode(value);
      return new Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (ArrayBuffer.isView(value) || Array.isArray(value)) {
      const copy = new Buffer((value as ArrayLike<number>).length);
      copy.set(value as ArrayLike<number>);
      return copy;
    }
    // an ArrayBuffer (or SharedArrayBuffer), of this realm or another
    const buffer = value as ArrayBuffer;
    return new Buffer(buffer, byteOffset ?? 0, length ?? buffer.byteLength - (byteOffset ?? 0));
  }

  /** `size` zero bytes. */
  static alloc(size: number): Buffer {
    return new Buffer(size);
  }

  /** The bytes of a string in UTF-8. */
  static byteLength(text: string): number {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n += 4;
        i++;
      } else n += 3;
    }
    return n;
  }

  static isBuffer(value: unknown): value is Buffer {
    return value instanceof Buffer;
  }

  /** The bytes from `start` to `end` as UTF-8 text (malformed sequences
   *  become U+FFFD, as in Node). */
  override toString(encoding: 'utf8' | 'utf-8' = 'utf8', start = 0, end = this.length): string {
    if (encoding !== 'utf8' && encoding !== 'utf-8') throw new TypeError(`Unknown encoding: ${String(encoding)}`);
    return decoder.decode(this.subarray(start, end));
  }

  readUInt16BE(offset: number): number {
    this.#check(offset, 2);
    return (this[offset] << 8) | this[offset + 1];
  }

  readUInt32BE(offset: number): number {
    this.#check(offset, 4);
    return ((this[offset] << 24) | (this[offset + 1] << 16) | (this[offset + 2] << 8) | this[offset + 3]) >>> 0;
  }

  readUInt32LE(offset: number): number {
    this.#check(offset, 4);
    return ((this[offset + 3] << 24) | (this[offset + 2] << 16) | (this[offset + 1] << 8) | this[offset]) >>> 0;
  }

  /** Checks that `size` bytes at `offset` are inside, as Node does (a
   *  RangeError). */
  #check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.length)
      throw new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${this.length - size}. Received ${offset}`);
  }
}
