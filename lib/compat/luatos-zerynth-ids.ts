// Message ids for the LuatOS and Zerynth layers: publish() returns one and
// the matching acknowledgement callback gets it back.
//
// The core client does not tell which MQTT packet identifier the engine gave
// an operation, so these ids are the layer's own: they run 1 to 65,535 and
// wrap, like packet identifiers, and pair a call with its callback, but they
// are not guaranteed to equal the identifier on the wire.

/** Hands out ids 1, 2, ... 65535, 1, ... */
export class MessageIds {
  #last = 0;

  next(): number {
    this.#last = (this.#last % 65535) + 1;
    return this.#last;
  }
}
