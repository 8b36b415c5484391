// What tinymqtt/web has for node:events (the web bundle's alias,
// scripts/build-web.mjs): an EventEmitter with Node's semantics for what
// lib/ and a client's users call (on, once, off, emit, listenerCount, ...),
// with the same typed-event generics as @types/node's.

/** No event map: any name, any arguments (as @types/node's DefaultEventMap). */
type DefaultMap = [never];
/** Event names to the arguments of their listeners. */
// any: what a listener of an untyped emitter may declare, as in @types/node
type EventMap<T> = Record<keyof T, any[]> | DefaultMap;
type Key<K, T> = T extends DefaultMap ? string | symbol : K | keyof T;
type Args<K, T> = T extends DefaultMap ? unknown[] : K extends keyof T ? T[K] : never;
type Listener<K, T> = T extends DefaultMap ? (...args: any[]) => void
  : K extends keyof T ? (T[K] extends unknown[] ? (...args: T[K]) => void : never) : never;

interface Entry { fn: unknown; once: boolean }

/** Node's EventEmitter, the part a client and its users need. */
export class EventEmitter<T extends EventMap<T> = DefaultMap> {
  #listeners = new Map<unknown, Entry[]>();
  #max = 10;

  #add(event: unknown, fn: unknown, once: boolean, prepend: boolean): this {
    if (typeof fn !== 'function') throw new TypeError(`The "listener" argument must be a function, not ${typeof fn}`);
    const list = this.#listeners.get(event) ?? [];
    const entry = { fn, once };
    // a new array each time: an emit in progress keeps the list it started with
    this.#listeners.set(event, prepend ? [entry, ...list] : [...list, entry]);
    return this;
  }

  on<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.#add(event, listener, false, false);
  }

  addListener<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.#add(event, listener, false, false);
  }

  once<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.#add(event, listener, true, false);
  }

  prependListener<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.#add(event, listener, false, true);
  }

  prependOnceListener<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.#add(event, listener, true, true);
  }

  /** Removes the listener added last for `event` (as Node does). */
  off<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    const list = this.#listeners.get(event);
    let i = list ? list.length - 1 : -1;
    while (i >= 0 && list![i].fn !== listener) i--;
    if (list && i >= 0) {
      if (list.length === 1) this.#listeners.delete(event);
      else this.#listeners.set(event, list.filter((_, k) => k !== i));
    }
    return this;
  }

  removeListener<K>(event: Key<K, T>, listener: Listener<K, T>): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: Key<unknown, T>): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  /** Calls the listeners of `event` in order; true when it had any. An
   *  'error' without a listener is thrown, as in Node. */
  emit<K>(event: Key<K, T>, ...args: Args<K, T>): boolean {
    const list = this.#listeners.get(event);
    if (!list) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    for (const entry of list) {
      if (entry.once) this.off(event, entry.fn as Listener<K, T>);
      (entry.fn as (...a: unknown[]) => void).apply(this, args as unknown[]);
    }
    return true;
  }

  listenerCount<K>(event: Key<K, T>, listener?: Listener<K, T>): number {
    const list = this.#listeners.get(event) ?? [];
    return listener === undefined ? list.length : list.filter((e) => e.fn === listener).length;
  }

  listeners<K>(event: Key<K, T>): Listener<K, T>[] {
    return (this.#listeners.get(event) ?? []).map((e) => e.fn as Listener<K, T>);
  }

  eventNames(): (string | symbol)[] {
    return [...this.#listeners.keys()] as (string | symbol)[];
  }

  /** Kept for code written for Node; nothing warns about many listeners here. */
  setMaxListeners(n: number): this {
    this.#max = n;
    return this;
  }

  getMaxListeners(): number {
    return this.#max;
  }
}
