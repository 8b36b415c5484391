// The subscriptions a client holds, for options.resubscribe: what to
// subscribe to again after a reconnect to a broker that did not keep the
// session. The core client is the one home of resubscribing; the embedded
// APIs (compat/umqtt.ts) use it rather than keep their own list.

/** A SUBSCRIBE: its filters, each one's options byte, and its 5.0 property
 *  block. */
export interface SubscribeRequest {
  filters: string[];
  options: number[];
  props: Buffer | undefined;
}

/** The filters granted and not unsubscribed since, with how each was asked
 *  for. */
export class Subscriptions {
  /** made by the first filter granted: a client that subscribes to nothing has none */
  #granted: Map<string, { byte: number; props: Buffer | undefined }> | undefined;

  /** How many filters are held. */
  get size(): number {
    return this.#granted?.size ?? 0;
  }

  /** Keeps what the broker granted of `request` (a SUBACK code below 0x80
   *  for the filter at the same index) and forgets what it refused. */
  answered(request: SubscribeRequest, codes: Uint8Array): void {
    request.filters.forEach((filter, k) => {
      if (codes[k] < 0x80) (this.#granted ??= new Map()).set(filter, { byte: request.options[k], props: request.props });
      else this.#granted?.delete(filter);
    });
  }

  /** Forgets unsubscribed filters. */
  unsubscribed(filters: readonly string[]): void {
    for (const filter of filters) this.#granted?.delete(filter);
  }

  /** The SUBSCRIBEs that restore every filter held: one per property block,
   *  so one per subscribe() call that gave properties. */
  requests(): SubscribeRequest[] {
    const byProps = new Map<Buffer | undefined, SubscribeRequest>();
    for (const [filter, { byte, props }] of this.#granted ?? []) {
      let request = byProps.get(props);
      if (!request) byProps.set(props, request = { filters: [], options: [], props });
      request.filters.push(filter);
      request.options.push(byte);
    }
    return [...byProps.values()];
  }
}
